package sam

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// unresolved is the literal text of an intrinsic that cannot be resolved
// without a deployed stack (!GetAtt Table.Arn, ${Table.Arn} in a Sub, a Ref
// to a resource). It stands in for the value so that the template still
// loads, and lets conditions and selections tell it from a real string.
type unresolved string

// noValue is what Ref AWS::NoValue resolves to: the enclosing key or list
// item is removed.
type noValue struct{}

// pseudoParameter returns the value lambdadeck gives one of
// CloudFormation's pseudo parameters, matching what it presents to handlers.
func (r *resolver) pseudoParameter(name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return r.region, true
	case "AWS::AccountId":
		return lambdadeck.DefaultAccountID, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::StackName":
		return "lambdadeck", true
	}
	return "", false
}

// parameter is one entry of the template's Parameters section.
type parameter struct {
	typ        string
	def        any
	hasDefault bool
}

// site is where a value is being resolved: the function and the property
// path, for warnings.
type site struct {
	function string
	property string
}

func (s site) String() string {
	if s.property == "" {
		return s.function
	}
	return s.function + " (" + s.property + ")"
}

// resolver evaluates intrinsic functions against what is known locally:
// parameter defaults, pseudo parameters, mappings, conditions and the names
// of the template's functions.
type resolver struct {
	region     string
	overrides  map[string]string // --parameter-overrides
	params     map[string]parameter
	mappings   map[string]any
	conditions map[string]any
	resources  map[string]bool           // every logical ID in Resources
	resDefs    map[string]map[string]any // each resource's definition
	naming     map[string]bool           // resources whose name is being resolved

	// functionName returns the name of the function with the given logical
	// ID, or false when the logical ID is not a function.
	functionName func(logicalID string) (string, bool)

	conditionCache map[string]conditionResult
	conditionBusy  map[string]bool

	// unresolvedAt records, per unresolved expression, the places it was
	// met, so that each expression is reported once.
	unresolvedAt    map[string][]string
	unresolvedOrder []string

	// substitutedAt records, per expression that stands in for a deployed
	// stack's value (!Ref Table, !GetAtt Table.Arn), its value and the
	// places it was met.
	substitutedAt    map[string][]string
	substitutedValue map[string]string
	substitutedOrder []string
}

// newResolver returns a resolver for a template's top-level sections.
func newResolver(root map[string]any, opts Options) *resolver {
	r := &resolver{
		region:           cmp.Or(opts.Region, lambdadeck.DefaultRegion),
		overrides:        opts.Parameters,
		resDefs:          map[string]map[string]any{},
		naming:           map[string]bool{},
		substitutedAt:    map[string][]string{},
		substitutedValue: map[string]string{},
		params:           map[string]parameter{},
		mappings:         map[string]any{},
		conditions:       map[string]any{},
		resources:        map[string]bool{},
		functionName:     func(string) (string, bool) { return "", false },
		conditionCache:   map[string]conditionResult{},
		conditionBusy:    map[string]bool{},
		unresolvedAt:     map[string][]string{},
	}
	if params, ok := root["Parameters"].(map[string]any); ok {
		for name, p := range params {
			var param parameter
			if pm, ok := p.(map[string]any); ok {
				param.typ, _ = pm["Type"].(string)
				param.def, param.hasDefault = pm["Default"]
			}
			r.params[name] = param
		}
	}
	if m, ok := root["Mappings"].(map[string]any); ok {
		r.mappings = m
	}
	if c, ok := root["Conditions"].(map[string]any); ok {
		r.conditions = c
	}
	if res, ok := root["Resources"].(map[string]any); ok {
		for id, def := range res {
			r.resources[id] = true
			if m, ok := def.(map[string]any); ok {
				r.resDefs[id] = m
			}
		}
	}
	return r
}

// note records that expr could not be resolved at s.
func (r *resolver) note(expr string, s site) {
	places, seen := r.unresolvedAt[expr]
	if !seen {
		r.unresolvedOrder = append(r.unresolvedOrder, expr)
	}
	if !slices.Contains(places, s.String()) {
		r.unresolvedAt[expr] = append(places, s.String())
	}
}

