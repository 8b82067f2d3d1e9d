package expect

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// An Assertion is one parsed check of the form `<path> <op> <value>`, such
// as `statusCode == 200`, `body.message contains "ok"` or
// `duration < 500ms`.
//
// The path starts at one of these roots:
//   - a field of the response (the payload): `statusCode`, `body.message`,
//     `items[0].id`, `headers["Content-Type"]`. A string that holds JSON,
//     as API Gateway's `body` does, is parsed on the way down. `response`
//     names the whole payload, and `response.status` reaches a response
//     field named like one of the roots below.
//   - `error`: the function error, with `error.type`, `error.message` and
//     `error.stack`; `error !exists` checks that the invocation did not fail.
//   - `status`: the invocation's status (succeeded, failed, timed_out,
//     crashed, ...).
//   - `duration`: how long the handler ran; compared with a duration
//     (`500ms`, `2s`) or a number of milliseconds.
//   - `memory`: the peak memory used; compared with a size (`64MB`) or a
//     number of MB.
//   - `cold`: whether the invocation started a new instance.
//   - `logs`: the invocation's log text.
//
// The operators are ==, !=, <, <=, >, >=, contains (a substring, an array
// element or an object key or subset), matches (an RE2 regular expression
// given as a JSON string), exists and !exists (which take no value). Values
// are JSON literals (`200`, `"ok"`, `true`, `null`, arrays and objects),
// durations or sizes.
type Assertion struct {
	text string
	root root
	path []segment // inside the root: the response or the error
	op   string

	value any            // a decoded JSON value
	dur   time.Duration  // for duration
	mb    *big.Rat       // for memory
	re    *regexp.Regexp // for matches
}

type root int

const (
	rootResponse root = iota
	rootError
	rootStatus
	rootDuration
	rootMemory
	rootCold
	rootLogs
)

// scalarRoots are the roots that name a single value of the invocation.
var scalarRoots = map[string]root{
	"status":   rootStatus,
	"duration": rootDuration,
	"memory":   rootMemory,
	"cold":     rootCold,
	"logs":     rootLogs,
}

// segment is one step of a path: an object key or an array index.
type segment struct {
	key   string
	index int
	isKey bool
}

func (s segment) String() string {
	if s.isKey {
		return childKey("", s.key)
	}
	return childIndex("", s.index)
}

// operators, longest first where one is a prefix of another.
var operators = []string{"!exists", "exists", "contains", "matches", "==", "!=", "<=", ">=", "<", ">"}

const operatorList = "==, !=, <, <=, >, >=, contains, matches, exists, !exists"

// String returns the assertion as written.
func (a Assertion) String() string { return a.text }

// ParseAssertion parses one assertion. Its errors say what is wrong and
// where, in words meant for the person who wrote it.
func ParseAssertion(s string) (Assertion, error) {
	a := Assertion{text: strings.TrimSpace(s)}
	if a.text == "" {
		return a, fmt.Errorf("empty assertion")
	}
	names, rest, err := parsePath(a.text)
	if err != nil {
		return a, err
	}
	if err := a.setRoot(names); err != nil {
		return a, err
	}

	rest = strings.TrimLeft(rest, " \t")
	for _, op := range operators {
		if !strings.HasPrefix(rest, op) {
			continue
		}
		word := op[len(op)-1] >= 'a' && op[len(op)-1] <= 'z'
		if word && len(rest) > len(op) && rest[len(op)] != ' ' && rest[len(op)] != '\t' {
			continue
		}
		a.op = op
		rest = strings.TrimSpace(rest[len(op):])
		break
	}
	if a.op == "" {
		found := rest
		if i := strings.IndexAny(found, " \t"); i >= 0 {
			found = found[:i]
		}
		if found == "" {
			return a, fmt.Errorf("expected an operator after %s (%s)", pathText(names), operatorList)
		}
		return a, fmt.Errorf("unknown operator %q after %s; use one of %s", found, pathText(names), operatorList)
	}
	if a.op == "exists" || a.op == "!exists" {
		if rest != "" {
			return a, fmt.Errorf("%s takes no value, got %q", a.op, rest)
		}
		return a, nil
	}
	if rest == "" {
		return a, fmt.Errorf("expected a value after %s", a.op)
	}
	return a, a.setValue(rest)
}

