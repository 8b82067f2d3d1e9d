package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// keysEnv is the dashboard with accounts, a server key, and the principal
// of every request chosen by the test: the sign-in itself is auth.go's
// and tested there; what is tested here is what each principal may do
// with keys.
type keysEnv struct {
	*testEnv
	secrets *store.Secrets
	dir     string
	users   map[string]lambdadeck.User
	mu      sync.Mutex
	as      lambdadeck.Principal
}

func newKeysEnv(t *testing.T) *keysEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secrets := store.NewSecrets(filepath.Join(dir, store.SecretsFile))
	srv, err := New(Config{Invoker: &fakeInvoker{db: db, functions: testFunctions()}, Store: db, Version: "test",
		AllowedHosts: []string{"example.com"}, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	env := &keysEnv{testEnv: &testEnv{server: srv, db: db}, secrets: secrets, dir: dir, users: map[string]lambdadeck.User{}}
	for name, role := range map[string]lambdadeck.Role{"alice": lambdadeck.RoleRunner, "bob": lambdadeck.RoleRunner, "root": lambdadeck.RoleAdmin} {
		u := lambdadeck.User{Name: name, Role: role}
		if err := db.CreateUser(ctx, &u, ""); err != nil {
			t.Fatal(err)
		}
		env.users[name] = u
	}
	env.signIn("alice")
	srv.Echo().Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			env.mu.Lock()
			p := env.as
			env.mu.Unlock()
			setPrincipal(c, p)
			return next(c)
		}
	})
	return env
}

func (e *keysEnv) signIn(name string) {
	u := e.users[name]
	e.mu.Lock()
	e.as = lambdadeck.Principal{Kind: lambdadeck.PrincipalUser, UserID: u.ID, User: u.Name, Role: u.Role}
	e.mu.Unlock()
}

// postKeys posts a keys form with a CSRF token from the keys page itself.
func (e *keysEnv) postKeys(t *testing.T, target string, form url.Values) response {
	t.Helper()
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, accountKeysPath, nil))
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "_csrf" {
			cookie = c
		}
	}
	token := ""
	for _, n := range findAll(parseHTML(t, rec.Body.String()), func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "_csrf" }) {
		token = attr(n, "value")
	}
	if cookie == nil || token == "" {
		t.Fatalf("the keys page gave no CSRF token (status %d)", rec.Code)
	}
	form = cloneValues(form)
	form.Set("_csrf", token)
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	return e.do(t, req)
}

