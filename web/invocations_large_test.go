package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
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

// TestEditAndSaveALargeInvocation: "Edit and run" and "Save as fixture" of
// an invocation with a 6 MB event do not carry the event in the page: the
// form names the invocation, the server takes the event from the store, and
// the page costs what a small one does. Typing an event replaces it.
func TestEditAndSaveALargeInvocation(t *testing.T) {
	env := newTestEnv(t)
	event := []byte(`{"data":"` + strings.Repeat("<b>x</b>", 6*1024*1024/8-4) + `"}`)
	inv := env.record(t, lambdadeck.Invocation{
		Function: "hello", Event: event, Payload: []byte(`"ok"`), EnvOverrides: map[string]string{"STAGE": "big"},
		Status: lambdadeck.StatusSucceeded, MemorySizeMB: 128,
	})

	for _, page := range []string{"/functions/hello?from=" + inv.RequestID, "/fixtures/new?function=hello&from=" + inv.RequestID} {
		r := env.get(t, page)
		mustStatus(t, r, http.StatusOK)
		if len(r.body) > 512*1024 {
			t.Errorf("%s is %d bytes: it carries the event", page, len(r.body))
		}
		doc := parseHTML(t, r.body)
		note := text(oneByTestID(t, doc, "event-from"))
		if !strings.Contains(note, inv.RequestID) || !strings.Contains(note, "too large to edit in the page") || !strings.Contains(note, "6.0 MB") {
			t.Errorf("%s: note %q", page, note)
		}
		if href := attr(oneByTestID(t, doc, "event-from-download"), "href"); href != "/invocations/"+inv.RequestID+"/event?download=1" {
			t.Errorf("%s: download link %q", page, href)
		}
	}

	// Invoke with the event left blank: the stored event is sent, whole.
	before := env.invoker.callCount()
	r := env.postForm(t, "/functions/hello/invoke", url.Values{"event_from": {inv.RequestID}, "event": {""}, "env": {"STAGE=big"}}, false)
	if r.status != http.StatusSeeOther {
		t.Fatalf("invoke = %d %s", r.status, truncate(r.body, 300))
	}
	if env.invoker.callCount() != before+1 || !bytes.Equal(env.invoker.lastCall().Event, event) || env.invoker.lastCall().Env["STAGE"] != "big" {
		t.Errorf("the invocation did not get the whole stored event (%d bytes)", len(env.invoker.lastCall().Event))
	}
	// A typed event wins over the stored one.
	r = env.postForm(t, "/functions/hello/invoke", url.Values{"event_from": {inv.RequestID}, "event": {`{"typed":true}`}}, false)
	if r.status != http.StatusSeeOther || string(env.invoker.lastCall().Event) != `{"typed":true}` {
		t.Errorf("typed event: %d, sent %.40s", r.status, env.invoker.lastCall().Event)
	}
	// An invocation that is not in the history is a clear form error.
	r = env.postForm(t, "/functions/hello/invoke", url.Values{"event_from": {"nope"}}, false)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invocation nope, which is not in the history") {
		t.Errorf("unknown event_from = %d %s", r.status, truncate(r.body, 300))
	}

	// Save as fixture: the fixture gets the whole event.
	r = env.postForm(t, "/fixtures", url.Values{"function": {"hello"}, "name": {"big one"}, "event_from": {inv.RequestID}, "from": {inv.RequestID}}, false)
	if r.status != http.StatusSeeOther {
		t.Fatalf("save = %d %s", r.status, truncate(r.body, 300))
	}
	fixtures, err := env.db.ListFixtures(t.Context(), store.FixtureFilter{})
	if err != nil || len(fixtures) != 1 {
		t.Fatalf("fixtures %v, %v", fixtures, err)
	}
	f, err := env.db.Fixture(t.Context(), fixtures[0].ID)
	if err != nil || !bytes.Equal(f.Event, event) {
		t.Errorf("the fixture's event is %d bytes (%v), want the whole %d", len(f.Event), err, len(event))
	}
	// Refused (the name is taken): the form comes back naming the event,
	// not carrying it.
	r = env.postForm(t, "/fixtures", url.Values{"function": {"hello"}, "name": {"big one"}, "event_from": {inv.RequestID}}, false)
	if r.status != http.StatusConflict || len(r.body) > 512*1024 || !strings.Contains(r.body, `name="event_from" value="`+inv.RequestID+`"`) {
		t.Errorf("refused save = %d, %d bytes", r.status, len(r.body))
	}
}
