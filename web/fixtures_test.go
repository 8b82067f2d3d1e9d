package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// saveFixture stores a fixture directly.
func (e *testEnv) saveFixture(t *testing.T, f lambdadeck.Fixture) *lambdadeck.Fixture {
	t.Helper()
	if f.Author == "" {
		f.Author = "ada"
	}
	if err := e.db.CreateFixture(context.Background(), &f); err != nil {
		t.Fatalf("create fixture: %v", err)
	}
	return &f
}

// postAs posts a form with a valid CSRF token and the author cookie.
func (e *testEnv) postAs(t *testing.T, author, target string, form url.Values, htmx bool) response {
	t.Helper()
	cookie, token := e.csrf(t)
	form = cloneValues(form)
	form.Set("_csrf", token)
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	if author != "" {
		req.AddCookie(&http.Cookie{Name: authorCookie, Value: url.QueryEscape(author)})
	}
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	return e.do(t, req)
}

func fixtureID(t *testing.T, location string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(location, "/fixtures/"), 10, 64)
	if err != nil {
		t.Fatalf("Location %q is not a fixture page", location)
	}
	return id
}

// TestFixtureCreate saves a fixture from the form, with markup in every
// text field, and checks the page shows it all escaped.
func TestFixtureCreate(t *testing.T) {
	env := newTestEnv(t)
	xss := `<script>alert("x")</script>`
	r := env.postForm(t, "/fixtures", url.Values{
		"name":                {"  " + xss + "  "},
		"function":            {"hello"},
		"description":         {"desc " + xss},
		"tags":                {"smoke, <b>tag</b> ,smoke"},
		"event":               {`{"html": "` + strings.ReplaceAll(xss, `"`, `\"`) + `"}`},
		"env":                 {"STAGE=test\nAPI_KEY=sk-secret"},
		"client_context":      {`{"custom":{"a":1}}`},
		"cognito_identity_id": {"id-1"},
		"author":              {"Ada <i>L</i>"},
	}, false)
	mustStatus(t, r, http.StatusSeeOther)
	id := fixtureID(t, r.header.Get("Location"))
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == authorCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != url.QueryEscape("Ada <i>L</i>") || !cookie.HttpOnly {
		t.Errorf("author cookie %+v", cookie)
	}

	f, err := env.db.Fixture(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != xss || f.Function != "hello" || strings.Join(f.Tags, "|") != "smoke|<b>tag</b>" || f.Author != "Ada <i>L</i>" ||
		f.Env["STAGE"] != "test" || string(f.ClientContext) != `{"custom":{"a":1}}` || f.Identity == nil || f.Identity.CognitoIdentityID != "id-1" {
		t.Errorf("stored %+v", f)
	}

	page := env.get(t, "/fixtures/"+strconv.FormatInt(id, 10))
	mustStatus(t, page, http.StatusOK)
	if strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "<b>tag</b>") || strings.Contains(page.body, "<i>L</i>") {
		t.Fatal("the fixture page contains unescaped markup from the fixture")
	}
	doc := parseHTML(t, page.body)
	if got := text(oneByTestID(t, doc, "fixture-title")); got != xss {
		t.Errorf("title %q", got)
	}
	if got := text(oneByTestID(t, doc, "fixture-revision")); got != "revision 1 by Ada <i>L</i>" {
		t.Errorf("revision line %q", got)
	}
	if got := rawText(oneByTestID(t, doc, "fixture-event")); !strings.Contains(got, "\n  \"html\": ") {
		t.Errorf("event not pretty-printed: %q", got)
	}
	for _, n := range byTestID(doc, "env-value") {
		if attr(n, "data-name") == "API_KEY" && text(n) != "••••••" {
			t.Errorf("API_KEY override shows %q", text(n))
		}
	}

	// The list shows it, and the author cookie prefills the next form.
	list := parseHTML(t, env.get(t, "/fixtures").body)
	row := oneByTestID(t, list, "fixture-row")
	if text(oneByTestID(t, row, "fixture-link")) != xss || text(oneByTestID(t, row, "fixture-function")) != "hello" {
		t.Errorf("list row %q", text(row))
	}
	req := httptest.NewRequest(http.MethodGet, "/fixtures/new?function=other", nil)
	req.AddCookie(&http.Cookie{Name: authorCookie, Value: cookie.Value})
	form := parseHTML(t, env.do(t, req).body)
	if got := attr(oneByTestID(t, form, "fixture-author"), "value"); got != "Ada <i>L</i>" {
		t.Errorf("author field %q", got)
	}
	if got := attr(findAll(oneByTestID(t, form, "fixture-function"), func(n *html.Node) bool { return hasAttr(n, "selected") })[0], "value"); got != "other" {
		t.Errorf("function preselected %q", got)
	}
}

