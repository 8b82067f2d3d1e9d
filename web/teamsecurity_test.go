package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// TestTeamPagesHeadersAndLogs: every page of a signed-in admin carries the
// security headers, and neither the password nor the session id reaches
// the debug log or a page.
func TestTeamPagesHeadersAndLogs(t *testing.T) {
	var logs bytes.Buffer
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	inv := &fakeInvoker{db: db, functions: testFunctions()}
	srv, err := New(Config{Invoker: inv, Store: db, AllowedHosts: []string{"example.com"}, Auth: AuthConfig{Mode: AuthLocal},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{server: srv, db: db, invoker: inv}
	const password = "admin password 123"
	addUser(t, db, "root", lambdadeck.RoleAdmin, password)
	c := e.client()
	if r := c.login(t, "root", password); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.status)
	}
	session := c.cookies[sessionCookie].Value
	var bodies strings.Builder
	for _, path := range []string{"/", "/functions/hello", "/invocations", "/fixtures", "/fixtures/new", "/tests", "/environments",
		"/templates", "/routes", "/account", "/account/keys", "/admin/users", "/admin/audit", "/admin/keys", "/settings", "/errors", "/login"} {
		r := c.get(t, path)
		if r.status >= 400 {
			t.Errorf("%s: %d", path, r.status)
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") ||
			r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, r.header)
		}
		bodies.WriteString(r.body)
	}
	for _, secret := range []string{password, session} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret")
		}
		if strings.Contains(bodies.String(), secret) {
			t.Errorf("a page holds a secret")
		}
	}
	if !strings.Contains(logs.String(), "path=/admin/users") {
		t.Errorf("the debug log did not capture requests: %s", truncate(logs.String(), 200))
	}
}
