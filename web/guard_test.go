package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// stateChangingRoutes are the dashboard's routes that change something: every
// route that is not GET, outside the Lambda API, with its parameters filled
// from the fixture id. New routes are covered without editing the test.
func stateChangingRoutes(t *testing.T, e *testEnv, fixtureID int64) []string {
	t.Helper()
	var paths []string
	for _, r := range e.server.Echo().Routes() {
		if r.Method == http.MethodGet || r.Method == echoRouteNotFound || isLambdaAPIPath(r.Path) {
			continue
		}
		p := r.Path
		p = strings.ReplaceAll(p, ":name", "hello")
		p = strings.ReplaceAll(p, ":id", strconv.FormatInt(fixtureID, 10))
		p = strings.ReplaceAll(p, ":rev", "1")
		paths = append(paths, p)
	}
	if len(paths) < 10 {
		t.Fatalf("only %d state-changing routes found: %v", len(paths), paths)
	}
	return paths
}

// echoRouteNotFound is the method Echo lists its not-found routes under.
const echoRouteNotFound = "echo_route_not_found"

// TestCSRFTokenRequiredWhateverSecFetchSite: a client that claims
// "Sec-Fetch-Site: same-origin" (or "none") still needs the token on every
// state-changing route, and the refusal changes nothing.
func TestCSRFTokenRequiredWhateverSecFetchSite(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	fx := &lambdadeck.Fixture{Function: "hello", Name: "kept", Event: json.RawMessage(`{"a":1}`)}
	if err := e.db.CreateFixture(ctx, fx); err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"event": {`{"x":1}`}, "name": {"new one"}, "function": {"hello"}, "fixture": {strconv.FormatInt(fx.ID, 10)},
		"confirm": {"yes"}, "revision": {"1"}, "variables": {"A=1"}, "author": {"mallory"},
	}
	for _, path := range stateChangingRoutes(t, e, fx.ID) {
		for _, site := range []string{"same-origin", "none"} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", site)
			r := e.do(t, req)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "security token") {
				t.Errorf("POST %s with Sec-Fetch-Site %s and no token: %d\n%s", path, site, r.status, truncate(r.body, 300))
			}
		}
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran", n)
	}
	got, err := e.db.Fixture(ctx, fx.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 || got.Deleted() {
		t.Errorf("the fixture changed: revision %d, deleted %v", got.Revision, got.Deleted())
	}
	list, err := e.db.ListFixtures(ctx, store.FixtureFilter{})
	if err != nil || len(list) != 1 {
		t.Errorf("fixtures after the refusals: %d (%v)", len(list), err)
	}
	if envs, err := e.db.Environments(ctx); err != nil || len(envs) != 0 {
		t.Errorf("environments after the refusals: %v (%v)", envs, err)
	}
}

