package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
)

// TestDashboard checks the function table, the greyed-out function that
// cannot run, the template's warnings and the recent invocations.
func TestDashboard(t *testing.T) {
	env := newTestEnv(t)
	for range 3 {
		env.record(t, lambdadeck.Invocation{Function: "hello", Duration: 12_000_000})
	}
	last := env.record(t, lambdadeck.Invocation{Function: "hello", Status: lambdadeck.StatusFailed, Duration: 5_000_000,
		Error: &lambdadeck.FunctionError{Type: "Error", Message: "nope"}})

	r := env.get(t, "/")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)

	rows := byTestID(doc, "function-row")
	var names []string
	for _, row := range rows {
		names = append(names, attr(row, "data-function"))
	}
	if got := strings.Join(names, ","); got != "hello,imagefn,other" {
		t.Fatalf("function rows %q, want hello,imagefn,other (sorted)", got)
	}
	hello, image := rows[0], rows[1]
	if got := text(oneByTestID(t, hello, "function-count")); got != "4" {
		t.Errorf("hello count %q, want 4", got)
	}
	badge := oneByTestID(t, hello, "status-badge")
	if attr(badge, "data-status") != "failed" {
		t.Errorf("hello last status %q, want failed", attr(badge, "data-status"))
	}
	if !strings.Contains(text(hello), "12.00 ms") {
		t.Errorf("hello row %q lacks the typical (median) duration 12.00 ms", text(hello))
	}
	if !strings.Contains(attr(image, "class"), "not-runnable") {
		t.Error("the image function is not greyed out")
	}
	if got := text(oneByTestID(t, image, "not-runnable")); !strings.Contains(got, "PackageType Image is not supported") {
		t.Errorf("not-runnable reason %q", got)
	}
	if got := text(oneByTestID(t, doc, "template-path")); got != "/srv/app/template.yaml" {
		t.Errorf("template path %q", got)
	}
	if got := text(oneByTestID(t, doc, "warning")); !strings.Contains(got, "<b>bold</b>") {
		t.Errorf("warning %q: want the text shown escaped, as written", got)
	}
	recent := byTestID(oneByTestID(t, doc, "recent"), "invocation-row")
	if len(recent) != 4 || attr(recent[0], "data-request-id") != last.RequestID {
		t.Errorf("recent: %d rows, first %q; want 4, newest %s first", len(recent), attr(recent[0], "data-request-id"), last.RequestID)
	}
}

// TestFunctionPageMasksSecrets checks that values of secret-looking
// environment variables never reach the page.
func TestFunctionPageMasksSecrets(t *testing.T) {
	env := newTestEnv(t)
	r := env.get(t, "/functions/hello")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)

	values := map[string]string{}
	masked := map[string]bool{}
	for _, n := range byTestID(doc, "env-value") {
		values[attr(n, "data-name")] = text(n)
		masked[attr(n, "data-name")] = hasAttr(n, "data-masked")
	}
	tests := []struct {
		name   string
		masked bool
	}{
		{"API_KEY", true},
		{"db_password", true},
		{"SESSION_TOKEN", true},
		{"AWS_CREDENTIALS", true},
		{"PRIVATE_PEM", true},
		{"TABLE_NAME", false},
		{"LOG_LEVEL", false},
	}
	secrets := testFunctions()[0].Environment
	for _, tt := range tests {
		got, ok := values[tt.name]
		switch {
		case !ok:
			t.Errorf("%s not listed", tt.name)
		case tt.masked && (got != "••••••" || !masked[tt.name]):
			t.Errorf("%s = %q, want masked", tt.name, got)
		case tt.masked && strings.Contains(r.body, secrets[tt.name]):
			t.Errorf("the value of %s appears in the page", tt.name)
		case !tt.masked && got != secrets[tt.name]:
			t.Errorf("%s = %q, want %q", tt.name, got, secrets[tt.name])
		}
	}
	for _, id := range []string{"config-runtime", "config-handler", "config-codedir", "config-timeout", "config-memory", "config-concurrency", "config-architecture"} {
		if text(oneByTestID(t, doc, id)) == "" {
			t.Errorf("%s is empty", id)
		}
	}
	if got := rawText(oneByTestID(t, doc, "event")); got != "{}" {
		t.Errorf("event editor starts with %q, want {}", got)
	}
}

