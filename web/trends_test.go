package web

import (
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestTrendsAndHistoryInputs: every new query parameter answers a
// malformed value with a 400 that says what it takes.
func TestTrendsAndHistoryInputs(t *testing.T) {
	env := newTestEnv(t)
	cases := map[string]string{
		"/functions/hello/trends?range=2d":                       `unknown range "2d"; use one of 1h, 24h, 7d, 30d, all`,
		"/functions/hello/trends?from=x":                         "unknown query parameter from",
		"/invocations?group=abc":                                 `group must be an error group's number (from /errors), not "abc"`,
		"/invocations?pinned=yes":                                `pinned must be 1 or absent, not "yes"`,
		"/invocations?from=yesterday":                            `from must be a UTC date and time such as 2026-01-31T14:05 (or RFC 3339), not "yesterday"`,
		"/invocations?from=2026-02-02T10:00&to=2026-02-01T10:00": "to (2026-02-01T10:00) must be after from (2026-02-02T10:00)",
		"/errors?status=failed":                                  "unknown query parameter status",
	}
	for target, want := range cases {
		r := env.get(t, target)
		if r.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.body), want) {
			t.Errorf("GET %s: %d, want 400 saying %q\n%s", target, r.status, want, truncate(r.body, 300))
		}
	}
	if r := env.get(t, "/functions/nope/trends"); r.status != http.StatusNotFound {
		t.Errorf("trends of an unknown function: %d", r.status)
	}
}

// TestHistoryDateRange: from and to select by start time, UTC.
func TestHistoryDateRange(t *testing.T) {
	env := newTestEnv(t)
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		inv := env.record(t, lambdadeck.Invocation{Function: "hello", StartedAt: day.Add(time.Duration(i) * 24 * time.Hour)})
		ids = append(ids, inv.RequestID)
	}
	r := env.get(t, "/invocations?from=2026-02-02T00:00&to=2026-02-03T00:00")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(r.body, ids[1]) || strings.Contains(r.body, ids[0]) || strings.Contains(r.body, ids[2]) {
		t.Errorf("the range 2 Feb lists the wrong invocations")
	}
	r = env.get(t, "/invocations?from=2026-02-02")
	if !strings.Contains(r.body, ids[1]) || !strings.Contains(r.body, ids[2]) || strings.Contains(r.body, ids[0]) {
		t.Errorf("from 2 Feb lists the wrong invocations")
	}
}