// parsePath reads the path at the start of s and returns its segments and
// what follows it.
func parsePath(s string) ([]segment, string, error) {
	var segs []segment
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if c := s[i+1:]; strings.HasPrefix(c, `"`) {
				// A quoted key may itself hold ']': find the closing quote.
				q, err := strconv.QuotedPrefix(c)
				if err != nil {
					return nil, "", fmt.Errorf("unterminated quoted key in %q", s[:min(len(s), i+20)])
				}
				key, _ := strconv.Unquote(q)
				j := i + 1 + len(q)
				if j >= len(s) || s[j] != ']' {
					return nil, "", fmt.Errorf("expected ] after %s", q)
				}
				segs = append(segs, segment{key: key, isKey: true})
				i = j + 1
				continue
			}
			if end < 0 {
				return nil, "", fmt.Errorf("missing ] in the path")
			}
			inner := s[i+1 : i+end]
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, "", fmt.Errorf("[%s] is neither an array index nor a quoted key (write [0] or [\"key\"])", inner)
			}
			segs = append(segs, segment{index: n})
			i += end + 1
		case c == '.':
			if len(segs) == 0 {
				return nil, "", fmt.Errorf("a path cannot start with a dot")
			}
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, "", fmt.Errorf("expected a name after the dot in %q", s[:j])
			}
			segs = append(segs, segment{key: s[i+1 : j], isKey: true})
			i = j
		case isNameByte(c) && len(segs) == 0:
			j := i
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			segs = append(segs, segment{key: s[i:j], isKey: true})
			i = j
		default:
			if len(segs) == 0 {
				return nil, "", fmt.Errorf("expected a path (such as statusCode, body.message or error.type) at the start, got %q", s)
			}
			return segs, s[i:], nil
		}
	}
	return segs, "", nil
}

func pathText(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		if i == 0 && s.isKey && isName(s.key) {
			b.WriteString(s.key)
			continue
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// setRoot decides what the path names.
func (a *Assertion) setRoot(segs []segment) error {
	first := segs[0]
	if first.isKey {
		if r, ok := scalarRoots[first.key]; ok {
			if len(segs) > 1 {
				return fmt.Errorf("%s has no fields; for a response field write response.%s", first.key, pathText(segs))
			}
			a.root = r
			return nil
		}
		switch first.key {
		case "error":
			a.root, a.path = rootError, segs[1:]
			return nil
		case "response":
			a.root, a.path = rootResponse, segs[1:]
			return nil
		}
	}
	a.root, a.path = rootResponse, segs
	return nil
}

var sizePattern = regexp.MustCompile(`^(?i)(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$`)

// setValue parses the value and checks that it suits the root and the
// operator.
func (a *Assertion) setValue(text string) error {
	switch a.root {
	case rootDuration:
		if a.op == "contains" || a.op == "matches" {
			return fmt.Errorf("duration takes ==, !=, <, <=, > or >=, not %s", a.op)
		}
		if d, err := time.ParseDuration(text); err == nil {
			a.dur = d
			return nil
		}
		if r, ok := new(big.Rat).SetString(text); ok {
			ms, _ := r.Float64()
			a.dur = time.Duration(ms * float64(time.Millisecond))
			return nil
		}
		return fmt.Errorf("duration compares with a duration such as 500ms or 2s, got %s", text)
	case rootMemory:
		if a.op == "contains" || a.op == "matches" {
			return fmt.Errorf("memory takes ==, !=, <, <=, > or >=, not %s", a.op)
		}
		if mb, ok := parseSize(text); ok {
			a.mb = mb
			return nil
		}
		if r, ok := new(big.Rat).SetString(text); ok {
			a.mb = r
			return nil
		}
		return fmt.Errorf("memory compares with a size such as 64MB, got %s", text)
	}

	v, err := decodeJSON([]byte(text))
	if err != nil {
		if _, derr := time.ParseDuration(text); derr == nil {
			return fmt.Errorf("a duration such as %s compares only with duration", text)
		}
		if _, ok := parseSize(text); ok {
			return fmt.Errorf("a size such as %s compares only with memory", text)
		}
		return fmt.Errorf("value %s is not a JSON literal (200, \"ok\", true, null); quote strings: %q", text, text)
	}
	a.value = v
	switch a.op {
	case "<", "<=", ">", ">=":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%s compares numbers, got %s", a.op, text)
		}
	case "matches":
		pattern, ok := v.(string)
		if !ok {
			return fmt.Errorf("matches takes a regular expression as a JSON string, got %s", text)
		}
		if a.re, err = regexp.Compile(pattern); err != nil {
			return fmt.Errorf("bad regular expression %s: %v", text, err)
		}
	}
	switch a.root {
	case rootStatus:
		s, ok := v.(string)
		if (a.op == "==" || a.op == "!=") && (!ok || !lambdadeck.Status(s).Valid()) {
			return fmt.Errorf("status is one of %s, got %s", statusList(), text)
		}
	case rootCold:
		if _, ok := v.(bool); !ok || (a.op != "==" && a.op != "!=") {
			return fmt.Errorf("cold takes == or != with true or false")
		}
	}
	return nil
}

// parseSize reads a size such as 64MB as MB (1 MB = 1024 KB, as Lambda
// counts).
func parseSize(text string) (*big.Rat, bool) {
	m := sizePattern.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	n, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return nil, false
	}
	switch strings.ToLower(m[2]) {
	case "b":
		n.Quo(n, big.NewRat(1024*1024, 1))
	case "kb", "kib":
		n.Quo(n, big.NewRat(1024, 1))
	case "gb", "gib":
		n.Mul(n, big.NewRat(1024, 1))
	}
	return n, true
}