// TestInvokeRejectsBadInput checks that bad input is refused with a useful
// message and that nothing runs.
func TestInvokeRejectsBadInput(t *testing.T) {
	big := `{"data":"` + strings.Repeat("x", lambdadeck.MaxSyncPayload) + `"}`
	tests := []struct {
		name   string
		target string
		form   url.Values
		status int
		want   string
	}{
		{"syntax error", "/functions/hello/invoke", url.Values{"event": {"{\n  \"a\": 1,\n  \"b\": nope\n}"}},
			400, "event is not valid JSON: line 3, column 9: invalid character 'o' in literal null (expecting 'u')"},
		{"trailing comma", "/functions/hello/invoke", url.Values{"event": {"{\"a\": 1,}"}},
			400, "line 1, column 9: invalid character '}' looking for beginning of object key string"},
		{"unterminated", "/functions/hello/invoke", url.Values{"event": {"{\"a\": [1, 2"}},
			400, "unexpected end of JSON input"},
		{"columns count characters", "/functions/hello/invoke", url.Values{"event": {`{"é€": x}`}},
			400, "line 1, column 8: invalid character 'x'"},
		{"two values", "/functions/hello/invoke", url.Values{"event": {"{} {}"}},
			400, "line 1, column 4: invalid character '{' after top-level value"},
		{"oversize event", "/functions/hello/invoke", url.Values{"event": {big}},
			413, "event is 6.1 MB, over Lambda's 6 MB limit"},
		{"bad env line", "/functions/hello/invoke", url.Values{"event": {"{}"}, "env": {"GOOD=1\nnot an assignment"}},
			400, "environment override line 2"},
		{"bad env name", "/functions/hello/invoke", url.Values{"event": {"{}"}, "env": {"1BAD=x"}},
			400, "environment override line 1"},
		{"bad client context", "/functions/hello/invoke", url.Values{"event": {"{}"}, "client_context": {"{custom}"}},
			400, "client context is not valid JSON: line 1, column 2"},
		{"unknown function", "/functions/nope/invoke", url.Values{"event": {"{}"}},
			404, "function not found: nope"},
		{"not runnable", "/functions/imagefn/invoke", url.Values{"event": {"{}"}},
			400, "imagefn cannot run here: PackageType Image is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			for _, htmx := range []bool{false, true} {
				r := env.postForm(t, tt.target, tt.form, htmx)
				mustStatus(t, r, tt.status)
				doc := parseHTML(t, r.body)
				if got := text(oneByTestID(t, doc, "error-text")); !strings.Contains(got, tt.want) {
					t.Errorf("htmx=%v: message %q, want it to contain %q", htmx, got, tt.want)
				}
				// htmx gets a fragment for the result panel, not a page.
				if isPage := strings.Contains(r.body, "<html"); isPage == htmx {
					t.Errorf("htmx=%v: full page=%v", htmx, isPage)
				}
			}
			if n := env.invoker.callCount(); n != 0 {
				t.Errorf("the invoker ran %d times", n)
			}
		})
	}
}

