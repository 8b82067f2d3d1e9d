package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/views"
)

// TestLargeInvocationPermalink: a permalink of an invocation with a 6 MB
// event, response and log shows the first 256 KiB of each, with links that
// stream the whole of each, byte for byte; and Run again sends the whole
// recorded event without carrying it in the page.
func TestLargeInvocationPermalink(t *testing.T) {
	env := newTestEnv(t)
	event := []byte(`{"data":"` + strings.Repeat("<b>x</b>", 6*1024*1024/8-4) + `"}`)
	payload := bytes.Repeat([]byte(`{"k":"vvvvvvv"},`), 6*1024*1024/16)
	logs := strings.Repeat("log line <i>\n", 40*1024)
	inv := env.record(t, lambdadeck.Invocation{
		Function: "hello", Event: event, Payload: payload, Logs: logs,
		Status: lambdadeck.StatusSucceeded, MemorySizeMB: 128,
	})
	r := env.get(t, "/invocations/"+inv.RequestID)
	mustStatus(t, r, http.StatusOK)
	if len(r.body) > 2*1024*1024 {
		t.Errorf("the page is %d bytes: the large parts are not cut", len(r.body))
	}
	doc := parseHTML(t, r.body)
	for _, c := range []struct {
		part string
		head string
		size int
	}{
		{"event", rawText(oneByTestID(t, doc, "event")), len(event)},
		{"response", rawText(oneByTestID(t, doc, "response")), len(payload)},
		{"logs", rawText(oneByTestID(t, doc, "logs")), len(logs)},
	} {
		if len(c.head) > views.HeadBytes || len(c.head) < views.HeadBytes-8 {
			t.Errorf("%s: shows %d bytes, want the first %d", c.part, len(c.head), views.HeadBytes)
		}
		note := text(oneByTestID(t, doc, c.part+"-cut"))
		if !strings.Contains(note, "Showing the first 256.0 KB of ") {
			t.Errorf("%s: note %q", c.part, note)
		}
		showAll := attr(oneByTestID(t, doc, c.part+"-show-all"), "href")
		whole := env.get(t, showAll)
		mustStatus(t, whole, http.StatusOK)
		if whole.header.Get("Content-Type") != "text/plain; charset=UTF-8" || whole.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: shown as %q, nosniff %q", c.part, whole.header.Get("Content-Type"), whole.header.Get("X-Content-Type-Options"))
		}
		if len(whole.body) != c.size || !strings.HasPrefix(whole.body, c.head) {
			t.Errorf("%s: show all gave %d bytes, want %d", c.part, len(whole.body), c.size)
		}
		dl := env.get(t, attr(oneByTestID(t, doc, c.part+"-download"), "href"))
		mustStatus(t, dl, http.StatusOK)
		if cd := dl.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, inv.RequestID) {
			t.Errorf("%s: Content-Disposition %q", c.part, cd)
		}
		if dl.body != whole.body {
			t.Errorf("%s: the download differs from the whole", c.part)
		}
	}
	switch want := string(event); {
	case env.get(t, "/invocations/"+inv.RequestID+"/event").body != want:
		t.Error("the event is not whole")
	}
	for _, bad := range []string{"/invocations/nope/event", "/invocations/" + inv.RequestID + "/context"} {
		if r := env.get(t, bad); r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, r.status)
		}
	}
	if r := env.get(t, "/invocations/"+inv.RequestID+"/event?download=yes"); r.status != http.StatusBadRequest {
		t.Errorf("?download=yes = %d, want 400", r.status)
	}

	// Run again posts no event: the server takes it from the store.
	form := oneByTestID(t, doc, "run-again-form")
	if got := attr(form, "action"); got != "/invocations/"+inv.RequestID+"/run" {
		t.Fatalf("run again posts to %q", got)
	}
	if strings.Contains(r.body, `name="event"`) {
		t.Error("the page carries the event in a form")
	}
	before := env.invoker.callCount()
	rr := env.postForm(t, "/invocations/"+inv.RequestID+"/run", url.Values{}, false)
	if rr.status != http.StatusSeeOther {
		t.Fatalf("run again = %d %s", rr.status, truncate(rr.body, 300))
	}
	if env.invoker.callCount() != before+1 || !bytes.Equal(env.invoker.lastCall().Event, event) {
		t.Errorf("run again did not send the whole event (%d bytes)", len(env.invoker.lastCall().Event))
	}
	if r := env.postForm(t, "/invocations/nope/run", url.Values{}, false); r.status != http.StatusNotFound {
		t.Errorf("run again of an unknown invocation = %d, want 404", r.status)
	}
}

// TestSmallInvocationIsWhole: below the head size nothing is cut, JSON is
// pretty-printed, and Run again carries the event as before.
func TestSmallInvocationIsWhole(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello", Event: []byte(`{"a":1}`), Payload: []byte(`{"b":2}`), Logs: "one line\n"})
	r := env.get(t, "/invocations/"+inv.RequestID)
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	for _, id := range []string{"event-cut", "response-cut", "logs-cut"} {
		if len(byTestID(doc, id)) != 0 {
			t.Errorf("%s shown for a small invocation", id)
		}
	}
	if got := rawText(oneByTestID(t, doc, "response")); got != "{\n  \"b\": 2\n}" {
		t.Errorf("response = %q", got)
	}
	if got := attr(oneByTestID(t, doc, "run-again-form"), "action"); got != "/functions/hello/invoke" {
		t.Errorf("run again posts to %q", got)
	}
}
