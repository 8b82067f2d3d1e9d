package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// newTeamEnv is newTestEnv with sign-in.
func newTeamEnv(t testing.TB, auth AuthConfig) *testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "lambdadeck.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	inv := &fakeInvoker{db: db, functions: testFunctions()}
	srv, err := New(Config{Invoker: inv, Store: db, TemplatePath: "/srv/app/template.yaml", Version: "v0.0.0-test",
		AllowedHosts: []string{"example.com"}, Auth: auth})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return &testEnv{server: srv, db: db, invoker: inv}
}

// addUser creates a local account with a password.
func addUser(t testing.TB, db *store.DB, name string, role lambdadeck.Role, password string) lambdadeck.User {
	t.Helper()
	hash, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u := lambdadeck.User{Name: name, Role: role}
	if err := db.CreateUser(context.Background(), &u, hash); err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a cookie jar in front of a testEnv.
type client struct {
	e       *testEnv
	cookies map[string]*http.Cookie
	remote  string
}

func (e *testEnv) client() *client {
	return &client{e: e, cookies: map[string]*http.Cookie{}, remote: "192.0.2.1:1234"}
}

func (c *client) send(t *testing.T, req *http.Request) response {
	t.Helper()
	req.RemoteAddr = c.remote
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.e.server.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func (c *client) get(t *testing.T, target string) response {
	t.Helper()
	return c.send(t, httptest.NewRequest(http.MethodGet, target, nil))
}

// token reads the CSRF token of a page's forms.
func csrfToken(t *testing.T, body string) string {
	t.Helper()
	for _, n := range findAll(parseHTML(t, body), func(n *html.Node) bool {
		return n.Data == "input" && attr(n, "name") == "_csrf"
	}) {
		return attr(n, "value")
	}
	t.Fatalf("no _csrf field in %s", truncate(body, 400))
	return ""
}

// post sends a form with the CSRF token of page (a GET first).
func (c *client) post(t *testing.T, page, target string, form url.Values) response {
	t.Helper()
	r := c.get(t, page)
	form = cloneValues(form)
	form.Set("_csrf", csrfToken(t, r.body))
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(t, req)
}

func (c *client) login(t *testing.T, name, password string) response {
	t.Helper()
	return c.post(t, "/login", "/login", url.Values{"name": {name}, "password": {password}})
}

// TestEveryRouteDeclaresARole walks every route the router has, on the
// dashboard and the API listener, and wants a role for each: a route added
// without one fails here.
func TestEveryRouteDeclaresARole(t *testing.T) {
	e := newTestEnv(t)
	for _, r := range e.server.Echo().Routes() {
		role, ok := routeRoles[routeKey(r.Method, r.Path)]
		if !ok {
			t.Errorf("route %s %s declares no role in routeRoles (authz.go)", r.Method, r.Path)
			continue
		}
		if role != rolePublic && !role.Valid() {
			t.Errorf("route %s %s has role %q", r.Method, r.Path, role)
		}
		if r.Method != http.MethodGet && role == viewer && !strings.HasPrefix(r.Path, "/account") && r.Path != "/fixtures/load" {
			t.Errorf("state-changing route %s %s is open to viewers", r.Method, r.Path)
		}
	}
	for key := range routeRoles {
		if !e.server.registered[key] {
			t.Errorf("routeRoles has %s, which is no route", key)
		}
	}
}

func TestLocalSignIn(t *testing.T) {
	e := newTeamEnv(t, AuthConfig{Mode: AuthLocal})
	addUser(t, e.db, "alice", lambdadeck.RoleViewer, "correct horse battery")
	c := e.client()

	r := c.get(t, "/functions/hello")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Ffunctions%2Fhello" {
		t.Fatalf("anonymous page: %d %q", r.status, r.header.Get("Location"))
	}
	if r := c.get(t, "/healthz"); r.status != http.StatusOK {
		t.Errorf("healthz: %d", r.status)
	}
	r = c.login(t, "alice", "wrong password here")
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The name or the password is wrong.") {
		t.Fatalf("wrong password: %d %s", r.status, truncate(r.body, 300))
	}
	unknown := c.login(t, "nobody", "wrong password here")
	if unknown.status != r.status || !strings.Contains(unknown.body, "The name or the password is wrong.") {
		t.Errorf("an unknown account reads differently: %d", unknown.status)
	}
	planted := &http.Cookie{Name: sessionCookie, Value: strings.Repeat("p", 43)}
	c.cookies[sessionCookie] = planted
	r = c.login(t, "alice", "correct horse battery")
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", r.status, truncate(r.body, 300))
	}
	session := c.cookies[sessionCookie]
	if session == nil || session.Value == planted.Value || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie after sign-in: %+v", session)
	}
	r = c.get(t, "/functions/hello")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	if got := text(oneByTestID(t, doc, "nav-account")); got != "alice" {
		t.Errorf("account menu says %q", got)
	}
	if n := byTestID(doc, "invoke-form"); len(n) != 0 {
		t.Errorf("a viewer sees the invoke form")
	}
	// A forged POST with a valid CSRF token is refused for the role.
	r = c.post(t, "/functions/hello", "/functions/hello/invoke", url.Values{"event": {"{}"}})
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "needs the runner role") {
		t.Errorf("viewer invoke: %d %s", r.status, truncate(r.body, 400))
	}
	if e.invoker.callCount() != 0 {
		t.Errorf("the viewer's invoke ran")
	}
	if r := c.get(t, "/admin/users"); r.status != http.StatusForbidden || !strings.Contains(r.body, "admin role") {
		t.Errorf("viewer admin page: %d", r.status)
	}
	// Sign out: the session is gone from the store too.
	r = c.post(t, "/", "/logout", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	c.cookies[sessionCookie] = session
	if r := c.get(t, "/"); r.status != http.StatusSeeOther {
		t.Errorf("the old session still works after sign-out: %d", r.status)
	}

	// The database keeps neither the password nor the session id.
	raw, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(e.db.Path() + "-wal")
	raw = append(raw, wal...)
	for _, secret := range []string{"correct horse battery", session.Value} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q in the clear", secret)
		}
	}
	entries, err := e.db.AuditEntries(context.Background(), store.AuditFilter{Action: "auth."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action+":"+a.Target)
	}
	if got := strings.Join(actions, " "); got != "auth.logout:alice auth.login:alice auth.login_failed:nobody auth.login_failed:alice" {
		t.Errorf("audit log: %s", got)
	}
}

