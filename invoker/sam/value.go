package sam

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A template is decoded from yaml.Node into plain values: nil, bool, int64,
// float64, string, []any and map[string]any. Short-form intrinsics (!Ref,
// !Sub, ...) become their long form ({"Ref": ...}, {"Fn::Sub": ...}) so that
// the resolver sees one shape whichever way the template was written.

// Limits that keep a hostile or broken template from exhausting memory or the
// stack: aliases can expand a small file exponentially.
const (
	maxNodes = 500_000
	maxDepth = 200
)

// decoder converts yaml nodes to values within the limits above.
type decoder struct {
	nodes int
}

// errTooComplex is returned when a template exceeds maxNodes or maxDepth.
type errTooComplex struct{ reason string }

func (e *errTooComplex) Error() string { return e.reason }

func (d *decoder) value(n *yaml.Node, depth int) (any, error) {
	d.nodes++
	if d.nodes > maxNodes {
		return nil, &errTooComplex{"the template is too large once its aliases are expanded"}
	}
	if depth > maxDepth {
		return nil, &errTooComplex{"the template is nested too deeply"}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return d.value(n.Alias, depth+1)
	}

	var v any
	switch n.Kind {
	case yaml.ScalarNode:
		v = scalar(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			item, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, item)
		}
		v = list
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Kind == yaml.AliasNode && key.Alias != nil {
				key = key.Alias
			}
			if key.ShortTag() == "!!merge" {
				if err := d.merge(m, n.Content[i+1], depth+1); err != nil {
					return nil, err
				}
				continue
			}
			item, err := d.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[key.Value] = item
		}
		v = m
	}
	return shortForm(n.Tag, v), nil
}

// merge applies a YAML merge key ("<<: *base"): keys already present win.
func (d *decoder) merge(into map[string]any, n *yaml.Node, depth int) error {
	src, err := d.value(n, depth)
	if err != nil {
		return err
	}
	var sources []any
	if list, ok := src.([]any); ok {
		sources = list
	} else {
		sources = []any{src}
	}
	for _, s := range sources {
		if m, ok := s.(map[string]any); ok {
			for k, v := range m {
				if _, exists := into[k]; !exists {
					into[k] = v
				}
			}
		}
	}
	return nil
}

// scalar returns the typed value of a scalar node, following YAML's core
// schema as yaml.v3 resolves it (tagged short forms keep their text).
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	return n.Value
}

// shortForm turns a value carrying a CloudFormation short-form tag into the
// long form of the same intrinsic. Values without such a tag are returned
// unchanged; unknown custom tags are dropped, as CloudFormation would reject
// them anyway.
func shortForm(tag string, v any) any {
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v
	}
	name := tag[1:]
	switch name {
	case "Ref":
		return map[string]any{"Ref": v}
	case "Condition":
		return map[string]any{"Condition": v}
	case "GetAtt":
		// The short form takes "Resource.Attribute"; the attribute itself may
		// contain dots (Outputs.Name), so split at the first one only.
		if s, ok := v.(string); ok {
			resource, attribute, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{resource, attribute}}
		}
		return map[string]any{"Fn::GetAtt": v}
	case "Sub", "Join", "Select", "Split", "FindInMap", "Base64", "If", "Equals", "Not", "And", "Or",
		"ImportValue", "GetAZs", "Cidr", "Transform", "Length", "ToJsonString":
		return map[string]any{"Fn::" + name: v}
	}
	return v
}

// intrinsic reports whether v is the long form of an intrinsic function: a
// map with a single key that is Ref or Fn::Something.
func intrinsic(v any) (name string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// stringify renders a scalar the way SAM passes it to a process environment:
// booleans in lower case, numbers without exponent noise, and nothing for
// lists, maps and null.
func stringify(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case unresolved:
		return string(v), true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatFloat(v, 'f', 1, 64), true
		}
		return strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}