// TestInvokeWithoutJavaScript posts the form as a browser without
// JavaScript does and follows the 303 to the permalink.
func TestInvokeWithoutJavaScript(t *testing.T) {
	env := newTestEnv(t)
	form := url.Values{
		"event":                    {`{"name": "Ada"}`},
		"env":                      {"# comment\r\nGREETING=hi=there\r\n\r\nMODE = fast\r\n"},
		"client_context":           {`{"custom":{"tenant":"t1"}}`},
		"cognito_identity_id":      {"us-east-1:abc"},
		"cognito_identity_pool_id": {"us-east-1:pool"},
	}
	r := env.postForm(t, "/functions/hello/invoke", form, false)
	mustStatus(t, r, http.StatusSeeOther)

	call := env.invoker.lastCall()
	if string(call.Event) != `{"name": "Ada"}` || call.Source != lambdadeck.SourceBrowser || call.UserAgent != "handler-test/1.0" {
		t.Errorf("invoke request %+v", call)
	}
	if call.Env["GREETING"] != "hi=there" || call.Env["MODE"] != " fast" || len(call.Env) != 2 {
		t.Errorf("env overrides %q", call.Env)
	}
	if string(call.ClientContext) != `{"custom":{"tenant":"t1"}}` {
		t.Errorf("client context %q", call.ClientContext)
	}
	if call.Identity == nil || call.Identity.CognitoIdentityID != "us-east-1:abc" || call.Identity.CognitoIdentityPoolID != "us-east-1:pool" {
		t.Errorf("identity %+v", call.Identity)
	}

	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/invocations/") {
		t.Fatalf("redirect to %q", loc)
	}
	page := env.get(t, loc)
	mustStatus(t, page, http.StatusOK)
	doc := parseHTML(t, page.body)
	if got := text(oneByTestID(t, doc, "source")); got != "browser" {
		t.Errorf("source %q", got)
	}
	if got := text(oneByTestID(t, doc, "user-agent")); got != "handler-test/1.0" {
		t.Errorf("user agent %q", got)
	}
	if got := rawText(oneByTestID(t, doc, "response")); got != "{\n  \"echo\": {\n    \"name\": \"Ada\"\n  }\n}" {
		t.Errorf("response not pretty-printed: %q", got)
	}
	// Run again re-sends the exact event and the overrides.
	runAgain := oneByTestID(t, doc, "run-again-form")
	fields := map[string]string{}
	for _, n := range findAll(runAgain, func(n *html.Node) bool { return n.Data == "input" }) {
		fields[attr(n, "name")] = attr(n, "value")
	}
	if fields["event"] != `{"name": "Ada"}` || fields["env"] != "GREETING=hi=there\nMODE= fast\n" ||
		fields["cognito_identity_id"] != "us-east-1:abc" || fields["_csrf"] == "" {
		t.Errorf("run again fields %q", fields)
	}
	if attr(runAgain, "action") != "/functions/hello/invoke" || attr(runAgain, "method") != "post" {
		t.Errorf("run again form posts to %q", attr(runAgain, "action"))
	}
	edit := oneByTestID(t, doc, "edit-and-run")
	requestID := strings.TrimPrefix(loc, "/invocations/")
	if attr(edit, "href") != "/functions/hello?from="+requestID {
		t.Errorf("edit and run links to %q", attr(edit, "href"))
	}

	// Edit and run prefills the editor and the advanced overrides.
	edited := parseHTML(t, env.get(t, attr(edit, "href")).body)
	if got := rawText(oneByTestID(t, edited, "event")); got != "{\n  \"name\": \"Ada\"\n}" {
		t.Errorf("edit and run event %q", got)
	}
	if got := rawText(oneByTestID(t, edited, "env-overrides")); got != "GREETING=hi=there\nMODE= fast\n" {
		t.Errorf("edit and run env %q", got)
	}
	if !hasAttr(oneByTestID(t, edited, "advanced"), "open") {
		t.Error("the Advanced section is closed although overrides are set")
	}
}

