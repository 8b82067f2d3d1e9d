package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/lambdadeck/lambdadeck"
)

// TestProxyAuth: the header is believed from the trusted peer only; a
// new user gets the default role and an account.
func TestProxyAuth(t *testing.T) {
	e := newTeamEnv(t, AuthConfig{Mode: AuthProxy, ProxyHeader: "X-Forwarded-Email",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	trusted := e.client()
	trusted.remote = "10.1.2.3:4000"
	req := httptest.NewRequest(http.MethodGet, "/functions/hello", nil)
	req.Header.Set("X-Forwarded-Email", "dana@example.com")
	r := trusted.send(t, req)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "dana@example.com") || strings.Contains(r.body, `data-testid="invoke-form"`) {
		t.Errorf("the trusted proxy's user is not a signed-in viewer")
	}
	u, err := e.db.UserByEmail(t.Context(), "dana@example.com")
	if err != nil || u.Role != lambdadeck.RoleViewer {
		t.Errorf("first sight account: %+v %v", u, err)
	}
	untrusted := e.client()
	untrusted.remote = "192.0.2.50:4000"
	req = httptest.NewRequest(http.MethodGet, "/functions/hello", nil)
	req.Header.Set("X-Forwarded-Email", "dana@example.com")
	if r := untrusted.send(t, req); r.status != http.StatusUnauthorized || strings.Contains(r.body, "TABLE_NAME") {
		t.Errorf("an untrusted peer with the header: %d", r.status)
	}
}

// TestOIDCSignIn signs in against a real OIDC provider running in the
// test (mockoidc): state, nonce and PKCE, and the ID token verified.
func TestOIDCSignIn(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	cfg := m.Config()
	e := newTeamEnv(t, AuthConfig{Mode: AuthOIDC, OIDC: OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, RedirectURL: "http://example.com/auth/oidc/callback",
		RoleClaim: "groups", RoleMap: map[string]lambdadeck.Role{"engineering": lambdadeck.RoleRunner}}})
	c := e.client()
	r := c.get(t, "/auth/oidc/login?next=%2Ffunctions%2Fhello")
	if r.status != http.StatusFound {
		t.Fatalf("login: %d", r.status)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("the provider answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A callback from another browser (no flow cookie) is refused.
	if r := e.client().get(t, back.RequestURI()); r.status != http.StatusForbidden {
		t.Errorf("callback without the flow cookie: %d", r.status)
	}
	r = c.get(t, back.RequestURI())
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/functions/hello" {
		t.Fatalf("callback: %d %q %s", r.status, r.header.Get("Location"), truncate(r.body, 300))
	}
	r = c.get(t, "/functions/hello")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, "jane.doe@example.com") || !strings.Contains(r.body, `data-testid="invoke-form"`) {
		t.Errorf("after OIDC sign-in the page is not the runner jane's")
	}
	// The same state cannot be used twice.
	if r := c.get(t, back.RequestURI()); r.status != http.StatusForbidden {
		t.Errorf("replayed callback: %d", r.status)
	}
}

// TestEditorRevisionAuthor: in team mode a fixture's revision names the
// account that saved it, whatever the author field says.
func TestEditorRevisionAuthor(t *testing.T) {
	e := newTeamEnv(t, AuthConfig{Mode: AuthLocal})
	addUser(t, e.db, "erin", lambdadeck.RoleEditor, "editor password 1")
	c := e.client()
	if r := c.login(t, "erin", "editor password 1"); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.status)
	}
	r := c.post(t, "/fixtures/new", "/fixtures", url.Values{"name": {"order"}, "function": {"hello"}, "event": {`{"a":1}`}, "author": {"mallory"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create fixture: %d %s", r.status, truncate(r.body, 300))
	}
	page := c.get(t, r.header.Get("Location"))
	if !strings.Contains(page.body, "erin") || strings.Contains(page.body, "mallory") {
		t.Errorf("the fixture page does not name the account as author")
	}
}
