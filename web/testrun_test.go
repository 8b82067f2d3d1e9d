package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// createTestFixtures stores fixtures for the hello function (whose fake
// answers {"echo": <event>}): one that passes with host=dev.example, one
// that fails, a shared one and one without an expectation.
func createTestFixtures(t *testing.T, db *store.DB) map[string]*lambdadeck.Fixture {
	t.Helper()
	fixtures := map[string]*lambdadeck.Fixture{
		"echo ok": {Function: "hello", Name: "echo ok", Event: json.RawMessage(`{"host":"{{host}}"}`),
			Expectation: &lambdadeck.Expectation{Assertions: []string{`echo.host == "dev.example"`}}},
		"echo fails": {Function: "hello", Name: "echo fails", Event: json.RawMessage(`{"n":1}`),
			Expectation: &lambdadeck.Expectation{Assertions: []string{"echo.n == 2"}}},
		"shared": {Name: "shared", Event: json.RawMessage(`{}`),
			Expectation: &lambdadeck.Expectation{Contains: json.RawMessage(`{"echo":{}}`)}},
		"plain": {Function: "hello", Name: "plain", Event: json.RawMessage(`{}`)},
	}
	for _, f := range fixtures {
		if err := db.CreateFixture(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	return fixtures
}

// waitForRun polls the run's fragment, as htmx does, until it is finished,
// and returns the full page.
func waitForRun(t *testing.T, env *testEnv, runURL string) *html.Node {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		req := httptest.NewRequest(http.MethodGet, runURL, nil)
		req.Header.Set("HX-Request", "true")
		r := env.do(t, req)
		mustStatus(t, r, http.StatusOK)
		fragment := parseHTML(t, r.body)
		run := byTestID(fragment, "test-run")
		if len(run) != 1 {
			t.Fatalf("the fragment has no test-run section:\n%s", r.body)
		}
		if attr(run[0], "data-finished") == "true" {
			if attr(run[0], "hx-trigger") != "" {
				t.Errorf("a finished run still polls: %s", r.body)
			}
			break
		}
		if attr(run[0], "hx-get") != runURL || attr(run[0], "hx-trigger") != "every 1s" {
			t.Errorf("a running run does not poll itself: %s", r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not finish:\n%s", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := env.get(t, runURL)
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Errorf("a finished run's page still refreshes itself")
	}
	return parseHTML(t, r.body)
}

func TestRunAllTests(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	fixtures := createTestFixtures(t, env.db)
	if err := env.db.SaveEnvironment(ctx, &store.Environment{Name: "dev", Variables: map[string]string{"host": "dev.example"}}); err != nil {
		t.Fatal(err)
	}

	// The tests page lists the three fixtures with expectations, never run.
	r := env.get(t, "/tests")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	rows := byTestID(doc, "test-row")
	if len(rows) != 3 {
		t.Fatalf("%d test rows, want 3:\n%s", len(rows), r.body)
	}
	for _, row := range rows {
		if !strings.Contains(text(row), "never run") {
			t.Errorf("row %s: %s", attr(row, "data-fixture"), text(row))
		}
	}
	if opts := text(byTestID(doc, "environment-select")[0]); !strings.Contains(opts, "dev") {
		t.Errorf("environment select = %q", opts)
	}

	// Run all with dev: 303 to the run, which completes in the background.
	r = env.postForm(t, "/tests/run", url.Values{"environment": {"dev"}}, false)
	mustStatus(t, r, http.StatusSeeOther)
	runURL := r.header.Get("Location")
	if !strings.HasPrefix(runURL, "/tests/runs/") {
		t.Fatalf("Location = %q", runURL)
	}
	doc = waitForRun(t, env, runURL)
	states := map[string]*html.Node{}
	for _, row := range byTestID(doc, "outcome") {
		states[attr(row, "data-fixture")+"="+attr(row, "data-state")] = row
	}
	for _, want := range []string{"echo ok=passed", "echo fails=failed", "shared=skipped"} {
		if states[want] == nil {
			t.Errorf("no outcome %s in %v", want, states)
		}
	}
	if row := states["echo fails=failed"]; row != nil {
		if got := text(byTestID(row, "failures")[0]); !strings.Contains(got, "echo.n == 2: got 1") {
			t.Errorf("failures = %q", got)
		}
		if links := byTestID(row, "outcome-invocation"); len(links) != 1 || !strings.HasPrefix(attr(links[0], "href"), "/invocations/") {
			t.Errorf("no link to the invocation")
		}
	}
	if summary := text(byTestID(doc, "run-summary")[0]); !strings.Contains(summary, "1 passed, 1 failed, 1 skipped") {
		t.Errorf("summary = %q", summary)
	}

	// The history holds the expanded event, as a test of the fixture, with
	// its verdict.
	page, err := env.db.ListInvocations(ctx, store.InvocationFilter{Source: string(lambdadeck.SourceTest)})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("test invocations: %v, %d", err, len(page.Items))
	}
	for _, item := range page.Items {
		inv, err := env.db.Invocation(ctx, item.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if inv.FixtureID == fixtures["echo ok"].ID && (string(inv.Event) != `{"host":"dev.example"}` || inv.Expectation == nil || !inv.Expectation.Passed) {
			t.Errorf("echo ok: event %s, verdict %+v", inv.Event, inv.Expectation)
		}
	}

	// The tests page shows the latest verdicts.
	doc = parseHTML(t, env.get(t, "/tests").body)
	for _, row := range byTestID(doc, "test-row") {
		got := text(byTestID(row, "last-result")[0])
		switch attr(row, "data-fixture") {
		case "echo ok":
			if !strings.Contains(got, "passed") {
				t.Errorf("echo ok last result = %q", got)
			}
		case "echo fails":
			if !strings.Contains(got, "failed") || !strings.Contains(got, "echo.n == 2: got 1") {
				t.Errorf("echo fails last result = %q", got)
			}
		}
	}

	// With a function, the shared fixture runs against it.
	r = env.postForm(t, "/tests/run", url.Values{"function": {"hello"}, "environment": {"dev"}}, false)
	mustStatus(t, r, http.StatusSeeOther)
	doc = waitForRun(t, env, r.header.Get("Location"))
	if summary := text(byTestID(doc, "run-summary")[0]); !strings.Contains(summary, "2 passed, 1 failed") {
		t.Errorf("summary with a function = %q", summary)
	}
}

func TestRunAllTestsErrors(t *testing.T) {
	env := newTestEnv(t)
	createTestFixtures(t, env.db)

	r := env.postForm(t, "/tests/run", url.Values{"environment": {"prod"}}, false)
	mustStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.body, `no environment named &#34;prod&#34;`) && !strings.Contains(r.body, `no environment named "prod"`) {
		t.Errorf("unknown environment: %s", r.body)
	}
	mustStatus(t, env.postForm(t, "/tests/run", url.Values{"function": {"ghost"}}, false), http.StatusNotFound)
	mustStatus(t, env.get(t, "/tests/runs/nope"), http.StatusNotFound)

	// Without the environment, {{host}} is unknown: that fixture errors.
	r = env.postForm(t, "/tests/run", url.Values{}, false)
	mustStatus(t, r, http.StatusSeeOther)
	doc := waitForRun(t, env, r.header.Get("Location"))
	for _, row := range byTestID(doc, "outcome") {
		if attr(row, "data-fixture") == "echo ok" {
			if attr(row, "data-state") != "error" || !strings.Contains(text(row), "unknown variable {{host}}") {
				t.Errorf("echo ok without environment: %s: %s", attr(row, "data-state"), text(row))
			}
		}
	}
}

func TestRunPageRefreshesWithoutJavaScript(t *testing.T) {
	env := newTestEnv(t)
	run := &testRun{id: "r1", startedAt: time.Now(), cases: nil, outcomes: nil}
	env.server.testRuns.add(run)
	r := env.get(t, "/tests/runs/r1")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, `<noscript><meta http-equiv="refresh" content="2"></noscript>`) {
		t.Errorf("a running run's page does not refresh itself without JavaScript:\n%s", r.body)
	}
	if !strings.Contains(r.body, "No fixtures with expectations to run") {
		t.Errorf("empty run page:\n%s", r.body)
	}
}

func TestEnvironmentsPages(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	env.server.templatePath = filepath.Join(dir, "template.yaml")
	os.WriteFile(filepath.Join(dir, "lambdadeck.env.json"), []byte(`{"stage": {"host": "stage.example"}}`), 0o644)

	r := env.get(t, "/environments")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	if got := text(byTestID(doc, "env-file")[0]); got != filepath.Join(dir, "lambdadeck.env.json") {
		t.Errorf("env file = %q", got)
	}
	if envs := byTestID(doc, "environment"); len(envs) != 1 || attr(envs[0], "data-name") != "stage" || len(byTestID(envs[0], "delete-environment")) != 0 {
		t.Errorf("the file's environment is not listed read-only")
	}

	// Save: NAME=value lines, values may hold '='.
	r = env.postForm(t, "/environments", url.Values{"name": {"dev"}, "variables": {"host=dev.example\r\n# comment\n\ntoken=a=b\n"}}, false)
	mustStatus(t, r, http.StatusSeeOther)
	saved, err := env.db.Environment(ctx, "dev")
	if err != nil || saved.Variables["host"] != "dev.example" || saved.Variables["token"] != "a=b" || len(saved.Variables) != 2 {
		t.Fatalf("saved dev = %+v, %v", saved, err)
	}
	// A stage in the store is shadowed by the file's.
	mustStatus(t, env.postForm(t, "/environments", url.Values{"name": {"stage"}, "variables": {"host=db.example"}}, false), http.StatusSeeOther)
	if vars, err := env.server.environmentVariables(ctx, "stage"); err != nil || vars["host"] != "stage.example" {
		t.Errorf("stage = %v, %v; the file should win", vars, err)
	}
	doc = parseHTML(t, env.get(t, "/environments").body)
	if n := len(byTestID(doc, "environment")); n != 3 {
		t.Errorf("%d environments listed, want 3", n)
	}
	if !strings.Contains(text(doc), "the file's environment of this name wins") {
		t.Errorf("the shadowed environment is not marked")
	}

	// Bad input: 422 with the message and the form as sent.
	for _, bad := range []url.Values{
		{"name": {"dev"}, "variables": {"no equals sign"}},
		{"name": {"dev"}, "variables": {"bad name=1"}},
		{"name": {"1dev"}, "variables": {"a=1"}},
	} {
		r = env.postForm(t, "/environments", bad, false)
		mustStatus(t, r, http.StatusUnprocessableEntity)
		doc = parseHTML(t, r.body)
		if len(byTestID(doc, "environment-error")) != 1 || !strings.Contains(r.body, html.EscapeString(bad.Get("variables"))) {
			t.Errorf("%v: no error or the form was lost:\n%s", bad, r.body)
		}
	}

	mustStatus(t, env.postForm(t, "/environments/dev/delete", nil, false), http.StatusSeeOther)
	mustStatus(t, env.postForm(t, "/environments/dev/delete", nil, false), http.StatusNotFound)
	if _, err := env.db.Environment(ctx, "dev"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("dev still there: %v", err)
	}

	// Without the CSRF token, nothing changes.
	req := httptest.NewRequest(http.MethodPost, "/environments", strings.NewReader("name=x&variables=a%3D1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := env.do(t, req); r.status < 400 {
		t.Errorf("a save without a CSRF token got %d", r.status)
	}
}

func TestParseVariableLines(t *testing.T) {
	vars, err := parseVariableLines(" host = x \n\n#c\nempty=\n")
	if err != nil || vars["host"] != " x " || vars["empty"] != "" || len(vars) != 2 {
		t.Errorf("vars = %q, %v", vars, err)
	}
	if _, err := parseVariableLines("ok=1\n=2"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error = %v", err)
	}
}

func TestFixtureExpectationEditorAndRun(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	if err := env.db.SaveEnvironment(ctx, &store.Environment{Name: "dev", Variables: map[string]string{"who": "Ada"}}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"name": {"greets"}, "function": {"hello"}, "event": {`{"who":"{{who}}"}`}, "author": {"tester"},
		"assertions":        {"echo.who == \"Ada\"\n\n# the echo wraps the event\necho exists"},
		"expected_contains": {`{"echo": {}}`},
		"expected_response": {""},
	}

	// A malformed assertion or document is refused with the reason, the
	// text kept.
	for field, bad := range map[string]string{
		"assertions":        "echo.who = 1",
		"expected_contains": `{"echo":`,
		"expected_response": `[1,`,
	} {
		refused := cloneValues(form)
		refused.Set(field, bad)
		r := env.postForm(t, "/fixtures", refused, false)
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Fatalf("%s %q: status %d", field, bad, r.status)
		}
		if !strings.Contains(r.body, html.EscapeString(bad)) || !strings.Contains(r.body, "fixture-form-error") {
			t.Errorf("%s %q: the error or the text is missing:\n%s", field, bad, r.body)
		}
	}

	r := env.postForm(t, "/fixtures", form, false)
	mustStatus(t, r, http.StatusSeeOther)
	fixtureURL := r.header.Get("Location")
	fixtures, err := env.db.ListFixtures(ctx, store.FixtureFilter{HasExpectation: true})
	if err != nil || len(fixtures) != 1 {
		t.Fatalf("fixtures with expectations: %v, %v", fixtures, err)
	}
	f := fixtures[0]
	if got := f.Expectation.Assertions; len(got) != 2 || got[0] != `echo.who == "Ada"` || got[1] != "echo exists" || strings.ReplaceAll(string(f.Expectation.Contains), " ", "") != `{"echo":{}}` {
		t.Errorf("saved expectation = %+v", f.Expectation)
	}

	// The edit form shows the expectation back.
	edit := env.get(t, fixtureURL+"/edit").body
	if !strings.Contains(edit, ">"+html.EscapeString("echo.who == \"Ada\"\necho exists")+"</textarea>") {
		t.Errorf("the edit form lacks the assertions:\n%s", edit)
	}

	// The page shows the expectation and offers the environments to Run.
	doc := parseHTML(t, env.get(t, fixtureURL).body)
	if len(byTestID(doc, "fixture-expectation")) != 1 || !strings.Contains(text(byTestID(doc, "environment-select")[0]), "dev") {
		t.Fatalf("the fixture page lacks the expectation or the environment select")
	}
	if len(byTestID(doc, "fixture-last-verdict")) != 0 {
		t.Errorf("a verdict before any run")
	}

	// Run with dev: passes, and the event sent is the expanded one.
	r = env.postForm(t, fixtureURL+"/run", url.Values{"environment": {"dev"}}, true)
	mustStatus(t, r, http.StatusOK)
	verdict := byTestID(parseHTML(t, r.body), "expectation-verdict")
	if len(verdict) != 1 || attr(verdict[0], "data-passed") != "true" {
		t.Errorf("run with dev: no passing verdict:\n%s", r.body)
	}
	if got := string(env.invoker.lastCall().Event); got != `{"who":"Ada"}` {
		t.Errorf("event sent = %s", got)
	}
	// Without it: {{who}} is unknown, nothing runs.
	calls := env.invoker.callCount()
	r = env.postForm(t, fixtureURL+"/run", url.Values{}, true)
	mustStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.body, "unknown variable {{who}}") || env.invoker.callCount() != calls {
		t.Errorf("run without an environment: %d calls\n%s", env.invoker.callCount()-calls, r.body)
	}

	// A failing expectation shows its failures, on the run and on the page.
	failing := cloneValues(form)
	failing.Set("assertions", `echo.who == "Bob"`)
	failing.Set("revision", "1")
	mustStatus(t, env.postForm(t, fixtureURL, failing, false), http.StatusSeeOther)
	r = env.postForm(t, fixtureURL+"/run", url.Values{"environment": {"dev"}}, true)
	doc = parseHTML(t, r.body)
	if v := byTestID(doc, "expectation-verdict"); len(v) != 1 || attr(v[0], "data-passed") != "false" ||
		!strings.Contains(text(byTestID(doc, "expectation-failures")[0]), `echo.who == "Bob": got "Ada"`) {
		t.Errorf("failing run:\n%s", r.body)
	}
	// The invocation's permalink shows the verdict too.
	rid := attr(byTestID(doc, "result")[0], "data-request-id")
	permalink := parseHTML(t, env.get(t, "/invocations/"+rid).body)
	if v := byTestID(permalink, "result-expectation"); len(v) != 1 || !strings.Contains(text(v[0]), `echo.who == "Bob": got "Ada"`) {
		t.Errorf("the permalink of %s does not show the verdict", rid)
	}
	doc = parseHTML(t, env.get(t, fixtureURL).body)
	if last := byTestID(doc, "fixture-last-verdict"); len(last) != 1 || !strings.Contains(text(last[0]), "Expectation failed") {
		t.Errorf("the page does not show the last verdict")
	}
}

