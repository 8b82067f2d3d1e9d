package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lambdadeck/lambdadeck"
)

// pollURL returns the feed URL of the page's live invocation table.
func pollURL(t *testing.T, body string) string {
	t.Helper()
	live := oneByTestID(t, parseHTML(t, body), "live-invocations")
	u := attr(live, "hx-get")
	if !strings.HasPrefix(u, "/invocations/feed?") || attr(live, "hx-trigger") != "every 2s" {
		t.Fatalf("live table polls %q every %q", u, attr(live, "hx-trigger"))
	}
	return u
}

func TestInvocationFeed(t *testing.T) {
	env := newTestEnv(t)
	first := env.record(t, lambdadeck.Invocation{Function: "hello", StartedAt: time.Now().Add(-time.Minute)})

	for _, page := range []string{"/", "/functions/hello", "/invocations", "/invocations?function=hello&status=succeeded"} {
		t.Run(page, func(t *testing.T) {
			feed := pollURL(t, env.get(t, page).body)
			// Nothing changed: 204, and htmx swaps nothing.
			if r := env.get(t, feed); r.status != http.StatusNoContent {
				t.Fatalf("unchanged feed: %d", r.status)
			}
		})
	}

	feed := pollURL(t, env.get(t, "/").body)
	second := env.record(t, lambdadeck.Invocation{Function: "hello", Source: lambdadeck.SourceAPI, Status: lambdadeck.StatusRunning})
	r := env.get(t, feed)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, second.RequestID) || !strings.Contains(r.body, first.RequestID) {
		t.Errorf("the feed lacks the new row:\n%s", truncate(r.body, 2000))
	}
	next := pollURL(t, r.body)
	if next == feed {
		t.Error("the answer should carry the new fingerprint")
	}
	if r := env.get(t, next); r.status != http.StatusNoContent {
		t.Errorf("polling the new URL: %d", r.status)
	}
	// The running invocation finishing changes the feed again.
	second.Status = lambdadeck.StatusSucceeded
	second.EndedAt = time.Now()
	if err := env.db.FinishInvocation(context.Background(), &second); err != nil {
		t.Fatal(err)
	}
	if r := env.get(t, next); r.status != http.StatusOK {
		t.Errorf("after the invocation finished: %d", r.status)
	}

	for _, bad := range []string{"/invocations/feed", "/invocations/feed?limit=0", "/invocations/feed?limit=5000", "/invocations/feed?limit=5&status=nope"} {
		if r := env.get(t, bad); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, r.status)
		}
	}
}

// TestBrowserDashboardShowsNewInvocations opens the dashboard in Chromium
// and records an invocation behind its back (as the CLI or an API caller
// would): the row appears without a reload.
func TestBrowserDashboardShowsNewInvocations(t *testing.T) {
	env := newTestEnv(t)
	ts := httptest.NewServer(env.server)
	defer ts.Close()
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="recent"]`))); err != nil {
		t.Fatal(err)
	}
	inv := env.record(t, lambdadeck.Invocation{Function: "hello", Source: lambdadeck.SourceAPI})
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`a[href="/invocations/`+inv.RequestID+`"]`))); err != nil {
		t.Fatalf("the new invocation never appeared: %v", err)
	}
}