// TestLoginBruteForce: 200 wrong passwords in a row hit the limit, with a
// clear wait, and the right password is refused while it lasts.
func TestLoginBruteForce(t *testing.T) {
	e := newTeamEnv(t, AuthConfig{Mode: AuthLocal})
	addUser(t, e.db, "bob", lambdadeck.RoleRunner, "the right password")
	c := e.client()
	limited := 0
	for i := range 200 {
		r := c.login(t, "bob", "guess number "+string(rune('a'+i%26)))
		switch r.status {
		case http.StatusTooManyRequests:
			limited++
			if !strings.Contains(r.body, "Too many sign-in attempts. Try again in ") || r.header.Get("Retry-After") == "" {
				t.Fatalf("throttled answer: %s", truncate(r.body, 300))
			}
		case http.StatusUnauthorized:
		default:
			t.Fatalf("try %d: %d", i, r.status)
		}
	}
	if limited < 190 {
		t.Errorf("only %d of 200 tries were limited", limited)
	}
	if r := c.login(t, "bob", "the right password"); r.status != http.StatusTooManyRequests {
		t.Errorf("the right password during the limit: %d", r.status)
	}
	// Another account from the same address is held back too (per
	// client), and one from elsewhere is not (per account only).
	other := e.client()
	other.remote = "198.51.100.7:999"
	if r := other.login(t, "nobody-else", "whatever pass"); r.status != http.StatusUnauthorized {
		t.Errorf("another client: %d", r.status)
	}
	// One address trying many accounts is held back by its own bucket.
	spray := e.client()
	spray.remote = "203.0.113.9:555"
	sprayLimited := 0
	for i := range 40 {
		if r := spray.login(t, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "whatever pass"); r.status == http.StatusTooManyRequests {
			sprayLimited++
		}
	}
	if sprayLimited < 15 {
		t.Errorf("40 accounts from one address: only %d limited", sprayLimited)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "a long enough") {
		t.Errorf("hash %q", h)
	}
	h2, _ := HashPassword("a long enough password")
	if h == h2 {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	if !VerifyPassword(h, "a long enough password") || VerifyPassword(h, "a long enough passworD") || VerifyPassword("garbage", "x") {
		t.Errorf("verify is wrong")
	}
	if _, err := HashPassword("short"); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("short password: %v", err)
	}
}