func TestInvokeFormEnvironment(t *testing.T) {
	env := newTestEnv(t)
	// Without environments the form has no select.
	if doc := parseHTML(t, env.get(t, "/functions/hello").body); len(byTestID(doc, "environment-select")) != 0 {
		t.Errorf("an environment select without environments")
	}
	if err := env.db.SaveEnvironment(context.Background(), &store.Environment{Name: "dev", Variables: map[string]string{"host": "dev.example"}}); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, env.get(t, "/functions/hello").body)
	if sel := byTestID(doc, "environment-select"); len(sel) != 1 || !strings.Contains(text(sel[0]), "dev") {
		t.Fatalf("the invoke form offers no environment")
	}

	r := env.postForm(t, "/functions/hello/invoke", url.Values{"event": {`{"url":"https://{{host}}/x","id":"{{uuid}}"}`}, "environment": {"dev"}}, true)
	mustStatus(t, r, http.StatusOK)
	var sent struct{ URL, ID string }
	if err := json.Unmarshal(env.invoker.lastCall().Event, &sent); err != nil || sent.URL != "https://dev.example/x" || len(sent.ID) != 36 {
		t.Errorf("event sent = %s (%v)", env.invoker.lastCall().Event, err)
	}
	// The history keeps the event as sent.
	rid := attr(byTestID(parseHTML(t, r.body), "result")[0], "data-request-id")
	if inv, err := env.db.Invocation(context.Background(), rid); err != nil || !strings.Contains(string(inv.Event), "https://dev.example/x") {
		t.Errorf("recorded event: %v", err)
	}

	calls := env.invoker.callCount()
	r = env.postForm(t, "/functions/hello/invoke", url.Values{"event": {`{"url":"{{host}}"}`}}, true)
	mustStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.body, "unknown variable {{host}}") || env.invoker.callCount() != calls {
		t.Errorf("unknown variable: %s", r.body)
	}
	mustStatus(t, env.postForm(t, "/functions/hello/invoke", url.Values{"event": {`{}`}, "environment": {"nope"}}, true), http.StatusBadRequest)
}
