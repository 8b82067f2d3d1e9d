package expect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lambdadeck/lambdadeck"
)

// The built-in variables, available in every event.
const (
	VarUUID      = "uuid"      // a random UUID
	VarNow       = "now"       // the time, RFC 3339 in UTC
	VarTimestamp = "timestamp" // the time in unix milliseconds
	VarDate      = "date"      // the date, YYYY-MM-DD in UTC
)

// Builtins returns the names of the built-in variables, sorted.
func Builtins() []string { return []string{VarDate, VarNow, VarTimestamp, VarUUID} }

// Expand replaces each {{name}} placeholder inside the event's JSON strings
// (values and keys) with the variable's value, JSON-escaped: substitution is
// always textual, so "{{count}}" becomes the string "3", never the number.
// Placeholders outside strings are left alone. Spaces inside the braces are
// allowed ({{ name }}).
//
// Variables come from vars, then the built-ins {{uuid}}, {{now}},
// {{timestamp}} and {{date}}; a variable in vars with a built-in's name
// overrides it. Each built-in takes one value per call, so an event that
// says {{uuid}} twice gets the same UUID twice. An unknown variable is
// EINVALID, naming it and the known ones. An event without placeholders is
// returned as it is.
func Expand(event []byte, vars map[string]string) ([]byte, error) {
	return expander{now: time.Now, newUUID: uuid.NewString}.expand(event, vars)
}

// expander holds Expand's sources of time and randomness.
type expander struct {
	now     func() time.Time
	newUUID func() string
}

func (x expander) expand(event []byte, vars map[string]string) ([]byte, error) {
	if !bytes.Contains(event, []byte("{{")) {
		return event, nil
	}
	var (
		out      = make([]byte, 0, len(event)+64)
		inString bool
		unknown  []string
		builtins map[string]string
	)
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		if builtins == nil {
			now := x.now().UTC()
			builtins = map[string]string{
				VarUUID:      x.newUUID(),
				VarNow:       now.Format(time.RFC3339),
				VarTimestamp: strconv.FormatInt(now.UnixMilli(), 10),
				VarDate:      now.Format(time.DateOnly),
			}
		}
		v, ok := builtins[name]
		return v, ok
	}
	for i := 0; i < len(event); i++ {
		c := event[i]
		if !inString {
			inString = c == '"'
			out = append(out, c)
			continue
		}
		switch {
		case c == '\\' && i+1 < len(event):
			out = append(out, c, event[i+1])
			i++
			continue
		case c == '"':
			inString = false
		case c == '{' && i+1 < len(event) && event[i+1] == '{':
			if name, length, ok := placeholderAt(event[i:]); ok {
				if v, known := lookup(name); known {
					out = append(out, escapeJSON(v)...)
				} else {
					unknown = append(unknown, name)
					out = append(out, event[i:i+length]...)
				}
				i += length - 1
				continue
			}
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		return nil, unknownVariables(unknown, vars)
	}
	return out, nil
}

// placeholderAt reads a placeholder {{name}} at the start of b and returns
// the name and the placeholder's length.
func placeholderAt(b []byte) (name string, length int, ok bool) {
	end := bytes.Index(b, []byte("}}"))
	if end < 2 {
		return "", 0, false
	}
	name = strings.TrimSpace(string(b[2:end]))
	if !lambdadeck.ValidVariableName(name) {
		return "", 0, false
	}
	return name, end + 2, true
}

// escapeJSON returns s escaped for the inside of a JSON string.
func escapeJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return b[1 : len(b)-1]
}

func unknownVariables(names []string, vars map[string]string) error {
	sort.Strings(names)
	names = compactStrings(names)
	known := Builtins()
	for k := range vars {
		known = append(known, k)
	}
	sort.Strings(known)
	known = compactStrings(known)
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "{{" + n + "}}"
	}
	noun := "variable"
	if len(names) > 1 {
		noun = "variables"
	}
	return lambdadeck.Errorf(lambdadeck.EINVALID, "unknown %s %s in the event; known: %s",
		noun, strings.Join(quoted, ", "), strings.Join(known, ", "))
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// EnvironmentFileName is the file beside the template that defines named
// environments: {"dev": {"host": "..."}, "stage": {...}}.
const EnvironmentFileName = "lambdadeck.env.json"

// EnvironmentFile returns the path of the environments file beside the
// template at templatePath.
func EnvironmentFile(templatePath string) string {
	return filepath.Join(filepath.Dir(templatePath), EnvironmentFileName)
}

// ReadEnvironmentFile reads named environments from a lambdadeck.env.json
// file. A missing file is no environments, not an error. String values are
// taken as they are; other JSON values as their JSON text (3, true, null as
// ""). A file that is not such a document is EINVALID.
func ReadEnvironmentFile(path string) (map[string]map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read %s: %v", path, err)
	}
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s must be a JSON object of environments, each an object of variables ({\"dev\": {\"host\": \"...\"}}): %v", path, err)
	}
	envs := make(map[string]map[string]string, len(doc))
	for name, vars := range doc {
		if strings.HasPrefix(name, "$") {
			continue // reserved for lambdadeck's own settings ("$aws")
		}
		if !lambdadeck.ValidVariableName(name) {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %q is not a valid environment name", path, name)
		}
		env := make(map[string]string, len(vars))
		for k, raw := range vars {
			if !lambdadeck.ValidVariableName(k) {
				return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: environment %s: %q is not a valid variable name (a letter or _, then letters, digits, _, - or .)", path, name, k)
			}
			var s string
			switch {
			case json.Unmarshal(raw, &s) == nil:
				env[k] = s
			case string(raw) == "null":
				env[k] = ""
			default:
				var compact bytes.Buffer
				if err := json.Compact(&compact, raw); err != nil {
					return nil, fmt.Errorf("expect: compact %s: %w", k, err)
				}
				env[k] = compact.String()
			}
		}
		envs[name] = env
	}
	return envs, nil
}