// TestFixtureCreateRefused checks that a refused form saves nothing and
// comes back with the reason and the person's text.
func TestFixtureCreateRefused(t *testing.T) {
	env := newTestEnv(t)
	env.saveFixture(t, lambdadeck.Fixture{Function: "hello", Name: "taken", Event: json.RawMessage(`{}`)})
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"invalid JSON", url.Values{"name": {"x"}, "function": {"hello"}, "event": {"{\"name\": Ada}"}}, http.StatusBadRequest,
			"event is not valid JSON: line 1, column 10: invalid character 'A' looking for beginning of value"},
		{"invalid client context", url.Values{"name": {"x"}, "event": {"{}"}, "client_context": {"{"}}, http.StatusBadRequest, "client context is not valid JSON"},
		{"no name", url.Values{"name": {"  "}, "event": {"{}"}}, http.StatusBadRequest, "a fixture needs a name"},
		{"unknown function", url.Values{"name": {"x"}, "function": {"nope"}, "event": {"{}"}}, http.StatusBadRequest, `unknown function "nope"`},
		{"clash", url.Values{"name": {"taken"}, "function": {"hello"}, "event": {"{}"}}, http.StatusConflict, `a fixture named "taken" already exists for function hello`},
		{"long author", url.Values{"name": {"x"}, "event": {"{}"}, "author": {strings.Repeat("a", 61)}}, http.StatusBadRequest, "over 60 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.postForm(t, "/fixtures", tt.form, false)
			mustStatus(t, r, tt.status)
			doc := parseHTML(t, r.body)
			if got := text(oneByTestID(t, oneByTestID(t, doc, "fixture-form-error"), "error-text")); !strings.Contains(got, tt.want) {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			if got := rawText(oneByTestID(t, doc, "fixture-event")); got != tt.form.Get("event") {
				t.Errorf("the event editor lost the text: %q", got)
			}
		})
	}
	if list, _ := env.db.ListFixtures(context.Background(), store.FixtureFilter{IncludeDeleted: true}); len(list) != 1 {
		t.Errorf("%d fixtures stored, want only the first", len(list))
	}

	// Without the CSRF token nothing is saved either.
	req := httptest.NewRequest(http.MethodPost, "/fixtures", strings.NewReader(url.Values{"name": {"csrf"}, "event": {"{}"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	mustStatus(t, env.do(t, req), http.StatusForbidden)
	if _, err := env.db.FixtureByName(context.Background(), "", "csrf"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("a form without its CSRF token saved a fixture: %v", err)
	}
}

// TestFixtureEdit saves an edit as revision 2, then refuses a stale one
// with 409, the person's text and a link to the current version.
func TestFixtureEdit(t *testing.T) {
	env := newTestEnv(t)
	f := env.saveFixture(t, lambdadeck.Fixture{Function: "hello", Name: "order", Event: json.RawMessage(`{"n":1,"keep":true}`),
		Expectation: &lambdadeck.Expectation{Assertions: []string{"statusCode == 200"}}})
	path := "/fixtures/" + strconv.FormatInt(f.ID, 10)

	edit := parseHTML(t, env.get(t, path+"/edit").body)
	revision := findAll(edit, func(n *html.Node) bool { return attr(n, "name") == "revision" })
	if len(revision) != 1 || attr(revision[0], "value") != "1" {
		t.Fatalf("edit form's revision field: %d fields", len(revision))
	}
	form := url.Values{"name": {"order"}, "function": {"hello"}, "event": {`{"n":2,"keep":true}`}, "revision": {"1"}, "tags": {"v2"}}
	r := env.postAs(t, "grace", path, form, false)
	mustStatus(t, r, http.StatusSeeOther)
	got, _ := env.db.Fixture(context.Background(), f.ID)
	if got.Revision != 2 || got.Author != "grace" || string(got.Event) != `{"n":2,"keep":true}` || got.Expectation == nil {
		t.Errorf("after edit: %+v", got)
	}

	stale := cloneValues(form)
	stale.Set("event", `{"n":"mine"}`)
	r = env.postAs(t, "linus", path, stale, false)
	mustStatus(t, r, http.StatusConflict)
	doc := parseHTML(t, r.body)
	msg := text(oneByTestID(t, doc, "error-text"))
	if !strings.Contains(msg, "was changed by grace") || !strings.Contains(msg, "after you loaded revision 1") {
		t.Errorf("conflict message %q", msg)
	}
	if href := attr(oneByTestID(t, doc, "current-version"), "href"); href != path {
		t.Errorf("current version link %q", href)
	}
	if got := rawText(oneByTestID(t, doc, "fixture-event")); got != `{"n":"mine"}` {
		t.Errorf("the stale edit's text was lost: %q", got)
	}
	if got, _ := env.db.Fixture(context.Background(), f.ID); got.Revision != 2 {
		t.Errorf("the stale edit was saved: revision %d", got.Revision)
	}
	// The history shows both revisions, with the event's line diff.
	page := parseHTML(t, env.get(t, path).body)
	revs := byTestID(page, "revision")
	if len(revs) != 2 || attr(revs[0], "data-revision") != "2" {
		t.Fatalf("%d revisions listed", len(revs))
	}
	if text(oneByTestID(t, revs[0], "revision-author")) != "grace" || text(oneByTestID(t, revs[0], "revision-changed")) != "changed tags" {
		t.Errorf("revision 2: %q", text(revs[0]))
	}
	removed, added := byTestID(revs[0], "diff-removed"), byTestID(revs[0], "diff-added")
	if len(removed) != 1 || text(removed[0]) != `- "n": 1,` || len(added) != 1 || text(added[0]) != `+ "n": 2,` {
		t.Errorf("diff: removed %d, added %d: %q", len(removed), len(added), text(oneByTestID(t, revs[0], "revision-diff")))
	}
	if len(byTestID(revs[0], "revision-restore")) != 0 || len(byTestID(revs[1], "revision-restore")) != 1 {
		t.Error("Restore should be offered for the old revision only")
	}

	// The refused form now names the current revision: saving it again
	// makes the kept edits the newest revision, and nothing is lost.
	if !strings.Contains(msg, "save again to make them revision 3") {
		t.Errorf("conflict message %q does not say how to keep the edits", msg)
	}
	again := findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "revision" })
	if len(again) != 1 || attr(again[0], "value") != "2" {
		t.Fatalf("the refused form should carry revision 2")
	}
	stale.Set("revision", "2")
	mustStatus(t, env.postAs(t, "linus", path, stale, false), http.StatusSeeOther)
	if got, _ := env.db.Fixture(context.Background(), f.ID); got.Revision != 3 || string(got.Event) != `{"n":"mine"}` || got.Author != "linus" {
		t.Errorf("saving again: revision %d, event %s by %s", got.Revision, got.Event, got.Author)
	}
}

// TestFixtureDuplicateDeleteRestore runs the lifecycle through the real
// router: duplicate, delete with confirmation, list with deleted ones,
// restore.
func TestFixtureDuplicateDeleteRestore(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	f := env.saveFixture(t, lambdadeck.Fixture{Function: "hello", Name: "order", Event: json.RawMessage(`{"n":1}`), Tags: []string{"t"}})
	path := "/fixtures/" + strconv.FormatInt(f.ID, 10)

	for _, want := range []string{"order (copy)", "order (copy 2)"} {
		r := env.postAs(t, "grace", path+"/duplicate", nil, false)
		mustStatus(t, r, http.StatusSeeOther)
		copied, err := env.db.Fixture(ctx, fixtureID(t, r.header.Get("Location")))
		if err != nil || copied.Name != want || string(copied.Event) != `{"n":1}` || copied.Author != "grace" || copied.Revision != 1 {
			t.Errorf("duplicate: %+v, %v; want %q", copied, err, want)
		}
	}

	// Without confirm=yes the answer is the confirmation page.
	r := env.postAs(t, "grace", path+"/delete", nil, false)
	mustStatus(t, r, http.StatusOK)
	if len(byTestID(parseHTML(t, r.body), "delete-form")) != 1 {
		t.Error("an unconfirmed delete did not ask")
	}
	if got, _ := env.db.Fixture(ctx, f.ID); got.Deleted() {
		t.Fatal("deleted without confirmation")
	}
	mustStatus(t, env.get(t, path+"/delete"), http.StatusOK)
	r = env.postAs(t, "grace", path+"/delete", url.Values{"confirm": {"yes"}}, false)
	mustStatus(t, r, http.StatusSeeOther)
	got, _ := env.db.Fixture(ctx, f.ID)
	if !got.Deleted() || got.DeletedBy != "grace" {
		t.Fatalf("after delete: %+v", got)
	}

	names := func(target string) string {
		var out []string
		for _, row := range byTestID(parseHTML(t, env.get(t, target).body), "fixture-row") {
			out = append(out, text(oneByTestID(t, row, "fixture-link")))
		}
		return strings.Join(out, ",")
	}
	if got := names("/fixtures"); got != "order (copy 2),order (copy)" {
		t.Errorf("list %q", got)
	}
	if got := names("/fixtures?deleted=1"); got != "order,order (copy 2),order (copy)" {
		t.Errorf("list with deleted %q", got)
	}
	if got := names("/fixtures?q=" + url.QueryEscape("copy 2")); got != "order (copy 2)" {
		t.Errorf("search %q", got)
	}
	if got := names("/fixtures?tag=t&function=other"); got != "" {
		t.Errorf("filtered by another function: %q", got)
	}

	page := parseHTML(t, env.get(t, path).body)
	oneByTestID(t, page, "fixture-deleted")
	if len(byTestID(page, "fixture-run")) != 0 {
		t.Error("a deleted fixture offers Run")
	}
	mustStatus(t, env.postAs(t, "", path+"/run", nil, false), http.StatusConflict)

	r = env.postAs(t, "linus", path+"/revisions/1/restore", nil, false)
	mustStatus(t, r, http.StatusSeeOther)
	got, _ = env.db.Fixture(ctx, f.ID)
	if got.Deleted() || got.Revision != 2 || got.Author != "linus" {
		t.Errorf("after restore: %+v", got)
	}
	mustStatus(t, env.postAs(t, "", path+"/revisions/9/restore", nil, false), http.StatusNotFound)
	mustStatus(t, env.get(t, "/fixtures/9999"), http.StatusNotFound)
	mustStatus(t, env.get(t, "/fixtures/abc"), http.StatusNotFound)
}

// TestFixtureRun runs fixtures from their page and from the function
// page's picker, and checks what reached the invoker.
func TestFixtureRun(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	f := env.saveFixture(t, lambdadeck.Fixture{
		Function: "hello", Name: "order", Event: json.RawMessage(`{"n":1}`),
		ClientContext: json.RawMessage(`{"custom":{"a":1}}`),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
		Env:           map[string]string{"STAGE": "test"},
	})
	shared := env.saveFixture(t, lambdadeck.Fixture{Name: "common", Event: json.RawMessage(`{"shared":true}`)})
	env.saveFixture(t, lambdadeck.Fixture{Function: "other", Name: "not for hello", Event: json.RawMessage(`{}`)})
	path := "/fixtures/" + strconv.FormatInt(f.ID, 10)

	r := env.postAs(t, "", path+"/run", nil, true)
	mustStatus(t, r, http.StatusOK)
	result := oneByTestID(t, parseHTML(t, r.body), "result")
	if got := rawText(oneByTestID(t, result, "response")); !strings.Contains(got, `"n": 1`) {
		t.Errorf("response %q", got)
	}
	call := env.invoker.lastCall()
	if call.Function != "hello" || string(call.Event) != `{"n":1}` || call.FixtureID != f.ID || call.Source != lambdadeck.SourceBrowser ||
		string(call.ClientContext) != `{"custom":{"a":1}}` || call.Identity.CognitoIdentityPoolID != "pool-1" || call.Env["STAGE"] != "test" {
		t.Errorf("invoke request %+v", call)
	}
	inv, err := env.db.Invocation(ctx, attr(result, "data-request-id"))
	if err != nil || inv.FixtureID != f.ID {
		t.Errorf("recorded invocation's fixture %d (%v)", inv.FixtureID, err)
	}

	// Without htmx: 303 to the invocation.
	r = env.postAs(t, "", path+"/run", nil, false)
	mustStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.header.Get("Location"), "/invocations/") {
		t.Errorf("Location %q", r.header.Get("Location"))
	}

	// A shared fixture needs a function.
	sharedPath := "/fixtures/" + strconv.FormatInt(shared.ID, 10)
	mustStatus(t, env.postAs(t, "", sharedPath+"/run", nil, true), http.StatusBadRequest)
	mustStatus(t, env.postAs(t, "", sharedPath+"/run", url.Values{"function": {"other"}}, true), http.StatusOK)
	if call := env.invoker.lastCall(); call.Function != "other" || call.FixtureID != shared.ID {
		t.Errorf("shared run %+v", call)
	}
	mustStatus(t, env.postAs(t, "", sharedPath+"/run", url.Values{"function": {"imagefn"}}, true), http.StatusBadRequest)

	// The function page's picker offers hello's fixtures and the shared
	// ones, and ?fixture= loads one into the editor.
	page := parseHTML(t, env.get(t, "/functions/hello").body)
	var options []string
	for _, o := range findAll(oneByTestID(t, page, "fixture-picker-select"), func(n *html.Node) bool { return n.Data == "option" }) {
		options = append(options, text(o))
	}
	if strings.Join(options, ",") != "common (shared),order" {
		t.Errorf("picker options %q", options)
	}
	page = parseHTML(t, env.get(t, "/functions/hello?fixture="+strconv.FormatInt(f.ID, 10)).body)
	if got := rawText(oneByTestID(t, page, "event")); got != "{\n  \"n\": 1\n}" {
		t.Errorf("editor after ?fixture=: %q", got)
	}
	if got := rawText(oneByTestID(t, page, "env-overrides")); got != "STAGE=test\n" {
		t.Errorf("env overrides after ?fixture=: %q", got)
	}

	// The picker's Load and Run.
	pick := url.Values{"fixture": {strconv.FormatInt(f.ID, 10)}}
	r = env.postAs(t, "", "/fixtures/load?function=hello", pick, false)
	mustStatus(t, r, http.StatusSeeOther)
	if got := r.header.Get("Location"); got != "/functions/hello?fixture="+strconv.FormatInt(f.ID, 10) {
		t.Errorf("Load redirects to %q", got)
	}
	r = env.postAs(t, "", "/fixtures/load?function=hello", pick, true)
	mustStatus(t, r, http.StatusOK)
	if got := rawText(oneByTestID(t, parseHTML(t, r.body), "event")); got != "{\n  \"n\": 1\n}" || strings.Contains(r.body, "<html") {
		t.Errorf("htmx Load answered %q", truncate(r.body, 300))
	}
	r = env.postAs(t, "", "/fixtures/run?function=hello", url.Values{"fixture": {strconv.FormatInt(shared.ID, 10)}}, true)
	mustStatus(t, r, http.StatusOK)
	if call := env.invoker.lastCall(); call.Function != "hello" || call.FixtureID != shared.ID {
		t.Errorf("picker run %+v", call)
	}
	oneByTestID(t, parseHTML(t, r.body), "result")
	mustStatus(t, env.postAs(t, "", "/fixtures/run?function=hello", url.Values{}, true), http.StatusBadRequest)
}

