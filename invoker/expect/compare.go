package expect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// maxDifferences is how many differences one comparison lists before it
// only counts the rest.
const maxDifferences = 10

// decodeJSON decodes one JSON document, keeping numbers exact
// (json.Number), and refuses trailing data.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// payloadValue is the invocation's payload as a JSON value: nothing is null,
// and a payload that is not JSON (a streamed text response) is the string it
// holds.
func payloadValue(payload []byte) any {
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil
	}
	v, err := decodeJSON(payload)
	if err != nil {
		return string(payload)
	}
	return v
}

// embeddedJSON returns the object or array a string holds, as API Gateway
// responses hold their body, or false when it holds none.
func embeddedJSON(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	parsed, err := decodeJSON([]byte(t))
	if err != nil {
		return nil, false
	}
	return parsed, true
}

// differ collects the differences between an expected and an actual JSON
// value, each with the path where it is.
type differ struct {
	// subset makes objects match when every expected key matches (extra
	// keys are fine) and arrays when every expected element matches the
	// element at its index (extra elements are fine).
	subset bool
	diffs  []string
	more   int // differences past maxDifferences
}

func (d *differ) add(path, format string, args ...any) {
	if len(d.diffs) >= maxDifferences {
		d.more++
		return
	}
	d.diffs = append(d.diffs, "at "+displayPath(path)+": "+fmt.Sprintf(format, args...))
}

func (d *differ) count() int { return len(d.diffs) + d.more }

// compare records how got differs from want at path. A string that holds
// JSON is compared as that JSON when the other side is an object or array,
// or another string holding equal JSON, so that an API Gateway body matches
// whatever its key order and spacing.
func (d *differ) compare(path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		if parsed, ok := embeddedJSON(got); ok {
			got = parsed
		}
		g, ok := got.(map[string]any)
		if !ok {
			d.add(path, "expected an object, got %s", describe(got))
			return
		}
		for _, k := range sortedKeys(w) {
			gv, present := g[k]
			if !present {
				d.add(childKey(path, k), "missing, expected %s", describe(w[k]))
				continue
			}
			d.compare(childKey(path, k), w[k], gv)
		}
		if !d.subset {
			for _, k := range sortedKeys(g) {
				if _, expected := w[k]; !expected {
					d.add(childKey(path, k), "not expected, got %s", describe(g[k]))
				}
			}
		}
	case []any:
		if parsed, ok := embeddedJSON(got); ok {
			got = parsed
		}
		g, ok := got.([]any)
		if !ok {
			d.add(path, "expected an array, got %s", describe(got))
			return
		}
		switch {
		case d.subset && len(g) < len(w):
			d.add(path, "expected at least %d elements, got %d", len(w), len(g))
		case !d.subset && len(g) != len(w):
			d.add(path, "expected %d elements, got %d", len(w), len(g))
		}
		for i := 0; i < len(w) && i < len(g); i++ {
			d.compare(childIndex(path, i), w[i], g[i])
		}
	case string:
		if g, ok := got.(string); ok && g == w {
			return
		}
		if wj, ok := embeddedJSON(w); ok {
			if _, ok := embeddedJSON(got); ok {
				d.compare(path, wj, got)
				return
			}
		}
		d.add(path, "expected %s, got %s", describe(want), describe(got))
	case json.Number:
		if g, ok := got.(json.Number); !ok || !numbersEqual(w, g) {
			d.add(path, "expected %s, got %s", describe(want), describe(got))
		}
	default: // bool, nil
		if got != want {
			d.add(path, "expected %s, got %s", describe(want), describe(got))
		}
	}
}

// equalJSON reports whether got equals want as JSON.
func equalJSON(want, got any) bool {
	d := differ{}
	d.compare("", want, got)
	return d.count() == 0
}

// containsJSON reports whether got contains want (the subset match).
func containsJSON(want, got any) bool {
	d := differ{subset: true}
	d.compare("", want, got)
	return d.count() == 0
}

// number returns n as an exact rational.
func number(n json.Number) (*big.Rat, bool) {
	return new(big.Rat).SetString(string(n))
}

func numbersEqual(a, b json.Number) bool {
	ra, okA := number(a)
	rb, okB := number(b)
	if !okA || !okB {
		return a == b
	}
	return ra.Cmp(rb) == 0
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// childKey is the path of key k inside the object at path: .k when k is a
// plain name, ["k"] otherwise.
func childKey(path, k string) string {
	if isName(k) {
		return path + "." + k
	}
	return path + "[" + strconv.Quote(k) + "]"
}

func childIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// displayPath shows the root as ".".
func displayPath(path string) string {
	if path == "" {
		return "."
	}
	return path
}

// isName reports whether s can be written after a dot in a path.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$' || c == '@'
}

// maxDescribed is how much of a value a failure message shows.
const maxDescribed = 120

// describe renders v as compact JSON for a message, shortened if long.
func describe(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	if len(s) > maxDescribed {
		cut := maxDescribed
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