// substitute records that expr stands in as value at s.
func (r *resolver) substitute(expr, value string, s site) string {
	places, seen := r.substitutedAt[expr]
	if !seen {
		r.substitutedOrder = append(r.substitutedOrder, expr)
		r.substitutedValue[expr] = value
	}
	if !slices.Contains(places, s.String()) {
		r.substitutedAt[expr] = append(places, s.String())
	}
	return value
}

// warnings returns one warning per distinct unresolved expression, naming
// every function and property where it appears, then one per expression
// that stands in for a deployed stack's value.
func (r *resolver) warnings() []string {
	var out []string
	for _, expr := range r.substitutedOrder {
		key := strings.TrimPrefix(strings.TrimPrefix(expr, "!Ref "), "!GetAtt ")
		out = append(out, fmt.Sprintf("%s: %s is %q here, as no stack is deployed; set the real value with --parameter-overrides %s=VALUE, or the variable with --env-vars",
			strings.Join(r.substitutedAt[expr], ", "), expr, r.substitutedValue[expr], key))
	}
	for _, expr := range r.unresolvedOrder {
		out = append(out, fmt.Sprintf("%s: %s cannot be resolved locally; kept as literal text",
			strings.Join(r.unresolvedAt[expr], ", "), expr))
	}
	return out
}

// unresolvedValue records expr and returns it as an unresolved value.
func (r *resolver) unresolvedValue(expr string, s site) unresolved {
	r.note(expr, s)
	return unresolved(expr)
}

// failed returns the unresolved text of the intrinsic name with argument
// arg. It records the expression only when none of the evaluated arguments
// was unresolved already, so that !Select [0, !GetAZs ""] is reported once,
// as the !GetAZs.
func (r *resolver) failed(name string, arg any, s site, evaluated ...any) unresolved {
	for _, v := range evaluated {
		if hasUnresolved(v) {
			return unresolved(render(name, arg))
		}
	}
	return r.unresolvedValue(render(name, arg), s)
}

// hasUnresolved reports whether v is or contains an unresolved value.
func hasUnresolved(v any) bool {
	switch v := v.(type) {
	case unresolved:
		return true
	case []any:
		for _, item := range v {
			if hasUnresolved(item) {
				return true
			}
		}
	case map[string]any:
		for _, item := range v {
			if hasUnresolved(item) {
				return true
			}
		}
	}
	return false
}