func statusList() string {
	names := make([]string, len(lambdadeck.Statuses))
	for i, s := range lambdadeck.Statuses {
		names[i] = strconv.Quote(string(s))
	}
	return strings.Join(names, ", ")
}

// Check runs the assertion on inv and returns, when it does not hold, why
// in words.
func (a Assertion) Check(inv *lambdadeck.Invocation) (failure string, ok bool) {
	switch a.root {
	case rootDuration:
		return a.compareOrdered(big.NewRat(int64(inv.Duration), 1), big.NewRat(int64(a.dur), 1),
			"took "+inv.Duration.Round(10*time.Microsecond).String())
	case rootMemory:
		return a.compareOrdered(big.NewRat(int64(inv.MaxMemoryUsedMB), 1), a.mb,
			fmt.Sprintf("used %d MB", inv.MaxMemoryUsedMB))
	}

	got, found, missing := a.resolve(inv)
	switch a.op {
	case "exists":
		if !found {
			return a.text + ": " + missing, false
		}
		return "", true
	case "!exists":
		if found {
			return a.text + ": got " + describe(got), false
		}
		return "", true
	}
	if !found {
		return a.text + ": " + missing, false
	}
	gotText := a.text + ": got " + describe(got)
	switch a.op {
	case "==":
		return gotText, equalJSON(a.value, got)
	case "!=":
		return gotText, !equalJSON(a.value, got)
	case "<", "<=", ">", ">=":
		n, isNumber := got.(json.Number)
		r, valid := number(n)
		if !isNumber || !valid {
			return a.text + ": got " + describe(got) + ", not a number", false
		}
		want, _ := number(a.value.(json.Number))
		return a.compareOrdered(r, want, "got "+describe(got))
	case "contains":
		return gotText, contains(got, a.value)
	case "matches":
		switch g := got.(type) {
		case string:
			return gotText, a.re.MatchString(g)
		case json.Number:
			return gotText, a.re.MatchString(string(g))
		}
		return a.text + ": got " + describe(got) + ", not a string", false
	}
	return a.text + ": unknown operator", false
}

// compareOrdered applies an ordering or equality operator to got and want.
func (a Assertion) compareOrdered(got, want *big.Rat, gotText string) (string, bool) {
	c := got.Cmp(want)
	var ok bool
	switch a.op {
	case "==":
		ok = c == 0
	case "!=":
		ok = c != 0
	case "<":
		ok = c < 0
	case "<=":
		ok = c <= 0
	case ">":
		ok = c > 0
	case ">=":
		ok = c >= 0
	}
	return a.text + ": " + gotText, ok
}

// contains reports whether got contains want: a substring of a string, an
// element of an array, a key (want a string) or subset (want an object) of
// an object.
func contains(got, want any) bool {
	switch g := got.(type) {
	case string:
		if w, ok := want.(string); ok {
			return strings.Contains(g, w)
		}
		if parsed, ok := embeddedJSON(g); ok {
			return contains(parsed, want)
		}
	case []any:
		for _, e := range g {
			if containsJSON(want, e) {
				return true
			}
		}
	case map[string]any:
		if w, ok := want.(string); ok {
			_, has := g[w]
			return has
		}
		return containsJSON(want, g)
	}
	return false
}

// resolve finds the value the assertion's path names. When it is absent,
// missing says why.
func (a Assertion) resolve(inv *lambdadeck.Invocation) (got any, found bool, missing string) {
	var cur any
	prefix := ""
	switch a.root {
	case rootStatus:
		return string(inv.Status), true, ""
	case rootCold:
		return inv.Cold, true, ""
	case rootLogs:
		return inv.Logs, true, ""
	case rootError:
		if inv.Error == nil {
			return nil, false, "there was no error (status " + string(inv.Status) + ")"
		}
		errValue := map[string]any{"type": inv.Error.Type, "message": inv.Error.Message}
		if inv.Error.Stack != nil {
			stack := make([]any, len(inv.Error.Stack))
			for i, s := range inv.Error.Stack {
				stack[i] = s
			}
			errValue["stack"] = stack
		}
		cur, prefix = errValue, "error"
	default:
		cur = payloadValue(inv.Payload)
	}
	path := prefix
	for _, seg := range a.path {
		if parsed, ok := embeddedJSON(cur); ok {
			cur = parsed
		}
		if seg.isKey {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, false, fmt.Sprintf("%s is %s, not an object", displayPath(path), describe(cur))
			}
			v, ok := obj[seg.key]
			if !ok {
				return nil, false, fmt.Sprintf("no key %q at %s", seg.key, displayPath(path))
			}
			cur, path = v, childKey(path, seg.key)
			continue
		}
		arr, ok := cur.([]any)
		if !ok {
			return nil, false, fmt.Sprintf("%s is %s, not an array", displayPath(path), describe(cur))
		}
		if seg.index >= len(arr) {
			return nil, false, fmt.Sprintf("%s has %d elements, no [%d]", displayPath(path), len(arr), seg.index)
		}
		cur, path = arr[seg.index], childIndex(path, seg.index)
	}
	return cur, true, ""
}
