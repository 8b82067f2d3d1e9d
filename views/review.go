package views

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/views/diff"
)

// CompareSide is one side of a comparison: an invocation (its parts
// perhaps only their first HeadBytes), or a fixture's expectation.
type CompareSide struct {
	Label      string // "A", "B", or "Expected"
	Invocation lambdadeck.Invocation
	Sizes      PartSizes
	// Expected is set for a fixture's expectation: only the response is
	// known, and the figures are not shown.
	Expected bool
	URL      string // the invocation's or the fixture's page
}

// ComparePage compares two invocations side by side, or a fixture's
// expected response with its latest run.
type ComparePage struct {
	Page
	A, B     CompareSide
	Event    diff.JSONResult
	Response diff.JSONResult
	Logs     []diff.Line
	Stack    []diff.Line
	Figures  []FigureRow
	// Notes say which parts were compared by their first bytes only.
	Notes     []string
	ExportURL string // the comparison as a bundle; empty for an expectation
	SwapURL   string // the same comparison, sides swapped
}

// FigureRow is one compared figure or setting.
type FigureRow struct {
	Group   string // "Outcome", "Configuration", "Code"
	Name    string
	A, B    string
	Differs bool
}

// NewComparePage compares a with b. The invocations may hold only the
// first HeadBytes of their parts: the notes then say so.
func NewComparePage(page Page, a, b CompareSide) ComparePage {
	p := ComparePage{Page: page, A: a, B: b}
	ai, bi := a.Invocation, b.Invocation
	for _, part := range []struct {
		name   string
		sa, sb int
		la, lb int
	}{
		{"event", a.Sizes.Event, b.Sizes.Event, len(ai.Event), len(bi.Event)},
		{"response", a.Sizes.Payload, b.Sizes.Payload, len(ai.Payload), len(bi.Payload)},
		{"log", a.Sizes.Logs, b.Sizes.Logs, len(ai.Logs), len(bi.Logs)},
	} {
		if part.sa > part.la || part.sb > part.lb {
			p.Notes = append(p.Notes, fmt.Sprintf("The %s is large (%s and %s): only its first %s on each side are compared.",
				part.name, sizeLabel(max(part.sa, part.la)), sizeLabel(max(part.sb, part.lb)), sizeLabel(HeadBytes)))
		}
	}
	if !a.Expected {
		p.Event = diff.JSON(ai.Event, bi.Event)
		p.Logs = diff.Logs(ai.Logs, bi.Logs)
	}
	p.Response = diff.JSON(ai.Payload, bi.Payload)
	p.Stack = diff.Lines(stackText(ai.Error), stackText(bi.Error), nil)
	p.Figures = compareFigures(a, b)
	return p
}

func stackText(e *lambdadeck.FunctionError) string {
	if e == nil {
		return ""
	}
	return strings.Join(e.Stack, "\n")
}

// compareFigures lists the figures, settings and versions of both sides.
func compareFigures(a, b CompareSide) []FigureRow {
	var rows []FigureRow
	add := func(group, name, va, vb string) {
		rows = append(rows, FigureRow{Group: group, Name: name, A: va, B: vb, Differs: va != vb})
	}
	ai, bi := a.Invocation, b.Invocation
	errType := func(inv lambdadeck.Invocation) string {
		if inv.Error == nil {
			return "—"
		}
		return inv.Error.Type
	}
	errMsg := func(inv lambdadeck.Invocation) string {
		if inv.Error == nil {
			return "—"
		}
		return inv.Error.Message
	}
	if a.Expected {
		add("Outcome", "Error type", "—", errType(bi))
		return rows
	}
	add("Outcome", "Status", statusLabel(ai.Status), statusLabel(bi.Status))
	add("Outcome", "Error type", errType(ai), errType(bi))
	add("Outcome", "Error message", errMsg(ai), errMsg(bi))
	add("Outcome", "Duration", millis(ai.Duration), millis(bi.Duration))
	add("Outcome", "Init duration", initLabel(ai), initLabel(bi))
	add("Outcome", "Billed duration", wholeMillis(ai.BilledDuration), wholeMillis(bi.BilledDuration))
	add("Outcome", "Max memory used", megabytes(ai.MaxMemoryUsedMB), megabytes(bi.MaxMemoryUsedMB))
	add("Outcome", "Start", coldLabel(ai.Cold), coldLabel(bi.Cold))
	add("Outcome", "Started at", timestamp(ai.StartedAt), timestamp(bi.StartedAt))
	add("Outcome", "Source", sourceLabel(ai), sourceLabel(bi))
	for _, r := range configRows(ai.Config, bi.Config, ai.MemorySizeMB, bi.MemorySizeMB) {
		add("Configuration", r[0], r[1], r[2])
	}
	add("Code", "Code version", CodeLabel(ai.Code), CodeLabel(bi.Code))
	add("Code", "Git commit", codeCommit(ai.Code), codeCommit(bi.Code))
	add("Code", "Uncommitted changes", codeDirty(ai.Code), codeDirty(bi.Code))
	add("Code", "Content hash", codeHash(ai.Code), codeHash(bi.Code))
	// Differences that are always there (times) are not differences worth
	// a highlight.
	for i := range rows {
		if rows[i].Name == "Started at" {
			rows[i].Differs = false
		}
	}
	return rows
}