// eval resolves every intrinsic inside v. Maps and lists are copied; keys
// and items that resolve to AWS::NoValue are removed.
func (r *resolver) eval(v any, s site) any {
	if name, arg, ok := intrinsic(v); ok {
		return r.call(name, arg, s)
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			child := s
			child.property = joinPath(s.property, k)
			item := r.eval(v[k], child)
			if _, drop := item.(noValue); !drop {
				out[k] = item
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, item := range v {
			item = r.eval(item, s)
			if _, drop := item.(noValue); !drop {
				out = append(out, item)
			}
		}
		return out
	}
	return v
}

// call evaluates one intrinsic function.
func (r *resolver) call(name string, arg any, s site) any {
	switch name {
	case "Ref":
		return r.ref(arg, s)
	case "Fn::Sub":
		return r.sub(arg, s)
	case "Fn::Join":
		return r.join(arg, s)
	case "Fn::Select":
		return r.selectItem(arg, s)
	case "Fn::Split":
		return r.split(arg, s)
	case "Fn::FindInMap":
		return r.findInMap(arg, s)
	case "Fn::Base64":
		v := r.eval(arg, s)
		if str, ok := v.(string); ok {
			return base64.StdEncoding.EncodeToString([]byte(str))
		}
		return r.failed(name, arg, s, v)
	case "Fn::If":
		return r.ifValue(arg, s)
	case "Fn::GetAtt":
		if v, ok := r.getAtt(arg, s); ok {
			return v
		}
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		if b, ok := r.condition(map[string]any{name: arg}); ok {
			return b
		}
		return r.unresolvedValue(render(name, arg), s)
	}
	// GetAtt, ImportValue, GetAZs, Cidr, Transform and the rest need a
	// deployed stack: keep their text, with arguments resolved as far as
	// they go (!ImportValue !Sub "${Env}-vpc" reads !ImportValue dev-vpc).
	return r.unresolvedValue(render(name, r.eval(arg, s)), s)
}

// ref resolves Ref: a parameter's default, a pseudo parameter or a
// function's name.
func (r *resolver) ref(arg any, s site) any {
	target, ok := r.eval(arg, s).(string)
	if !ok {
		return r.unresolvedValue(render("Ref", arg), s)
	}
	if target == "AWS::NoValue" {
		return noValue{}
	}
	if v, ok := r.pseudoParameter(target); ok {
		return v
	}
	if v, ok := r.overrides[target]; ok {
		if p, isParam := r.params[target]; isParam {
			return parameter{typ: p.typ, def: v, hasDefault: true}.value()
		}
		return v
	}
	if p, ok := r.params[target]; ok && p.hasDefault {
		return p.value()
	}
	if name, ok := r.functionName(target); ok {
		return name
	}
	if r.resources[target] {
		return r.substitute("!Ref "+target, r.refValue(target), s)
	}
	return r.unresolvedValue("!Ref "+target, s)
}

// value returns a parameter's default as CloudFormation hands it out: list
// types as lists of strings, everything else as given.
func (p parameter) value() any {
	str, isString := stringify(p.def)
	if !isString {
		return p.def
	}
	switch {
	case p.typ == "CommaDelimitedList" || strings.HasPrefix(p.typ, "List<"):
		var out []any
		for _, item := range strings.Split(str, ",") {
			out = append(out, strings.TrimSpace(item))
		}
		return out
	case p.typ == "String":
		return str // Default: 5 on a String parameter is "5"
	}
	return p.def
}

// sub resolves Fn::Sub in both forms: "text" and ["text", {Var: value}].
func (r *resolver) sub(arg any, s site) any {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return r.unresolvedValue(render("Fn::Sub", arg), s)
		}
		t, ok := r.eval(a[0], s).(string)
		if !ok {
			return r.unresolvedValue(render("Fn::Sub", arg), s)
		}
		text = t
		if m, ok := a[1].(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				vars[k] = r.eval(m[k], s)
			}
		}
	default:
		return r.unresolvedValue(render("Fn::Sub", arg), s)
	}

	var b strings.Builder
	complete := true
	for {
		start := strings.Index(text, "${")
		if start < 0 {
			b.WriteString(text)
			break
		}
		end := strings.Index(text[start:], "}")
		if end < 0 {
			b.WriteString(text)
			break
		}
		end += start
		b.WriteString(text[:start])
		name := text[start+2 : end]
		if strings.HasPrefix(name, "!") {
			// ${!Literal} writes ${Literal}.
			b.WriteString("${" + name[1:] + "}")
		} else {
			value, ok := r.subVariable(name, vars, s)
			b.WriteString(value)
			complete = complete && ok
		}
		text = text[end+1:]
	}
	if !complete {
		// The text reads as well as it can; the type says it is not the
		// real value, for FunctionName, CodeUri and conditions.
		return unresolved(b.String())
	}
	return b.String()
}

// subVariable resolves one ${Name} of a Sub, keeping ${Name} when it
// cannot be resolved.
func (r *resolver) subVariable(name string, vars map[string]any, s site) (string, bool) {
	literal := "${" + name + "}"
	v, ok := vars[name]
	if !ok {
		name = strings.TrimSpace(name)
		switch {
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			// ${Resource.Attribute} is a GetAtt.
			resource, attribute, _ := strings.Cut(name, ".")
			got, ok := r.getAtt([]any{resource, attribute}, s)
			if !ok {
				r.note(literal, s)
				return literal, false
			}
			v = got
		case r.knownRef(name):
			v = r.ref(name, s)
		default:
			r.note(literal, s)
			return literal, false
		}
	}
	if hasUnresolved(v) {
		return literal, false // already reported where it was evaluated
	}
	str, ok := stringify(v)
	if !ok {
		r.note(literal, s)
		return literal, false
	}
	return str, true
}

