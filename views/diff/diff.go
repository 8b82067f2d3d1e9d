// Package diff compares two invocations' parts for the comparison page: a
// structural diff of JSON documents (which keys were added, removed or
// changed, by JSON path) and a line diff of logs in which request ids,
// timestamps and measured figures are masked first, so that only real
// differences show. It is pure: no store, invoker or web imports.
package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/wI2L/jsondiff"
)

// MaxBytes is how much of each side the comparison reads: past it a part
// is compared by its first MaxBytes only, and the page says so.
const MaxBytes = 256 << 10

// MaxChanges caps the changes listed for one pair of documents.
const MaxChanges = 500

// maxValueBytes caps one shown value of a change.
const maxValueBytes = 2048

// Kind is what happened to a value between the two sides.
type Kind string

const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed"
)

// Change is one difference between two JSON documents.
type Change struct {
	Kind Kind
	// Path is the value's JSON Pointer (RFC 6901), e.g. /body/items/0;
	// empty for the whole document.
	Path string
	Old  string // compact JSON of the left side's value; empty when Added
	New  string // compact JSON of the right side's value; empty when Removed
}

// DisplayPath is Path for people: "(whole document)" for the root.
func (c Change) DisplayPath() string {
	if c.Path == "" {
		return "(whole document)"
	}
	return c.Path
}

// JSONResult is the structural comparison of two documents.
type JSONResult struct {
	// Comparable is false when a side is not JSON (a text or binary
	// response, or one cut at MaxBytes): Lines then holds a line diff.
	Comparable bool
	Changes    []Change
	// More counts the changes beyond MaxChanges, not listed.
	More  int
	Lines []Line
}

// Equal reports whether no difference was found.
func (r JSONResult) Equal() bool {
	if r.Comparable {
		return len(r.Changes) == 0
	}
	for _, l := range r.Lines {
		if l.Kind != Same {
			return false
		}
	}
	return true
}

// JSON compares two JSON documents structurally with
// github.com/wI2L/jsondiff (an RFC 6902 patch from a to b, read back as
// changes by path). Either side may be empty (absent). When either is not
// valid JSON the sides are compared as text, line by line.
func JSON(a, b []byte) JSONResult {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) == 0 {
		a = []byte("null")
	}
	if len(b) == 0 {
		b = []byte("null")
	}
	if !json.Valid(a) || !json.Valid(b) {
		return JSONResult{Lines: Lines(string(a), string(b), nil)}
	}
	patch, err := jsondiff.CompareJSON(a, b)
	if err != nil {
		return JSONResult{Lines: Lines(string(a), string(b), nil)}
	}
	r := JSONResult{Comparable: true}
	for _, op := range patch {
		var c Change
		switch op.Type {
		case jsondiff.OperationAdd:
			c = Change{Kind: Added, Path: op.Path, New: compact(op.Value)}
			if op.Path == "" {
				// The whole document was replaced by one of another type.
				c = Change{Kind: Changed, Old: compactJSON(a), New: compact(op.Value)}
			}
			if strings.HasSuffix(op.Path, "/-") {
				// jsondiff appends to arrays with "-"; name the index.
				c.Path = arrayIndex(b, strings.TrimSuffix(op.Path, "/-"), op.Path)
			}
		case jsondiff.OperationRemove:
			c = Change{Kind: Removed, Path: op.Path, Old: compact(op.OldValue)}
		case jsondiff.OperationReplace:
			c = Change{Kind: Changed, Path: op.Path, Old: compact(op.OldValue), New: compact(op.Value)}
		default:
			continue // test, move and copy are not produced without options
		}
		if len(r.Changes) == MaxChanges {
			r.More++
			continue
		}
		r.Changes = append(r.Changes, c)
	}
	return r
}

// arrayIndex resolves an append ("/-") in the patch to the index the
// value has in doc, when the array at ptr can be found; else fallback.
func arrayIndex(doc []byte, ptr, fallback string) string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return fallback
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return fallback
			}
			v = x[i]
		default:
			return fallback
		}
	}
	if arr, ok := v.([]any); ok {
		return fmt.Sprintf("%s/%d", ptr, len(arr)-1)
	}
	return fallback
}

// compactJSON is doc, valid JSON, compacted and cut to maxValueBytes.
func compactJSON(doc []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, doc) != nil {
		return ""
	}
	if buf.Len() > maxValueBytes {
		return buf.String()[:maxValueBytes] + "…"
	}
	return buf.String()
}