func initLabel(inv lambdadeck.Invocation) string {
	if !inv.Cold {
		return "—"
	}
	return millis(inv.InitDuration)
}

func sourceLabel(inv lambdadeck.Invocation) string {
	s := string(inv.Source)
	if inv.Imported != nil {
		s += " (imported from " + inv.Imported.Server + ")"
	}
	return s
}

// configRows are the rows of two configuration snapshots (nil: not
// recorded), with memorySize from the invocation when there is none.
func configRows(a, b *lambdadeck.RunConfig, memA, memB int) [][3]string {
	get := func(c *lambdadeck.RunConfig, mem int) []string {
		if c == nil {
			return []string{"not recorded", "not recorded", megabytes(mem), "not recorded", "not recorded", "not recorded", "not recorded", "not recorded"}
		}
		names := "none"
		if len(c.EnvNames) > 0 {
			names = strings.Join(c.EnvNames, ", ")
		}
		hash := "—"
		if c.EnvHash != "" {
			hash = shortHash(c.EnvHash)
		}
		interp := c.Interpreter
		if interp == "" {
			interp = "—"
		}
		return []string{c.Runtime, c.Handler, megabytes(c.MemoryMB), c.Timeout.String(), c.Architecture, names, hash, interp}
	}
	va, vb := get(a, memA), get(b, memB)
	names := []string{"Runtime", "Handler", "Memory size", "Timeout", "Architecture", "Environment variables", "Environment values (hash)", "Local interpreter"}
	rows := make([][3]string, len(names))
	for i, n := range names {
		rows[i] = [3]string{n, va[i], vb[i]}
	}
	return rows
}

// CodeLabel names a code version for people: "a1b2c3d4e5f6", with
// "+ uncommitted changes" or "content a1b2…" as the case may be.
func CodeLabel(v *lambdadeck.CodeVersion) string {
	switch {
	case v == nil:
		return "not recorded"
	case v.Commit == "":
		return "not in git, content " + shortHash(v.ContentHash)
	case v.Dirty:
		return shortHash(v.Commit) + " + uncommitted changes (" + shortHash(v.ContentHash) + ")"
	}
	return shortHash(v.Commit)
}

func codeCommit(v *lambdadeck.CodeVersion) string {
	if v == nil || v.Commit == "" {
		return "—"
	}
	return v.Commit
}

func codeDirty(v *lambdadeck.CodeVersion) string {
	switch {
	case v == nil || v.Commit == "":
		return "—"
	case v.Dirty:
		return "yes"
	}
	return "no"
}

func codeHash(v *lambdadeck.CodeVersion) string {
	if v == nil || v.ContentHash == "" {
		return "—"
	}
	return v.ContentHash
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// codeHistoryURL lists the invocations of one code version.
func codeHistoryURL(function string, v *lambdadeck.CodeVersion) templ.SafeURL {
	q := url.Values{"code": {v.Key()}}
	if function != "" {
		q.Set("function", function)
	}
	return templ.SafeURL("/invocations?" + q.Encode())
}

// compareURL is the comparison of two invocations.
func compareURL(a, b string) templ.SafeURL {
	return templ.SafeURL("/compare/" + url.PathEscape(a) + "/" + url.PathEscape(b))
}

// CompareURL is compareURL as a string, for the web layer's redirects.
func CompareURL(a, b string) string { return string(compareURL(a, b)) }

func exportURL(requestID string) templ.SafeURL {
	return templ.SafeURL("/invocations/" + url.PathEscape(requestID) + "/export")
}

func previousURL(requestID string) templ.SafeURL {
	return templ.SafeURL("/invocations/" + url.PathEscape(requestID) + "/compare-previous")
}

func importedLabel(o *lambdadeck.ImportOrigin) string {
	return "imported from " + o.Server + " on " + o.ImportedAt.UTC().Format(time.DateTime) + " UTC"
}

// lineClass is the CSS class of a diff row.
func lineClass(k diff.LineKind) string { return "diff-" + string(k) }

// changeClass is the CSS class of a change row.
func changeClass(k diff.Kind) string { return "diff-" + string(k) }

// lineNo shows a line number, blank for none.
func lineNo(n int) string {
	if n == 0 {
		return ""
	}
	return itoa(n)
}

// hasDifference reports whether any row of a line diff differs.
func hasDifference(lines []diff.Line) bool {
	for _, l := range lines {
		if l.Kind != diff.Same {
			return true
		}
	}
	return false
}

// ImportResult is the page after an import.
type ImportResult struct {
	Page
	Server     string // where the bundle came from
	Added      []string
	Present    []string // request ids already here, left as they were
	HistoryURL string
}
