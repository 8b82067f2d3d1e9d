package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestQueryParameterMistakes: a mistyped parameter is a 400 naming it, not
// page 1; the feed names the parameter it needs, not one that was sent.
func TestQueryParameterMistakes(t *testing.T) {
	e := newTestEnv(t)
	for target, want := range map[string]string{
		"/invocations?cursor=abc":                  "unknown query parameter cursor; /invocations takes function, status, source, q, group, pinned, from, to, code, before",
		"/invocations?before=abc":                  `malformed page cursor "abc"`,
		"/invocations/feed?after=abc":              "unknown query parameter after",
		"/invocations/feed?function=hello":         "the feed needs limit, a number from 1 to 100",
		"/invocations/feed?limit=zero&function=hi": `limit must be a number from 1 to 100; it is "zero"`,
	} {
		r := e.get(t, target)
		if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), want) {
			t.Errorf("GET %s: %d, want 400 saying %q\n%s", target, r.status, want, truncate(r.body, 400))
		}
	}
	if r := e.get(t, "/invocations?function=hello&before="); r.status != http.StatusOK {
		t.Errorf("known parameters: %d", r.status)
	}
}

// TestInvalidUTF8PayloadIsRefused: an event that is not valid UTF-8 (which
// encoding/json lets through inside a string) is refused on the form, the
// fixture form and the Lambda API, as AWS does, and nothing runs or is saved.
func TestInvalidUTF8PayloadIsRefused(t *testing.T) {
	e := newTestEnv(t)
	bad := "{\"name\": \"Ad\xffa\"}"
	r := e.postForm(t, "/functions/hello/invoke", url.Values{"event": {bad}}, true)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "line 1, column 13: byte 0xff is not valid UTF-8") {
		t.Errorf("invoke form: %d\n%s", r.status, truncate(r.body, 500))
	}
	r = e.postForm(t, "/fixtures", url.Values{"name": {"x"}, "function": {"hello"}, "event": {bad}}, true)
	if r.status < 400 || !strings.Contains(r.body, "byte 0xff is not valid UTF-8") {
		t.Errorf("fixture form: %d\n%s", r.status, truncate(r.body, 500))
	}
	req := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/hello/invocations", strings.NewReader(bad))
	r = e.do(t, req)
	var body map[string]string
	_ = json.Unmarshal([]byte(r.body), &body)
	if r.status != http.StatusBadRequest || r.header.Get("x-amzn-ErrorType") != "InvalidRequestContentException" ||
		!strings.Contains(body["message"], "Invalid UTF-8") {
		t.Errorf("Lambda API: %d %v %s", r.status, r.header, r.body)
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran", n)
	}
}

// TestControlCharactersAreShown: NUL, ESC, CR and other control bytes a
// function wrote reach the page as visible symbols, in the logs, the
// response and the error message, with the text around them intact.
func TestControlCharactersAreShown(t *testing.T) {
	e := newTestEnv(t)
	logs := "plain line\n\x1b[31mred\x1b[0m\tafter tab\nINFO ok\x00end\x7f\u0085 \x1b[2K\n"
	ok := e.record(t, lambdadeck.Invocation{Function: "hello", Logs: logs, Payload: []byte("text\x1b]0;title\x07 body"),
		Status: lambdadeck.StatusSucceeded, StartedAt: time.Now()})
	failed := e.record(t, lambdadeck.Invocation{Function: "hello", Status: lambdadeck.StatusFailed, StartedAt: time.Now(),
		Error: &lambdadeck.FunctionError{Type: "Error", Message: "bad\x00thing\x1b[2J", Stack: []string{"at x\x08y"}}})

	page := e.get(t, "/invocations/"+ok.RequestID)
	mustStatus(t, page, http.StatusOK)
	doc := parseHTML(t, page.body)
	if got, want := rawText(oneByTestID(t, doc, "logs")), "plain line\n␛[31mred␛[0m\tafter tab\nINFO ok␀end␡\\x85 ␛[2K"; strings.TrimSpace(got) != want {
		t.Errorf("logs %q, want %q", got, want)
	}
	if got, want := rawText(oneByTestID(t, doc, "response")), "text␛]0;title␇ body"; got != want {
		t.Errorf("response %q, want %q", got, want)
	}
	page = e.get(t, "/invocations/"+failed.RequestID)
	doc = parseHTML(t, page.body)
	if got, want := rawText(oneByTestID(t, doc, "error-message")), "bad␀thing␛[2J"; got != want {
		t.Errorf("error message %q, want %q", got, want)
	}
	if got := rawText(oneByTestID(t, doc, "error-stack")); !strings.Contains(got, "at x␈y") {
		t.Errorf("stack %q", got)
	}
	for _, c := range []string{"\x00", "\x1b", "\x07", "\x08"} {
		if strings.Contains(page.body, c) {
			t.Errorf("the page holds a raw %q", c)
		}
	}
}