// knownRef reports whether Ref name resolves locally.
func (r *resolver) knownRef(name string) bool {
	if _, ok := r.pseudoParameter(name); ok || name == "AWS::NoValue" || r.resources[name] {
		return true
	}
	if _, ok := r.overrides[name]; ok {
		return true
	}
	if p, ok := r.params[name]; ok && p.hasDefault {
		return true
	}
	_, ok := r.functionName(name)
	return ok
}

// join resolves Fn::Join [delimiter, [items...]].
func (r *resolver) join(arg any, s site) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return r.unresolvedValue(render("Fn::Join", arg), s)
	}
	delimValue, listValue := r.eval(a[0], s), r.eval(a[1], s)
	delim, dok := stringify(delimValue)
	items, lok := listValue.([]any)
	if !dok || !lok {
		return r.failed("Fn::Join", arg, s, delimValue, listValue)
	}
	parts := make([]string, 0, len(items))
	for _, item := range items {
		str, ok := stringify(item)
		if !ok {
			return r.failed("Fn::Join", arg, s, item)
		}
		parts = append(parts, str)
	}
	if hasUnresolved(items) {
		return unresolved(strings.Join(parts, delim))
	}
	return strings.Join(parts, delim)
}

// selectItem resolves Fn::Select [index, [items...]].
func (r *resolver) selectItem(arg any, s site) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return r.unresolvedValue(render("Fn::Select", arg), s)
	}
	indexValue, listValue := r.eval(a[0], s), r.eval(a[1], s)
	index, iok := wholeNumber(indexValue)
	items, lok := listValue.([]any)
	if !iok || !lok || index < 0 || index >= int64(len(items)) {
		return r.failed("Fn::Select", arg, s, indexValue, listValue)
	}
	return items[index]
}

// split resolves Fn::Split [delimiter, text].
func (r *resolver) split(arg any, s site) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return r.unresolvedValue(render("Fn::Split", arg), s)
	}
	delimValue, textValue := r.eval(a[0], s), r.eval(a[1], s)
	delim, dok := delimValue.(string)
	text, tok := textValue.(string)
	if !dok || !tok || delim == "" {
		return r.failed("Fn::Split", arg, s, delimValue, textValue)
	}
	var out []any
	for _, part := range strings.Split(text, delim) {
		out = append(out, part)
	}
	return out
}

// findInMap resolves Fn::FindInMap [map, top key, second key] with the
// optional fourth {DefaultValue: v} of AWS::LanguageExtensions.
func (r *resolver) findInMap(arg any, s site) any {
	a, ok := arg.([]any)
	if !ok || len(a) < 3 || len(a) > 4 {
		return r.unresolvedValue(render("Fn::FindInMap", arg), s)
	}
	var keys [3]string
	for i := range keys {
		v := r.eval(a[i], s)
		k, ok := stringify(v)
		if !ok || hasUnresolved(v) {
			return r.failed("Fn::FindInMap", arg, s, v)
		}
		keys[i] = k
	}
	if top, ok := r.mappings[keys[0]].(map[string]any); ok {
		if second, ok := top[keys[1]].(map[string]any); ok {
			if v, ok := second[keys[2]]; ok {
				return r.eval(v, s)
			}
		}
	}
	if len(a) == 4 {
		if opts, ok := a[3].(map[string]any); ok {
			if def, ok := opts["DefaultValue"]; ok {
				return r.eval(def, s)
			}
		}
	}
	return r.unresolvedValue(render("Fn::FindInMap", arg), s)
}

// ifValue resolves Fn::If [condition, then, else], evaluating only the
// branch taken.
func (r *resolver) ifValue(arg any, s site) any {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		return r.unresolvedValue(render("Fn::If", arg), s)
	}
	name, ok := a[0].(string)
	if !ok {
		return r.unresolvedValue(render("Fn::If", arg), s)
	}
	b, ok := r.namedCondition(name)
	if !ok {
		return r.unresolvedValue(render("Fn::If", arg), s)
	}
	if b {
		return r.eval(a[1], s)
	}
	return r.eval(a[2], s)
}

