package static

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestAssets checks that every embedded file gets a content-hashed URL that
// serves it with a year-long immutable cache lifetime.
func TestAssets(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	hashed := regexp.MustCompile(`^/static/[a-z/]+[a-z]+\.[0-9a-f]{8}\.(css|js|min\.js|svg)$`)
	wantNames := []string{"css/app.css", "js/app.js", "vendor/htmx.min.js", "img/favicon.svg"}
	for _, name := range wantNames {
		u := a.URL(name)
		if !hashed.MatchString(u) {
			t.Errorf("URL(%q) = %q, want a hashed URL", name, u)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		body, _ := io.ReadAll(rec.Body)
		want, _ := files.ReadFile(name)
		if rec.Code != http.StatusOK || string(body) != string(want) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and the file's %d bytes", u, rec.Code, len(body), len(want))
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", u, cc)
		}
	}
	if got := a.URL("vendor/htmx.min.js"); !strings.HasSuffix(got, ".min.js") || strings.Count(got, ".") != 3 {
		t.Errorf("htmx URL %q: the hash belongs before .min.js", got)
	}
	if got := a.URL("css/nope.css"); !strings.HasPrefix(got, "/static/missing/") {
		t.Errorf("unknown asset URL %q", got)
	}
	// The unhashed path and a stale hash are not served.
	for _, path := range []string{"/static/css/app.css", "/static/css/app.00000000.css"} {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

// TestHashedName checks that the hash follows the content.
func TestHashedName(t *testing.T) {
	a := hashedName("css/app.css", []byte("body{}"))
	b := hashedName("css/app.css", []byte("body{color:red}"))
	if a == b {
		t.Errorf("different content, same name %q", a)
	}
	if a != hashedName("css/app.css", []byte("body{}")) {
		t.Error("the same content hashed differently")
	}
}