// compact renders v as compact JSON, cut to maxValueBytes.
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > maxValueBytes {
		return string(b[:maxValueBytes]) + "…"
	}
	return string(b)
}

// LineKind is how a line of a line diff compares.
type LineKind string

const (
	Same     LineKind = "same"
	Inserted LineKind = "inserted" // only on the right
	Deleted  LineKind = "deleted"  // only on the left
	Replaced LineKind = "replaced" // both sides differ here
)

// Line is one row of a side-by-side line diff: the left and right text as
// they were (not masked); a side is empty when the line exists on one side
// only.
type Line struct {
	Kind        LineKind
	Left, Right string
	// LeftNo and RightNo are 1-based line numbers, 0 when absent.
	LeftNo, RightNo int
}

// MaxLines caps a line diff's rows.
const MaxLines = 2000

// Lines diffs two texts line by line (difflib's sequence matcher, as
// Python's difflib). Lines are compared after mask (nil compares them
// as they are); the rows show them unmasked.
func Lines(a, b string, mask func(string) string) []Line {
	left, right := splitLines(a), splitLines(b)
	cmpL, cmpR := left, right
	if mask != nil {
		cmpL, cmpR = make([]string, len(left)), make([]string, len(right))
		for i, l := range left {
			cmpL[i] = mask(l)
		}
		for i, l := range right {
			cmpR[i] = mask(l)
		}
	}
	m := difflib.NewMatcherWithJunk(cmpL, cmpR, false, nil)
	var rows []Line
	add := func(l Line) bool {
		if len(rows) >= MaxLines {
			return false
		}
		rows = append(rows, l)
		return true
	}
	for _, op := range m.GetOpCodes() {
		switch op.Tag {
		case 'e':
			for i, j := op.I1, op.J1; i < op.I2; i, j = i+1, j+1 {
				if !add(Line{Kind: Same, Left: left[i], Right: right[j], LeftNo: i + 1, RightNo: j + 1}) {
					return rows
				}
			}
		case 'd':
			for i := op.I1; i < op.I2; i++ {
				if !add(Line{Kind: Deleted, Left: left[i], LeftNo: i + 1}) {
					return rows
				}
			}
		case 'i':
			for j := op.J1; j < op.J2; j++ {
				if !add(Line{Kind: Inserted, Right: right[j], RightNo: j + 1}) {
					return rows
				}
			}
		case 'r':
			n := max(op.I2-op.I1, op.J2-op.J1)
			for k := 0; k < n; k++ {
				l := Line{Kind: Replaced}
				i, j := op.I1+k, op.J1+k
				if i < op.I2 {
					l.Left, l.LeftNo = left[i], i+1
				} else {
					l.Kind = Inserted
				}
				if j < op.J2 {
					l.Right, l.RightNo = right[j], j+1
				} else {
					l.Kind = Deleted
				}
				if !add(l) {
					return rows
				}
			}
		}
	}
	return rows
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Masks of NormaliseLog, in order.
var (
	uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	// ISO 8601 / RFC 3339 timestamps, as Lambda's log lines and JSON log
	// records write them.
	timePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?`)
	// Measured figures: "12.34 ms", "Max Memory Used: 41 MB", and the
	// platform records' JSON fields.
	msPattern     = regexp.MustCompile(`\b\d+(?:\.\d+)?\s?ms\b`)
	memoryPattern = regexp.MustCompile(`(Max Memory Used: )\d+( MB)`)
	jsonFigures   = regexp.MustCompile(`("(?:durationMs|billedDurationMs|initDurationMs|maxMemoryUsedMB|producedBytes)"\s*:\s*)\d+(?:\.\d+)?`)
	traceID       = regexp.MustCompile(`Root=1-[0-9a-f]{8}-[0-9a-f]{24}(?:;Parent=[0-9a-f]{16})?(?:;Sampled=[01])?`)
)

// NormaliseLog masks what differs between any two runs of the same code
// in one log line: request ids, trace ids, timestamps, durations and the
// memory measured.
func NormaliseLog(line string) string {
	line = uuidPattern.ReplaceAllString(line, "<request-id>")
	line = traceID.ReplaceAllString(line, "<trace-id>")
	line = timePattern.ReplaceAllString(line, "<time>")
	line = jsonFigures.ReplaceAllString(line, "${1}<n>")
	line = memoryPattern.ReplaceAllString(line, "${1}<n>${2}")
	line = msPattern.ReplaceAllString(line, "<n> ms")
	return line
}

// Logs diffs two logs line by line with NormaliseLog masking.
func Logs(a, b string) []Line { return Lines(a, b, NormaliseLog) }