// namedCondition evaluates the condition called name in Conditions.
func (r *resolver) namedCondition(name string) (holds, known bool) {
	if c, ok := r.conditionCache[name]; ok {
		return c.holds, c.known
	}
	expr, ok := r.conditions[name]
	if !ok || r.conditionBusy[name] {
		return false, false
	}
	r.conditionBusy[name] = true
	holds, known = r.condition(expr)
	delete(r.conditionBusy, name)
	// Unknown outcomes are cached too: conditions that refer to each other
	// many times over would otherwise take exponential time.
	r.conditionCache[name] = conditionResult{holds, known}
	return holds, known
}

// conditionResult is the outcome of evaluating a named condition.
type conditionResult struct{ holds, known bool }

// condition evaluates a condition expression built from Equals, Not, And,
// Or and Condition; false when any part cannot be resolved.
func (r *resolver) condition(expr any) (bool, bool) {
	if b, ok := expr.(bool); ok {
		return b, true
	}
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, false
	}
	for name, arg := range m {
		switch name {
		case "Condition":
			if cond, ok := arg.(string); ok {
				return r.namedCondition(cond)
			}
		case "Fn::Equals":
			a, ok := arg.([]any)
			if !ok || len(a) != 2 {
				return false, false
			}
			// Conditions are evaluated for their truth only: unresolved
			// operands make the whole condition unknown, without warnings.
			quiet := r.quiet()
			left, lok := stringify(quiet.eval(a[0], site{}))
			right, rok := stringify(quiet.eval(a[1], site{}))
			if !lok || !rok || quiet.sawUnresolved() {
				return false, false
			}
			return left == right, true
		case "Fn::Not":
			a, ok := arg.([]any)
			if !ok || len(a) != 1 {
				return false, false
			}
			b, ok := r.condition(a[0])
			return !b, ok
		case "Fn::And", "Fn::Or":
			a, ok := arg.([]any)
			if !ok || len(a) == 0 {
				return false, false
			}
			all := name == "Fn::And"
			for _, c := range a {
				b, ok := r.condition(c)
				if !ok {
					return false, false
				}
				if all && !b {
					return false, true
				}
				if !all && b {
					return true, true
				}
			}
			return all, true
		}
	}
	return false, false
}

// quiet returns a resolver sharing r's template but recording unresolved
// expressions apart, so that condition operands do not produce warnings.
func (r *resolver) quiet() *resolver {
	q := *r
	q.unresolvedAt = map[string][]string{}
	q.unresolvedOrder = nil
	q.substitutedAt = map[string][]string{}
	q.substitutedValue = map[string]string{}
	q.substitutedOrder = nil
	return &q
}

// sawUnresolved reports whether anything failed to resolve.
func (r *resolver) sawUnresolved() bool { return len(r.unresolvedOrder) > 0 }

// render writes an intrinsic back in short form, for the literal text of an
// unresolved value: !GetAtt Table.Arn, !ImportValue shared-vpc.
func render(name string, arg any) string {
	short := "!" + strings.TrimPrefix(name, "Fn::")
	if name == "Fn::GetAtt" {
		if a, ok := arg.([]any); ok && len(a) == 2 {
			res, rok := stringify(a[0])
			att, aok := stringify(a[1])
			if rok && aok {
				return short + " " + res + "." + att
			}
		}
	}
	return short + " " + renderArg(arg)
}

// renderArg writes a value in YAML flow style.
func renderArg(v any) string {
	if name, arg, ok := intrinsic(v); ok {
		return render(name, arg)
	}
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = renderArg(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(v) {
			parts = append(parts, k+": "+renderArg(v[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case nil:
		return "null"
	case noValue:
		return "!Ref AWS::NoValue"
	case string:
		if v == "" {
			return `""`
		}
		if strings.ContainsAny(v, ",[]{}") {
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	str, _ := stringify(v)
	return str
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