// TestCSRFBrowserWithSecFetchSite: a browser sends Sec-Fetch-Site on every
// request; its page must still carry a real token (and the cookie), and a
// POST with it works. A cross-site POST is refused even with the token.
func TestCSRFBrowserWithSecFetchSite(t *testing.T) {
	e := newTestEnv(t)
	req := httptest.NewRequest(http.MethodGet, "/functions/hello", nil)
	req.Header.Set("Sec-Fetch-Site", "none")
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "_csrf" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("a GET with Sec-Fetch-Site set no _csrf cookie")
	}
	token := cookie.Value // the form's token is the cookie's value
	if !strings.Contains(rec.Body.String(), `value="`+token+`"`) {
		t.Fatalf("the page's form does not carry the cookie's token")
	}
	post := func(site string) response {
		req := httptest.NewRequest(http.MethodPost, "/functions/hello/invoke",
			strings.NewReader(url.Values{"_csrf": {token}, "event": {`{"a":1}`}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		req.AddCookie(cookie)
		return e.do(t, req)
	}
	if r := post("same-origin"); r.status != http.StatusSeeOther {
		t.Errorf("a same-origin POST with the token: %d\n%s", r.status, truncate(r.body, 300))
	}
	if r := post("cross-site"); r.status != http.StatusForbidden {
		t.Errorf("a cross-site POST with the token: %d", r.status)
	}
	if n := e.invoker.callCount(); n != 1 {
		t.Errorf("%d invocations ran, want 1", n)
	}
}

// TestChunkedFormOverLimit: a chunked form body over the limit is 413, not
// "security token missing".
func TestChunkedFormOverLimit(t *testing.T) {
	e := newTestEnv(t)
	cookie, token := e.csrf(t)
	body := io.MultiReader(strings.NewReader("_csrf="+token+"&event="), strings.NewReader(strings.Repeat("a", maxBodyBytes+10)))
	req := httptest.NewRequest(http.MethodPost, "/functions/hello/invoke", body)
	req.ContentLength = -1 // chunked: the size is not known up front
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	r := e.do(t, req)
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "24 MB limit") {
		t.Errorf("status %d, want 413 naming the limit\n%s", r.status, truncate(r.body, 300))
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran", n)
	}
}

// rawGet sends GET path to the server at addr with the Host header host.
func rawGet(t *testing.T, addr, host, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", path, host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestHostCheck: against DNS rebinding, every route answers only Host
// values that name lambdadeck (localhost, a loopback literal, the bound
// address, on the listener's port, or an --allowed-host); anything else is
// a plain 421 with no data, in AWS's shape on the Lambda API, on both the
// dashboard's listener and the API's own.
func TestHostCheck(t *testing.T) {
	db, err := store.Open(context.Background(), t.TempDir()+"/lambdadeck.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := New(Config{Invoker: &fakeInvoker{db: db, functions: testFunctions()}, Store: db, Version: "test",
		AllowedHosts: []string{"dev.example", "pinned.example:1"}})
	if err != nil {
		t.Fatal(err)
	}
	dash := httptest.NewServer(srv)
	t.Cleanup(dash.Close)
	api := httptest.NewServer(srv.LambdaAPI())
	t.Cleanup(api.Close)

	for _, ts := range []*httptest.Server{dash, api} {
		addr := ts.Listener.Addr().String()
		_, port, _ := net.SplitHostPort(addr)
		allowed := []string{addr, "localhost:" + port, "LOCALHOST:" + port, "localhost.:" + port,
			"127.9.8.7:" + port, "dev.example", "dev.example:" + port, "dev.example:9"}
		refused := []string{"evil.test:" + port, "evil.test", "localhost", "127.0.0.1", "localhost:1",
			"127.0.0.1:1", "pinned.example:" + port, "localhost.evil.test:" + port, "0.0.0.0:" + port, "[::1]:1"}
		for _, path := range []string{"/", "/functions/hello", "/invocations", "/healthz", "/2015-03-31/functions/", "/2015-03-31/functions/hello"} {
			if ts == api && !isLambdaAPIPath(path) {
				continue
			}
			for _, host := range allowed {
				if resp, body := rawGet(t, addr, host, path); resp.StatusCode == http.StatusMisdirectedRequest {
					t.Errorf("%s Host %s: refused: %s", path, host, body)
				}
			}
			for _, host := range refused {
				resp, body := rawGet(t, addr, host, path)
				if resp.StatusCode != http.StatusMisdirectedRequest {
					t.Errorf("%s Host %s: %d, want 421", path, host, resp.StatusCode)
					continue
				}
				if strings.Contains(body, "hello") || strings.Contains(body, "orders") || resp.Header.Get("Set-Cookie") != "" {
					t.Errorf("%s Host %s: the refusal carries data: %s", path, host, body)
				}
				if ts == api || isLambdaAPIPath(path) {
					var v map[string]string
					if err := json.Unmarshal([]byte(body), &v); err != nil || v["message"] == "" || resp.Header.Get("x-amzn-ErrorType") == "" {
						t.Errorf("%s Host %s: not AWS's error shape: %s %v", path, host, body, resp.Header)
					}
				} else if !strings.Contains(body, "--allowed-host") {
					t.Errorf("%s Host %s: the refusal does not say what to do: %s", path, host, body)
				}
			}
		}
	}

	// IPv6 loopback, when the machine has it.
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		hs := srv.HTTPServer(srv)
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		addr := ln.Addr().String()
		if resp, body := rawGet(t, addr, addr, "/healthz"); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %s on ::1: %d %s", addr, resp.StatusCode, body)
		}
	}
	if _, err := New(Config{Invoker: &fakeInvoker{db: db}, Store: db, AllowedHosts: []string{"http://x/"}}); err == nil ||
		!strings.Contains(err.Error(), `"http://x/"`) {
		t.Errorf("a bad allowed host: %v", err)
	}
}
