package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

func TestCompareFormsAndErrors(t *testing.T) {
	e := newTestEnv(t)
	t1 := time.Now().Add(-time.Minute)
	a := e.record(t, lambdadeck.Invocation{Function: "hello", Event: json.RawMessage(`{"n":1}`), Payload: []byte(`{"ok":true}`), StartedAt: t1})
	b := e.record(t, lambdadeck.Invocation{Function: "hello", Event: json.RawMessage(`{"n":2}`), Payload: []byte(`plain text`), StartedAt: t1.Add(time.Second),
		Status: lambdadeck.StatusFailed, Error: &lambdadeck.FunctionError{Type: "Error", Message: "boom", Stack: []string{"at f"}}})

	for target, want := range map[string]string{
		"/compare?a=" + a.RequestID:                             "pick exactly two invocations to compare; 1 were given",
		"/compare?a=" + a.RequestID + "&b=" + a.RequestID:       "pick two different invocations",
		"/compare?id=" + a.RequestID + "&id=x&id=y":             "pick exactly two",
		"/compare?a=" + a.RequestID + "&b=nope":                 `no invocation with request id &#34;nope&#34;`,
		"/compare?a=" + a.RequestID + "&c=1":                    "unknown query parameter c",
		"/invocations/" + a.RequestID + "/compare-previous":     "is the first recorded run of hello",
		"/compare/" + a.RequestID + "/nope":                     `no invocation with request id &#34;nope&#34;`,
		"/invocations/export?function=nothing-here":             "no invocations match",
		"/fixtures/999/compare":                                 "no fixture",
		"/invocations/" + url.PathEscape("no such") + "/export": `no invocation with request id &#34;no such&#34;`,
	} {
		r := e.get(t, target)
		if r.status < 400 || !strings.Contains(r.body, want) {
			t.Errorf("GET %s: %d, want an error saying %q\n%s", target, r.status, want, truncate(r.body, 300))
		}
	}

	r := e.get(t, "/compare?id="+b.RequestID+"&id="+a.RequestID)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/compare/"+a.RequestID+"/"+b.RequestID {
		t.Errorf("history's pick: %d to %s", r.status, r.header.Get("Location"))
	}
	r = e.get(t, "/invocations/"+b.RequestID+"/compare-previous")
	if r.header.Get("Location") != "/compare/"+a.RequestID+"/"+b.RequestID {
		t.Errorf("previous: %d to %s", r.status, r.header.Get("Location"))
	}

	r = e.get(t, "/compare/"+a.RequestID+"/"+b.RequestID)
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	ev := oneByTestID(t, doc, "event-changes")
	if ch := byTestID(ev, "change"); len(ch) != 1 || attr(ch[0], "data-path") != "/n" || attr(ch[0], "data-kind") != "changed" {
		t.Errorf("event changes: %d rows", len(ch))
	}
	// A text response against a JSON one: compared line by line.
	if len(byTestID(oneByTestID(t, doc, "response-diff"), "line-diff")) != 1 {
		t.Errorf("the text response is not compared line by line")
	}
	if len(byTestID(doc, "stack-diff")) != 1 {
		t.Errorf("the error stacks are not compared")
	}
	for _, f := range byTestID(doc, "figure") {
		if attr(f, "data-name") == "Status" && !hasAttr(f, "data-differs") {
			t.Errorf("the status row is not marked as differing")
		}
	}
}

func TestCompareFixtureWithItsExpectation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	f := &lambdadeck.Fixture{Function: "hello", Name: "greets", Event: json.RawMessage(`{}`),
		Expectation: &lambdadeck.Expectation{Response: json.RawMessage(`{"message":"hi","n":1}`)}}
	if err := e.db.CreateFixture(ctx, f); err != nil {
		t.Fatal(err)
	}
	r := e.get(t, "/fixtures/"+itoa64(f.ID)+"/compare")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "has not run yet") {
		t.Errorf("before a run: %d %s", r.status, truncate(r.body, 200))
	}
	run := e.record(t, lambdadeck.Invocation{Function: "hello", FixtureID: f.ID, Payload: []byte(`{"message":"hello","n":1,"x":2}`), StartedAt: time.Now()})
	if err := e.db.SetExpectationResult(ctx, run.RequestID, lambdadeck.ExpectationResult{Passed: false, Failures: []string{"differs"}}); err != nil {
		t.Fatal(err)
	}
	page := parseHTML(t, e.get(t, "/fixtures/"+itoa64(f.ID)).body)
	if link := oneByTestID(t, page, "compare-expectation"); attr(link, "href") != "/fixtures/"+itoa64(f.ID)+"/compare" {
		t.Errorf("fixture page's compare link = %q", attr(link, "href"))
	}
	r = e.get(t, "/fixtures/"+itoa64(f.ID)+"/compare")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	var got []string
	for _, c := range byTestID(oneByTestID(t, doc, "response-changes"), "change") {
		got = append(got, attr(c, "data-kind")+" "+attr(c, "data-path"))
	}
	if strings.Join(got, ";") != "changed /message;added /x" {
		t.Errorf("expectation vs run: %v", got)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestImportFormRefusesBadBundles(t *testing.T) {
	e := newTestEnv(t)
	upload := func(content string, withToken bool) response {
		cookie, token := e.csrf(t)
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		if withToken {
			w.WriteField("_csrf", token)
		}
		fw, _ := w.CreateFormFile("bundle", "bundle.json")
		fw.Write([]byte(content))
		w.Close()
		req := httptest.NewRequest(http.MethodPost, "/invocations/import", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.AddCookie(cookie)
		return e.do(t, req)
	}
	if r := upload(`{}`, false); r.status != http.StatusForbidden {
		t.Errorf("without a CSRF token: %d", r.status)
	}
	bad := `{"format":"lambdadeck-invocations/1","kind":"history","server":"s","invocations":[` +
		`{"requestId":"x1","function":"hello","status":"succeeded","event":{},"startedAt":"2026-12-02T12:00:00Z","logs":""},` +
		`{"requestId":"x2","function":"hello","status":"succeeded","event":{},"logs":""}]}`
	r := upload(bad, true)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, `invocation 2 of the bundle (request id &#34;x2&#34;): &#34;startedAt&#34; is missing`) {
		t.Errorf("bad bundle: %d %s", r.status, truncate(r.body, 400))
	}
	if n, _ := e.db.CountInvocations(context.Background(), store.InvocationFilter{}); n != 0 {
		t.Errorf("a bad bundle imported %d invocations", n)
	}
	good := strings.Replace(bad, `"event":{},"logs":""}]}`, `"event":{},"startedAt":"2026-12-02T12:00:01Z","logs":""}]}`, 1)
	r = upload(good, true)
	mustStatus(t, r, http.StatusOK)
	if got := text(oneByTestID(t, parseHTML(t, r.body), "import-added")); !strings.HasPrefix(got, "2 invocations added") {
		t.Errorf("good bundle: %q", got)
	}
	hist := parseHTML(t, e.get(t, "/invocations").body)
	if n := len(byTestID(hist, "imported")); n != 2 {
		t.Errorf("the history marks %d rows as imported, want 2", n)
	}
	// The history page's export holds them.
	r = e.get(t, "/invocations/export?function=hello")
	mustStatus(t, r, http.StatusOK)
	var b struct {
		Kind        string
		Invocations []json.RawMessage
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || b.Kind != "history" || len(b.Invocations) != 2 {
		t.Errorf("history export: %v %+v", err, b)
	}
}
