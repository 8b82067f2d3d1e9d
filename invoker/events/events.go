// Package events is lambdadeck's gallery of sample events: the event types
// `sam local generate-event` offers, plus the ones lambdadeck users ask for
// (EventBridge, Cognito user pool triggers, Kafka, IoT, S3 Object Lambda,
// function URLs, SQS batches). Each template is an embedded JSON file written
// from the event shapes AWS documents, rendered with parameters (bucket, key,
// queue name...) that are JSON-escaped, so no value can break the document.
package events

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

//go:embed templates
var templateFiles embed.FS

// Service is one AWS service and the events it can send to a function.
type Service struct {
	Name        string     // e.g. s3, as typed on the command line
	Description string     // e.g. Amazon S3
	Events      []Template // sorted by name
}

// Template is one sample event of a service.
type Template struct {
	Service     string
	Name        string // e.g. put
	Description string // one line
	Params      []Param
	file        string // path under templates/
}

// Param is one value a template lets the user set.
type Param struct {
	Name        string // flag name, e.g. queue-name
	Default     string
	Description string
	Kind        ParamKind
	// Encoding says how the value appears in the event when it is not
	// verbatim: "base64", "url" (S3's key encoding) or "gzip" (inside a
	// gzipped, base64-encoded payload, as CloudWatch Logs sends it).
	Encoding string
}

// ParamKind is the type of value a parameter takes.
type ParamKind int

const (
	// KindString is any text.
	KindString ParamKind = iota
	// KindInt is a whole number between MinCount and MaxCount.
	KindInt
	// KindJSON is a JSON document, inserted as is (for example an
	// EventBridge detail).
	KindJSON
)

// The bounds of KindInt parameters (record counts).
const (
	MinCount = 1
	MaxCount = 100
)

// Services returns every service with its events, sorted by name.
func Services() []Service {
	byName := map[string]*Service{}
	for _, t := range catalog() {
		s, ok := byName[t.Service]
		if !ok {
			s = &Service{Name: t.Service, Description: serviceDescription(t.Service)}
			byName[t.Service] = s
		}
		s.Events = append(s.Events, t)
	}
	out := make([]Service, 0, len(byName))
	for _, s := range byName {
		sort.Slice(s.Events, func(i, j int) bool { return s.Events[i].Name < s.Events[j].Name })
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupService returns the service called name, or an ENOTFOUND error that
// suggests the closest names.
func LookupService(name string) (Service, error) {
	services := Services()
	names := make([]string, len(services))
	for i, s := range services {
		if s.Name == name {
			return s, nil
		}
		names[i] = s.Name
	}
	return Service{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "unknown service %q%s", name, didYouMean(name, names))
}

// Lookup returns the template of one event of one service, or an ENOTFOUND
// error that suggests the closest names.
func Lookup(service, event string) (Template, error) {
	s, err := LookupService(service)
	if err != nil {
		return Template{}, err
	}
	names := make([]string, len(s.Events))
	for i, t := range s.Events {
		if t.Name == event {
			return t, nil
		}
		names[i] = t.Name
	}
	hint := didYouMean(event, names)
	if hint == "" {
		hint = "; " + service + " has: " + strings.Join(names, ", ")
	}
	return Template{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "unknown %s event %q%s", service, event, hint)
}

// Param returns the parameter called name and whether the template has it.
func (t Template) Param(name string) (Param, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ParamNames returns the names of the template's parameters, in order.
func (t Template) ParamNames() []string {
	names := make([]string, len(t.Params))
	for i, p := range t.Params {
		names[i] = p.Name
	}
	return names
}

// Render returns the event with params applied over the defaults, as
// indented JSON ending in a newline. A parameter the template does not have,
// or a value of the wrong kind, is an EINVALID error.
func (t Template) Render(params map[string]string) ([]byte, error) {
	values := make(map[string]string, len(t.Params))
	for _, p := range t.Params {
		values[p.Name] = p.Default
	}
	for name, v := range params {
		p, ok := t.Param(name)
		if !ok {
			known := "it takes no parameters"
			if len(t.Params) > 0 {
				known = "known: " + strings.Join(t.ParamNames(), ", ")
			}
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s has no parameter %q; %s", t.Service, t.Name, name, known)
		}
		if err := p.check(v); err != nil {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s: parameter %s: %v", t.Service, t.Name, name, err)
		}
		values[name] = v
	}
	raw, err := t.execute(values)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(raw), "", "  "); err != nil {
		return nil, fmt.Errorf("template %s produced invalid JSON: %w", t.file, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// check reports whether v is a value of p's kind.
func (p Param) check(v string) error {
	switch p.Kind {
	case KindInt:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < MinCount || n > MaxCount {
			return fmt.Errorf("want a whole number from %d to %d, got %q", MinCount, MaxCount, v)
		}
	case KindJSON:
		if !json.Valid([]byte(v)) {
			return fmt.Errorf("want a JSON document, got %q", v)
		}
	}
	return nil
}

// didYouMean returns "; did you mean a, b?" naming the candidates closest to
// name, or "" when none is close.
func didYouMean(name string, candidates []string) string {
	type scored struct {
		name     string
		distance int
	}
	var close []scored
	lower := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(lower, strings.ToLower(c))
		limit := max(2, len(c)/3)
		if d <= limit || (len(lower) >= 3 && (strings.Contains(c, lower) || strings.Contains(lower, c))) {
			close = append(close, scored{c, d})
		}
	}
	if len(close) == 0 {
		return ""
	}
	sort.SliceStable(close, func(i, j int) bool { return close[i].distance < close[j].distance })
	if len(close) > 3 {
		close = close[:3]
	}
	names := make([]string, len(close))
	for i, c := range close {
		names[i] = c.name
	}
	return "; did you mean " + strings.Join(names, ", ") + "?"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
