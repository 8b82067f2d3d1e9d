package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// TestSettingsSavesRetention: the settings form saves the limits (CSRF
// checked), refuses a malformed one with the reason and the values as
// typed, and a command-line limit wins over the saved one.
func TestSettingsSavesRetention(t *testing.T) {
	env := newTestEnv(t)
	r := env.postForm(t, "/settings", url.Values{"keep": {"30d"}, "keep_invocations": {"1M"}, "keep_bytes": {""}}, false)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/settings?saved=1" {
		t.Fatalf("save: %d %s", r.status, r.header.Get("Location"))
	}
	got, err := env.db.StoredRetention(context.Background())
	if err != nil || got != (store.Retention{MaxAge: 30 * 24 * time.Hour, MaxInvocations: 1_000_000}) {
		t.Errorf("saved %+v, %v", got, err)
	}
	page := env.get(t, "/settings?saved=1")
	mustStatus(t, page, http.StatusOK)
	doc := parseHTML(t, page.body)
	if got := text(oneByTestID(t, doc, "effective-retention")); got != "In force: keep 30d, keep 1000000 invocations." {
		t.Errorf("effective: %q", got)
	}

	r = env.postForm(t, "/settings", url.Values{"keep": {"a month"}, "keep_invocations": {"10"}}, false)
	if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), `age "a month": use a number and a unit`) ||
		!strings.Contains(r.body, `value="a month"`) {
		t.Errorf("malformed: %d\n%s", r.status, truncate(r.body, 400))
	}
	if got, _ := env.db.StoredRetention(context.Background()); got.MaxInvocations != 1_000_000 {
		t.Errorf("a refused form changed the settings: %+v", got)
	}

	// Without the CSRF token: refused.
	req := newFormRequest("/settings", url.Values{"keep": {"1d"}})
	if r := env.do(t, req); r.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", r.status)
	}

	// A flag wins.
	env.server.retention = store.Retention{MaxAge: 7 * 24 * time.Hour}
	doc = parseHTML(t, env.get(t, "/settings").body)
	if got := text(oneByTestID(t, doc, "effective-retention")); got != "In force: keep 7d, keep 1000000 invocations." {
		t.Errorf("effective with --keep 7d: %q", got)
	}
	if got := text(oneByTestID(t, doc, "flag-keep")); !strings.Contains(got, "--keep 7d") {
		t.Errorf("the page does not say the flag wins: %q", got)
	}
}

func newFormRequest(target string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://example.com"+target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// TestPinFromThePermalink: Pin and Unpin post forms on the permalink, the
// history filters pinned ones, and /healthz reports the database.
func TestPinFromThePermalink(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello"})
	other := env.record(t, lambdadeck.Invocation{Function: "hello"})
	r := env.postForm(t, "/invocations/"+inv.RequestID+"/pin", nil, false)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/invocations/"+inv.RequestID {
		t.Fatalf("pin: %d %s", r.status, r.header.Get("Location"))
	}
	doc := parseHTML(t, env.get(t, "/invocations/"+inv.RequestID).body)
	oneByTestID(t, doc, "pinned-badge")
	oneByTestID(t, doc, "unpin")
	pinned := env.get(t, "/invocations?pinned=1")
	if !strings.Contains(pinned.body, inv.RequestID) || strings.Contains(pinned.body, other.RequestID) {
		t.Error("the pinned filter lists the wrong invocations")
	}
	if r := env.postForm(t, "/invocations/"+inv.RequestID+"/unpin", nil, false); r.status != http.StatusSeeOther {
		t.Fatalf("unpin: %d", r.status)
	}
	doc = parseHTML(t, env.get(t, "/invocations/"+inv.RequestID).body)
	oneByTestID(t, doc, "pin")
	if r := env.postForm(t, "/invocations/nope/pin", nil, false); r.status != http.StatusNotFound {
		t.Errorf("pin an unknown invocation: %d", r.status)
	}

	var health struct {
		Database struct {
			SizeBytes    int64  `json:"sizeBytes"`
			OldestKeptAt string `json:"oldestKeptAt"`
			Reclaims     bool   `json:"reclaimsSpace"`
			Retention    string `json:"retention"`
		} `json:"database"`
	}
	h := env.get(t, "/healthz")
	if err := json.Unmarshal([]byte(h.body), &health); err != nil {
		t.Fatal(err)
	}
	oldest, err := time.Parse(time.RFC3339, health.Database.OldestKeptAt)
	if health.Database.SizeBytes <= 0 || err != nil || oldest.After(inv.StartedAt) || !health.Database.Reclaims || health.Database.Retention != "no limit" {
		t.Errorf("/healthz database: %+v", health.Database)
	}
	dash := parseHTML(t, env.get(t, "/").body)
	if got := text(oneByTestID(t, dash, "database-size")); !strings.Contains(got, "B") {
		t.Errorf("dashboard size %q", got)
	}
}