// TestInvokeMistakeWithoutJavaScriptKeepsTheForm checks that a form with a
// mistake, posted without JavaScript (so not checked in the browser), comes
// back as the function page with everything typed and the mistake in the
// result panel, instead of an error page that loses the event.
func TestInvokeMistakeWithoutJavaScriptKeepsTheForm(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"event syntax", url.Values{
			"event":          {"{\n  \"order\": \"<b>42</b>\",\n  \"qty\": nope\n}"},
			"env":            {"MODE=fast\n"},
			"client_context": {`{"custom":{"tenant":"t1"}}`},
		}, "event is not valid JSON: line 3, column 11"},
		{"env line", url.Values{"event": {`{"order": 42}`}, "env": {"MODE=fast\nnot an assignment"}}, "environment override line 2"},
		{"unknown variable", url.Values{"event": {`{"order": "{{nope}}"}`}, "env": {"MODE=fast\n"}}, "unknown variable {{nope}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			r := env.postForm(t, "/functions/hello/invoke", tt.form, false)
			mustStatus(t, r, http.StatusBadRequest)
			doc := parseHTML(t, r.body)
			if got := text(oneByTestID(t, doc, "function-name")); got != "hello" {
				t.Fatalf("answered with page for %q, want the function page", got)
			}
			panel := oneByTestID(t, doc, "result-panel")
			if got := text(oneByTestID(t, panel, "error-text")); !strings.Contains(got, tt.want) {
				t.Errorf("result panel says %q, want %q", got, tt.want)
			}
			if got := rawText(oneByTestID(t, doc, "event")); got != tt.form.Get("event") {
				t.Errorf("event box holds %q, want what was typed: %q", got, tt.form.Get("event"))
			}
			if got := rawText(oneByTestID(t, doc, "env-overrides")); got != tt.form.Get("env") {
				t.Errorf("overrides box holds %q, want %q", got, tt.form.Get("env"))
			}
			if got := rawText(oneByTestID(t, doc, "client-context")); got != tt.form.Get("client_context") {
				t.Errorf("client context box holds %q, want %q", got, tt.form.Get("client_context"))
			}
			if !hasAttr(oneByTestID(t, doc, "advanced"), "open") {
				t.Error("the Advanced section is closed although overrides were typed")
			}
			if n := env.invoker.callCount(); n != 0 {
				t.Errorf("the invoker ran %d times", n)
			}
		})
	}
}

