package views

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/lambdadeck/lambdadeck"
)

// statusLabel is how a status reads in a badge.
func statusLabel(s lambdadeck.Status) string {
	if s == "" {
		return "never run"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// badgeClass is the CSS class list of a status badge.
func badgeClass(s lambdadeck.Status) string {
	return "badge " + string(s)
}

// millis formats a duration as Lambda's REPORT line does for Duration and
// Init Duration: milliseconds with two decimals.
func millis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// sinceStart says how long ago t was, to a tenth of a second.
func sinceStart(t time.Time) string {
	return fmt.Sprintf("%.1f s", time.Since(t).Seconds())
}

// wholeMillis formats Billed Duration: whole milliseconds.
func wholeMillis(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// megabytes formats a memory size in MB.
func megabytes(mb int) string {
	return fmt.Sprintf("%d MB", mb)
}

// timestamp formats a time for tables and pages, in UTC with milliseconds.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

// isoTime is a machine-readable time for <time datetime>.
func isoTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// functionURL is the page of a function; the name is path-escaped.
func functionURL(name string) templ.SafeURL {
	return templ.SafeURL("/functions/" + url.PathEscape(name))
}

// invokeURL is where the invoke form posts.
func invokeURL(name string) string {
	return "/functions/" + url.PathEscape(name) + "/invoke"
}

// invocationURL is the permalink of an invocation.
func invocationURL(requestID string) templ.SafeURL {
	return templ.SafeURL("/invocations/" + url.PathEscape(requestID))
}

// editAndRunURL opens the function page with the event of an invocation.
func editAndRunURL(inv lambdadeck.Invocation) templ.SafeURL {
	return templ.SafeURL("/functions/" + url.PathEscape(inv.Function) + "?from=" + url.QueryEscape(inv.RequestID))
}

// historyURL lists a function's invocations.
func historyURL(function string) templ.SafeURL {
	return templ.SafeURL("/invocations?function=" + url.QueryEscape(function))
}

// PrettyJSON indents JSON for display; ok is false when b is not valid JSON,
// and then b is returned unchanged.
func PrettyJSON(b []byte) (string, bool) {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		return string(b), false
	}
	return out.String(), true
}

// prettyOrRaw is PrettyJSON without the flag.
func prettyOrRaw(b []byte) string {
	s, _ := PrettyJSON(b)
	return s
}

// hasJSON reports whether b holds something worth showing (not empty, not
// JSON null).
func hasJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// payloadView is a response body shaped for display.
type payloadView struct {
	Kind string // "json", "text", "binary" or "empty"
	Text string // pretty JSON, raw text, or base64 for binary
	Size int    // bytes
}

// viewPayload decides how to show a response: pretty when JSON, raw when
// text, base64 with a note when binary (not valid UTF-8).
func viewPayload(b []byte) payloadView {
	switch {
	case len(b) == 0:
		return payloadView{Kind: "empty"}
	case !utf8.Valid(b):
		return payloadView{Kind: "binary", Text: base64.StdEncoding.EncodeToString(b), Size: len(b)}
	}
	if s, ok := PrettyJSON(b); ok {
		return payloadView{Kind: "json", Text: s, Size: len(b)}
	}
	return payloadView{Kind: "text", Text: string(b), Size: len(b)}
}

// sizeLabel formats a byte count for people.
func sizeLabel(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// coldLabel is the cold/warm badge text.
func coldLabel(cold bool) string {
	if cold {
		return "cold"
	}
	return "warm"
}

// csrfHeaders is the hx-headers value that sends the CSRF token with every
// htmx request (forms also carry it in the _csrf field).
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// filterSelected reports whether an option is the current filter value.
func filterSelected(current, value string) bool { return current == value }

// sourceOptions lists invocation sources, in the order filters show them.
func sourceOptions() []lambdadeck.Source {
	return []lambdadeck.Source{lambdadeck.SourceBrowser, lambdadeck.SourceCLI, lambdadeck.SourceAPI, lambdadeck.SourceTest, lambdadeck.SourceHTTP}
}

// hasAdvanced reports whether any advanced override is set, so the
// <details> opens by itself.
func hasAdvanced(f InvokeForm) bool {
	return f.Env != "" || f.ClientContext != "" || f.CognitoIdentityID != "" || f.CognitoIdentityPool != ""
}

// itoa formats an int.
func itoa(n int) string { return fmt.Sprint(n) }

// attemptLabel is "attempt 2 of 3" for an attempt of an Event invocation.
func attemptLabel(a *lambdadeck.AsyncAttempt) string {
	return fmt.Sprintf("attempt %d of %d", a.Attempt, a.MaxAttempts)
}

// retryLabel describes a function's retry policy for Event invocations.
func retryLabel(c lambdadeck.EventInvokeConfig) string {
	n := c.RetryAttempts()
	plural := "retries"
	if n == 1 {
		plural = "retry"
	}
	return fmt.Sprintf("%d %s after a function error; events kept up to %s", n, plural, c.MaxAge())
}

// destinationLabel describes one destination, or "none".
func destinationLabel(d lambdadeck.Destination) string {
	if d.Type == "" {
		return "none"
	}
	if d.Type == "Lambda" && !strings.HasPrefix(d.Target, "arn:") {
		return "function " + d.Target
	}
	return d.Type + " " + d.Target
}

// visible shows the control characters of text a function produced (logs,
// responses, error messages) instead of passing them to the page, where a
// NUL, an ESC sequence or a carriage return would hide or forge content:
// C0 controls become their Control Pictures (U+2400 block: ␀, ␛, ␍), DEL
// becomes ␡ and C1 controls \x80 to \x9f. Newlines and tabs stay; templ
// escapes the result as HTML as it does everything.
func visible(text string) string {
	if !strings.ContainsFunc(text, hiddenControl) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		switch {
		case !hiddenControl(r):
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('\u2421')
		default:
			fmt.Fprintf(&b, "\\x%02x", r)
		}
	}
	return b.String()
}

// hiddenControl reports whether r is a control character other than a
// newline or a tab.
func hiddenControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
}