func TestKeysPages(t *testing.T) {
	env := newKeysEnv(t)
	ctx := context.Background()

	r := env.get(t, accountKeysPath)
	mustStatus(t, r, http.StatusOK)
	oneByTestID(t, parseHTML(t, r.body), "no-keys")
	if _, err := os.Stat(filepath.Join(env.dir, store.SecretsFile)); err == nil {
		t.Error("the server key was written before any key was made")
	}

	r = env.postKeys(t, accountKeysPath, url.Values{"name": {"ci"}})
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	id := text(oneByTestID(t, doc, "new-key-id"))
	secret := text(oneByTestID(t, doc, "new-key-secret"))
	if !store.ValidAccessKeyID(id) || len(secret) != 40 {
		t.Fatalf("new key %q with a secret of %d characters", id, len(secret))
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the answer with the secret has Cache-Control %q", r.header.Get("Cache-Control"))
	}
	if cmds := text(oneByTestID(t, doc, "new-key-commands")); !strings.Contains(cmds, "aws configure set aws_access_key_id "+id) ||
		!strings.Contains(cmds, "--endpoint-url http://example.com") {
		t.Errorf("commands: %s", cmds)
	}
	k, err := env.db.APIKey(ctx, id)
	if err != nil || k.UserID != env.users["alice"].ID || k.Name != "ci" {
		t.Fatalf("stored key %+v, %v", k, err)
	}
	if st, err := os.Stat(filepath.Join(env.dir, store.SecretsFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("server key file after the first key: %v, %v", st, err)
	}

	// The secret is never shown again, on any page.
	for _, page := range []string{accountKeysPath, "/", "/invocations"} {
		if r := env.get(t, page); strings.Contains(r.body, secret) {
			t.Errorf("%s shows the key's secret", page)
		}
	}
	r = env.get(t, accountKeysPath)
	if rows := byTestID(parseHTML(t, r.body), "key"); len(rows) != 1 || attr(rows[0], "data-key") != id {
		t.Fatalf("alice's list: %d rows", len(rows))
	}

	// Bad input is answered on the form, nothing created.
	r = env.postKeys(t, accountKeysPath, url.Values{"name": {strings.Repeat("n", 65)}})
	mustStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(text(oneByTestID(t, parseHTML(t, r.body), "key-error")), "at most 64") {
		t.Errorf("too long a name: %s", truncate(r.body, 400))
	}
	// No CSRF token, no key.
	req := httptest.NewRequest(http.MethodPost, accountKeysPath, strings.NewReader("name=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	mustStatus(t, env.do(t, req), http.StatusForbidden)
	if keys, _ := env.db.APIKeys(ctx, env.users["alice"].ID); len(keys) != 1 {
		t.Errorf("alice has %d keys after refused forms", len(keys))
	}

	// Bob sees none of alice's keys and cannot revoke them.
	env.signIn("bob")
	if r := env.get(t, accountKeysPath); strings.Contains(r.body, id) {
		t.Error("bob's page lists alice's key")
	}
	mustStatus(t, env.postKeys(t, accountKeysPath+"/"+id+"/revoke", nil), http.StatusNotFound)
	mustStatus(t, env.get(t, adminKeysPath), http.StatusForbidden)
	mustStatus(t, env.postKeys(t, adminKeysPath+"/"+id+"/revoke", nil), http.StatusForbidden)
	mustStatus(t, env.postKeys(t, adminKeysPath, url.Values{"user": {"bob"}, "name": {"x"}}), http.StatusForbidden)
	if k, _ := env.db.APIKey(ctx, id); k.Revoked() {
		t.Fatal("bob revoked alice's key")
	}

	// An admin sees everyone's, creates for another account, revokes.
	env.signIn("root")
	r = env.get(t, adminKeysPath)
	mustStatus(t, r, http.StatusOK)
	if rows := byTestID(parseHTML(t, r.body), "key"); len(rows) != 1 || text(oneByTestID(t, rows[0], "key-user")) != "alice" {
		t.Fatalf("admin list: %d rows", len(rows))
	}
	r = env.postKeys(t, adminKeysPath, url.Values{"user": {"bob"}, "name": {"deploy"}})
	mustStatus(t, r, http.StatusOK)
	bobKey := text(oneByTestID(t, parseHTML(t, r.body), "new-key-id"))
	if k, err := env.db.APIKey(ctx, bobKey); err != nil || k.User != "bob" {
		t.Fatalf("admin-made key %+v, %v", k, err)
	}
	mustStatus(t, env.postKeys(t, adminKeysPath, url.Values{"user": {"nobody"}}), http.StatusUnprocessableEntity)
	r = env.get(t, adminKeysPath+"?user=bob")
	if rows := byTestID(parseHTML(t, r.body), "key"); len(rows) != 1 || attr(rows[0], "data-key") != bobKey {
		t.Fatalf("admin list filtered to bob: %d rows", len(rows))
	}
	r = env.postKeys(t, adminKeysPath+"/"+id+"/revoke", nil)
	mustStatus(t, r, http.StatusSeeOther)
	if k, _ := env.db.APIKey(ctx, id); !k.Revoked() {
		t.Fatal("the admin's revoke did not revoke")
	}

	// Every create and revoke is in the audit log, by who did it; never a secret.
	entries, err := env.db.AuditEntries(ctx, store.AuditFilter{Action: "key."})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		lines = append(lines, e.Actor+" "+e.Action+" "+e.Target)
		if strings.Contains(e.Detail, secret) {
			t.Error("an audit entry holds a secret")
		}
	}
	want := []string{"root key.revoke " + id, "root key.create " + bobKey, "alice key.create " + id}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// Laptop mode: no account, a note instead of a form.
	env.mu.Lock()
	env.as = lambdadeck.LocalPrincipal
	env.mu.Unlock()
	r = env.get(t, accountKeysPath)
	mustStatus(t, r, http.StatusOK)
	doc = parseHTML(t, r.body)
	oneByTestID(t, doc, "keys-notice")
	if len(byTestID(doc, "create-key")) != 0 {
		t.Error("laptop mode offers to create a key with no account")
	}
}

// TestBrowserKeys creates a key on the account page in Chromium, sees its
// secret once, and revokes it.
func TestBrowserKeys(t *testing.T) {
	ctx := newBrowser(t)
	env := newKeysEnv(t)
	ts := httptest.NewServer(env.server)
	t.Cleanup(ts.Close)
	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector

	step("open my keys",
		chromedp.Navigate(ts.URL+accountKeysPath),
		chromedp.WaitVisible(chromedp.CSS(byID("no-keys"))),
	)
	step("create one",
		chromedp.SetValue(chromedp.CSS(byID("key-name-input")), "laptop"),
		chromedp.Click(chromedp.CSS(byID("create-key-button"))),
		chromedp.WaitVisible(chromedp.CSS(byID("new-key-secret"))),
	)
	id := read("key id", chromedp.Text(chromedp.CSS(byID("new-key-id"))))
	secret := read("secret", chromedp.Text(chromedp.CSS(byID("new-key-secret"))))
	if !store.ValidAccessKeyID(id) || len(secret) != 40 {
		t.Fatalf("page showed key %q and a secret of %d characters", id, len(secret))
	}
	if _, got, err := env.db.APIKeySecret(context.Background(), env.secrets, id); err != nil || got != secret {
		t.Fatalf("the page's secret is not the key's: %v", err)
	}
	step("reload the list",
		chromedp.Navigate(ts.URL+accountKeysPath),
		chromedp.WaitVisible(chromedp.CSS(byID("keys"))),
	)
	if page := read("page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(page, secret) {
		t.Error("the list shows the secret again")
	}
	if status := read("status", chromedp.Text(chromedp.CSS(`[data-key="`+id+`"] `+byID("key-status")))); status != "active" {
		t.Errorf("status %q", status)
	}
	step("revoke it",
		chromedp.Click(chromedp.CSS(`[data-key="`+id+`"] `+byID("revoke-key-button"))),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-key="`+id+`"] `+byID("revoke-key-button"))),
	)
	if status := read("status", chromedp.Text(chromedp.CSS(`[data-key="`+id+`"] `+byID("key-status")))); !strings.HasPrefix(status, "revoked ") {
		t.Errorf("after Revoke the status is %q", status)
	}
	if k, _ := env.db.APIKey(context.Background(), id); !k.Revoked() {
		t.Error("the key is not revoked in the store")
	}
	b.checkConsole()
}