// TestInvokeWithHTMX checks the in-place answer: the result panel with the
// REPORT figures, and the recent invocations swapped out of band.
func TestInvokeWithHTMX(t *testing.T) {
	env := newTestEnv(t)
	r := env.postForm(t, "/functions/hello/invoke", url.Values{"event": {`{"n": 42}`}}, true)
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "<html") {
		t.Fatal("htmx got a full page, want a fragment")
	}
	doc := parseHTML(t, r.body)
	result := oneByTestID(t, doc, "result")
	requestID := attr(result, "data-request-id")
	figures := map[string]string{
		"report-duration":   "3.01 ms",
		"report-billed":     "115 ms",
		"report-init":       "110.10 ms",
		"report-memory":     "128 MB",
		"report-max-memory": "36 MB",
	}
	for id, want := range figures {
		if got := text(oneByTestID(t, result, id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := text(oneByTestID(t, result, "cold-badge")); got != "cold" {
		t.Errorf("cold badge %q", got)
	}
	if got := attr(oneByTestID(t, result, "permalink"), "href"); got != "/invocations/"+requestID {
		t.Errorf("permalink %q", got)
	}
	if got := rawText(oneByTestID(t, result, "logs")); !strings.Contains(got, "hello from the handler") {
		t.Errorf("logs %q", got)
	}
	oob := findAll(doc, func(n *html.Node) bool { return attr(n, "id") == "recent-invocations" })
	if len(oob) != 1 || attr(oob[0], "hx-swap-oob") != "true" {
		t.Fatal("no out-of-band recent invocations")
	}
	rows := byTestID(oob[0], "invocation-row")
	if len(rows) != 1 || attr(rows[0], "data-request-id") != requestID {
		t.Errorf("recent invocations after invoke: %d rows", len(rows))
	}
	if !slices.Contains(r.header.Values("Vary"), "HX-Request") {
		t.Errorf("Vary %q lacks HX-Request", r.header.Values("Vary"))
	}
}

// TestInvokeFormThrottled checks the 429 answer when the function is busy.
func TestInvokeFormThrottled(t *testing.T) {
	env := newTestEnv(t)
	env.invoker.throttle = true
	for _, htmx := range []bool{false, true} {
		r := env.postForm(t, "/functions/other/invoke", url.Values{"event": {"{}"}}, htmx)
		mustStatus(t, r, http.StatusTooManyRequests)
		got := text(oneByTestID(t, parseHTML(t, r.body), "error-text"))
		if !strings.Contains(got, "other is busy: all 2 of its instances are running") {
			t.Errorf("htmx=%v: throttle message %q", htmx, got)
		}
	}
}

// TestCSRF checks that the invoke form needs the token from the page.
func TestCSRF(t *testing.T) {
	env := newTestEnv(t)
	cookie, token := env.csrf(t)
	post := func(token string, withCookie bool, header bool) *http.Request {
		form := url.Values{"event": {"{}"}}
		if token != "" && !header {
			form.Set("_csrf", token)
		}
		req := httptest.NewRequest(http.MethodPost, "/functions/hello/invoke", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if header {
			req.Header.Set("X-CSRF-Token", token)
			req.Header.Set("HX-Request", "true")
		}
		if withCookie {
			req.AddCookie(cookie)
		}
		return req
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"no token", post("", true, false), http.StatusForbidden},
		{"no cookie", post(token, false, false), http.StatusForbidden},
		{"wrong token", post(strings.Repeat("a", len(token)), true, false), http.StatusForbidden},
		{"form token", post(token, true, false), http.StatusSeeOther},
		{"htmx header token", post(token, true, true), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := env.invoker.callCount()
			r := env.do(t, tt.req)
			mustStatus(t, r, tt.status)
			ran := env.invoker.callCount() > before
			if ran != (tt.status < 400) {
				t.Errorf("invoker ran=%v with status %d", ran, tt.status)
			}
		})
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("CSRF cookie HttpOnly=%v SameSite=%v, want HttpOnly and Strict", cookie.HttpOnly, cookie.SameSite)
	}
	// A cross-site POST from a modern browser is refused outright.
	req := post(token, true, false)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	mustStatus(t, env.do(t, req), http.StatusForbidden)
}

// TestEscaping checks that user data (event, logs, response, error) is
// escaped everywhere it is shown.
func TestEscaping(t *testing.T) {
	env := newTestEnv(t)
	const attack = `<script>alert(1)</script>`
	inv := env.record(t, lambdadeck.Invocation{
		Function: "hello",
		Event:    []byte(`{"name": "` + attack + `"}`),
		Payload:  []byte(attack),
		Logs:     "log line " + attack + "\n",
		Status:   lambdadeck.StatusFailed,
		Error:    &lambdadeck.FunctionError{Type: attack, Message: attack, Stack: []string{attack}},
	})
	r := env.postForm(t, "/functions/hello/invoke", url.Values{"event": {`{"name": "` + attack + `"}`}}, true)
	mustStatus(t, r, http.StatusOK)
	pages := map[string]string{
		"invoke fragment": r.body,
		"permalink":       env.get(t, "/invocations/"+inv.RequestID).body,
		"edit and run":    env.get(t, "/functions/hello?from="+inv.RequestID).body,
		"event param":     env.get(t, "/functions/hello?event="+url.QueryEscape(attack)).body,
		"history search":  env.get(t, "/invocations?q="+url.QueryEscape(attack)).body,
	}
	for name, body := range pages {
		if strings.Contains(body, attack) {
			t.Errorf("%s: the script tag appears unescaped", name)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the escaped script text is missing", name)
		}
	}
}