// TestSaveAsFixture prefills the new-fixture form from an invocation's
// page and from the function page's editor.
func TestSaveAsFixture(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello", Event: json.RawMessage(`{"from":"history"}`),
		EnvOverrides: map[string]string{"X": "1"}})

	permalink := parseHTML(t, env.get(t, "/invocations/"+inv.RequestID).body)
	href := attr(oneByTestID(t, permalink, "save-as-fixture"), "href")
	form := parseHTML(t, env.get(t, href).body)
	if got := rawText(oneByTestID(t, form, "fixture-event")); got != "{\n  \"from\": \"history\"\n}" {
		t.Errorf("prefilled event %q", got)
	}
	if text(oneByTestID(t, form, "fixture-from")) != "Event from invocation "+inv.RequestID+"." {
		t.Errorf("from line %q", text(oneByTestID(t, form, "fixture-from")))
	}
	mustStatus(t, env.get(t, "/fixtures/new?from=nope"), http.StatusNotFound)
	if got := rawText(oneByTestID(t, parseHTML(t, env.get(t, "/fixtures/new?event="+url.QueryEscape(`{"q":1}`)).body), "fixture-event")); got != `{"q":1}` {
		t.Errorf("?event= prefill %q", got)
	}

	// The editor's Save as fixture: htmx gets the bare form for the result
	// panel, a plain POST the whole page; nothing is saved yet.
	r := env.postForm(t, "/fixtures/new?function=hello", url.Values{"event": {`{"typed":true}`}, "env": {"A=b"}}, true)
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "<html") {
		t.Error("htmx got a whole page")
	}
	doc := parseHTML(t, r.body)
	if got := rawText(oneByTestID(t, doc, "fixture-event")); got != "{\n  \"typed\": true\n}" {
		t.Errorf("editor event %q", got)
	}
	r = env.postForm(t, "/fixtures/new?function=hello", url.Values{"event": {`{"typed":true}`}}, false)
	mustStatus(t, r, http.StatusOK)
	oneByTestID(t, parseHTML(t, r.body), "nav-fixtures")
	if list, _ := env.db.ListFixtures(context.Background(), store.FixtureFilter{}); len(list) != 0 {
		t.Errorf("opening the form saved %d fixtures", len(list))
	}
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want string
	}{
		{"a\nb\nc", "a\nb\nc", " a, b, c"},
		{"a\nb\nc", "a\nx\nc", " a,-b,+x, c"},
		{"a\nc", "a\nb\nc", " a,+b, c"},
		{"a\nb\nc", "c", "-a,-b, c"},
		{"", "x", "-,+x"},
		{"x\ny\nz", "y\nz\nx", "-x, y, z,+x"},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range lineDiff(strings.Split(tt.a, "\n"), strings.Split(tt.b, "\n")) {
			got = append(got, map[string]string{"same": " ", "added": "+", "removed": "-"}[l.Kind]+l.Text)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("lineDiff(%q, %q) = %q, want %q", tt.a, tt.b, strings.Join(got, ","), tt.want)
		}
	}
	// A huge change falls back to removed-then-added instead of a huge table.
	big := make([]string, 3000)
	other := make([]string, 3000)
	for i := range big {
		big[i], other[i] = "a"+strconv.Itoa(i), "b"+strconv.Itoa(i)
	}
	lines := lineDiff(big, other)
	if len(lines) != 6000 || lines[0].Kind != "removed" || lines[5999].Kind != "added" {
		t.Errorf("big diff: %d lines", len(lines))
	}
}
