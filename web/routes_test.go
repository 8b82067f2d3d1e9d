package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
)

// TestRoutes requests every page and checks its status and one element
// that proves the right page rendered.
func TestRoutes(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello", Event: []byte(`{"n":1}`)})

	tests := []struct {
		name, target string
		status       int
		testID       string // an element the page must have
		contains     string // text the body must contain
	}{
		{"dashboard", "/", 200, "functions", "hello"},
		{"function page", "/functions/hello", 200, "invoke-form", "index.handler"},
		{"unknown function", "/functions/nope", 404, "error-heading", "function not found: nope"},
		{"history", "/invocations", 200, "invocations", inv.RequestID},
		{"history bad status", "/invocations?status=exploded", 400, "error-heading", `unknown status "exploded"`},
		{"history bad source", "/invocations?source=carrier-pigeon", 400, "error-heading", `unknown source`},
		{"history bad cursor", "/invocations?before=%21%21", 400, "error-heading", "malformed page cursor"},
		{"permalink", "/invocations/" + inv.RequestID, 200, "result", inv.RequestID},
		{"unknown invocation", "/invocations/00000000-0000-0000-0000-000000000000", 404, "error-heading", "no invocation with request id"},
		{"edit and run from unknown", "/functions/hello?from=nope", 404, "error-heading", "no invocation"},
		{"no such page", "/no/such/page", 404, "error-heading", "There is no page at this address."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.get(t, tt.target)
			mustStatus(t, r, tt.status)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
			doc := parseHTML(t, r.body)
			if len(byTestID(doc, tt.testID)) == 0 {
				t.Errorf("no element with data-testid=%q", tt.testID)
			}
			if !strings.Contains(text(doc), tt.contains) {
				t.Errorf("page text lacks %q", tt.contains)
			}
		})
	}
}

// TestSecurityHeaders checks the headers every page carries.
func TestSecurityHeaders(t *testing.T) {
	env := newTestEnv(t)
	for _, target := range []string{"/", "/functions/nope", "/healthz"} {
		r := env.get(t, target)
		want := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		}
		for name, value := range want {
			if got := r.header.Get(name); got != value {
				t.Errorf("%s: %s = %q, want %q", target, name, got, value)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q lacks default-src 'self'", target, csp)
		}
	}
}

// TestPagesHaveNoInlineCode guards the Content-Security-Policy: pages load
// scripts and styles only from /static/.
func TestPagesHaveNoInlineCode(t *testing.T) {
	env := newTestEnv(t)
	for _, target := range []string{"/", "/functions/hello", "/invocations"} {
		doc := parseHTML(t, env.get(t, target).body)
		for _, n := range findAll(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "style" || hasAttr(n, "style") }) {
			if n.Data == "script" && strings.HasPrefix(attr(n, "src"), "/static/") && n.FirstChild == nil {
				continue
			}
			t.Errorf("%s: inline code in <%s %v>", target, n.Data, n.Attr)
		}
		for _, n := range findAll(doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "stylesheet" }) {
			if !strings.HasPrefix(attr(n, "href"), "/static/css/app.") {
				t.Errorf("%s: stylesheet %q is not a hashed static URL", target, attr(n, "href"))
			}
		}
	}
}

// TestStaticAssets fetches every asset a page links to and checks the
// long-lived cache headers and content types.
func TestStaticAssets(t *testing.T) {
	env := newTestEnv(t)
	doc := parseHTML(t, env.get(t, "/").body)
	var urls []string
	for _, n := range findAll(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "link" }) {
		if u := attr(n, "src") + attr(n, "href"); strings.HasPrefix(u, "/static/") {
			urls = append(urls, u)
		}
	}
	wantTypes := map[string]string{".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			continue
		}
		seen[u] = true
		r := env.get(t, u)
		mustStatus(t, r, http.StatusOK)
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
		for ext, ct := range wantTypes {
			if strings.HasSuffix(u, ext) && !strings.HasPrefix(r.header.Get("Content-Type"), ct) {
				t.Errorf("%s: Content-Type %q, want %s", u, r.header.Get("Content-Type"), ct)
			}
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a static asset sets a cookie", u)
		}
	}
	if len(seen) < 4 {
		t.Errorf("found %d static URLs on the dashboard, want css, htmx, app.js and the favicon", len(seen))
	}
	mustStatus(t, env.get(t, "/static/css/app.00000000.css"), http.StatusNotFound)

	r := env.get(t, "/favicon.ico")
	mustStatus(t, r, http.StatusFound)
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/static/img/favicon.") {
		t.Errorf("favicon redirects to %q", loc)
	}
}

// TestPanicIsA500 checks that the recover middleware turns a panic into the
// error page.
func TestPanicIsA500(t *testing.T) {
	env := newTestEnv(t)
	env.server.Echo().GET("/panic", func(echo.Context) error { panic("boom") })
	r := env.do(t, httptest.NewRequest(http.MethodGet, "/panic", nil))
	mustStatus(t, r, http.StatusInternalServerError)
	if strings.Contains(r.body, "boom") {
		t.Error("the panic value leaked into the page")
	}
	if !strings.Contains(r.body, "Internal error.") {
		t.Error("the error page lacks the generic message")
	}
}

// TestFormControlsAreLabelledAndStyled checks every page's form controls:
// each <label for> names an element that exists (a label for nothing is
// announced by screen readers as a control that isn't there), and each
// <input> says its type, since the stylesheet styles text boxes by type.
func TestFormControlsAreLabelledAndStyled(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello"})
	pages := []string{
		"/", "/functions/hello", "/functions/imagefn", "/invocations", "/invocations/" + inv.RequestID,
		"/fixtures", "/fixtures/new", "/tests", "/environments", "/templates", "/templates/s3/put",
	}
	for _, target := range pages {
		r := env.get(t, target)
		mustStatus(t, r, http.StatusOK)
		doc := parseHTML(t, r.body)
		ids := map[string]bool{}
		for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "id") != "" }) {
			ids[attr(n, "id")] = true
		}
		for _, label := range findAll(doc, func(n *html.Node) bool { return n.Data == "label" && hasAttr(n, "for") }) {
			if !ids[attr(label, "for")] {
				t.Errorf("%s: <label for=%q> %q names no element", target, attr(label, "for"), text(label))
			}
		}
		for _, in := range findAll(doc, func(n *html.Node) bool { return n.Data == "input" }) {
			if !hasAttr(in, "type") {
				t.Errorf("%s: <input name=%q> has no type", target, attr(in, "name"))
			}
		}
	}
}
