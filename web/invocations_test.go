package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
)

// TestHistoryPagination walks the history with the Older link and back
// with the Newest link; filters stay in the links.
func TestHistoryPagination(t *testing.T) {
	env := newTestEnv(t)
	start := time.Date(2025, 3, 4, 17, 0, 0, 0, time.UTC)
	for i := range 120 {
		fn := "hello"
		if i%4 == 0 {
			fn = "other"
		}
		env.record(t, lambdadeck.Invocation{Function: fn, StartedAt: start.Add(time.Duration(i) * time.Second)})
	}

	tests := []struct {
		name      string
		first     string
		total     string
		pageSizes []int
		wantInURL string // every Older link keeps the filter
	}{
		{"all", "/invocations", "120 matching", []int{50, 50, 20}, ""},
		{"by function", "/invocations?function=hello", "90 matching", []int{50, 40}, "function=hello"},
		{"by function and status", "/invocations?function=other&status=succeeded", "30 matching", []int{30}, ""},
		{"no match", "/invocations?status=timed_out", "0 matching", []int{0}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.first
			var seen []string
			for i, size := range tt.pageSizes {
				r := env.get(t, target)
				mustStatus(t, r, http.StatusOK)
				doc := parseHTML(t, r.body)
				if got := text(oneByTestID(t, doc, "total")); got != tt.total {
					t.Errorf("page %d: total %q, want %q", i, got, tt.total)
				}
				rows := byTestID(doc, "invocation-row")
				if len(rows) != size {
					t.Fatalf("page %d: %d rows, want %d", i, len(rows), size)
				}
				for _, row := range rows {
					seen = append(seen, attr(row, "data-request-id"))
				}
				newest := byTestID(doc, "newest")
				if (i > 0) != (len(newest) == 1) {
					t.Errorf("page %d: %d Newest links", i, len(newest))
				}
				older := byTestID(doc, "older")
				if i == len(tt.pageSizes)-1 {
					if len(older) != 0 {
						t.Errorf("last page has an Older link")
					}
					break
				}
				if len(older) != 1 {
					t.Fatalf("page %d: no Older link", i)
				}
				target = attr(older[0], "href")
				if !strings.Contains(target, "before=") || !strings.Contains(target, tt.wantInURL) {
					t.Errorf("Older link %q lacks the cursor or the filter %q", target, tt.wantInURL)
				}
			}
			unique := map[string]bool{}
			for _, id := range seen {
				unique[id] = true
			}
			if len(unique) != len(seen) {
				t.Errorf("pages overlap: %d rows, %d distinct", len(seen), len(unique))
			}
		})
	}
}

// TestHistoryFilterForm checks that the filter form shows the current
// filters and searches event text.
func TestHistoryFilterForm(t *testing.T) {
	env := newTestEnv(t)
	match := env.record(t, lambdadeck.Invocation{Function: "hello", Event: []byte(`{"order":"needle-42"}`)})
	env.record(t, lambdadeck.Invocation{Function: "hello", Event: []byte(`{"order":"hay"}`)})
	env.record(t, lambdadeck.Invocation{Function: "gone", Event: []byte(`{}`)}) // no longer in the template

	r := env.get(t, "/invocations?q=needle&function=hello&source=cli")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	rows := byTestID(doc, "invocation-row")
	if len(rows) != 1 || attr(rows[0], "data-request-id") != match.RequestID {
		t.Fatalf("search found %d rows, want only %s", len(rows), match.RequestID)
	}
	form := oneByTestID(t, doc, "filters")
	selected := map[string]string{}
	for _, sel := range findAll(form, func(n *html.Node) bool { return n.Data == "select" }) {
		for _, opt := range findAll(sel, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") }) {
			selected[attr(sel, "name")] = attr(opt, "value")
		}
	}
	if selected["function"] != "hello" || selected["source"] != "cli" || selected["status"] != "" {
		t.Errorf("selected filters %q", selected)
	}
	for _, in := range findAll(form, func(n *html.Node) bool { return attr(n, "name") == "q" }) {
		if attr(in, "value") != "needle" {
			t.Errorf("search box holds %q", attr(in, "value"))
		}
	}

	// A function gone from the template still filters its history.
	doc = parseHTML(t, env.get(t, "/invocations?function=gone").body)
	if n := len(byTestID(doc, "invocation-row")); n != 1 {
		t.Errorf("function=gone: %d rows, want 1", n)
	}
}

// TestPermalinkShowsEverything checks a failed invocation's permalink:
// error, stack, truncated logs, context, client context, identity and masked
// overrides.
func TestPermalinkShowsEverything(t *testing.T) {
	env := newTestEnv(t)
	identity, _ := json.Marshal(lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"})
	inv := env.record(t, lambdadeck.Invocation{
		Function:      "hello",
		Event:         []byte(`{"a":[1,2]}`),
		Context:       []byte(`{"functionName":"hello","awsRequestId":"x"}`),
		ClientContext: []byte(`{"custom":{"k":"v"}}`),
		Identity:      identity,
		EnvOverrides:  map[string]string{"MY_SECRET": "shh-123", "MODE": "fast"},
		Payload:       []byte(`{"errorType":"TypeError","errorMessage":"x is undefined"}`),
		Status:        lambdadeck.StatusFailed,
		Error: &lambdadeck.FunctionError{Type: "TypeError", Message: "x is undefined",
			Stack: []string{"TypeError: x is undefined", "    at Runtime.handler (/var/task/index.js:3:11)"}},
		Logs:            "START RequestId: r\nline\n",
		LogsTruncated:   true,
		Duration:        2500 * time.Microsecond,
		BilledDuration:  3 * time.Millisecond,
		MemorySizeMB:    128,
		MaxMemoryUsedMB: 40,
	})
	r := env.get(t, "/invocations/"+inv.RequestID)
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)

	checks := map[string]string{
		"error-type":     "TypeError",
		"error-message":  "x is undefined",
		"error-stack":    "TypeError: x is undefined\n    at Runtime.handler (/var/task/index.js:3:11)\n",
		"event":          "{\n  \"a\": [\n    1,\n    2\n  ]\n}",
		"client-context": "{\n  \"custom\": {\n    \"k\": \"v\"\n  }\n}",
		"identity":       "{\n  \"cognitoIdentityId\": \"id-1\",\n  \"cognitoIdentityPoolId\": \"pool-1\"\n}",
		"logs":           "START RequestId: r\nline\n",
		"report-billed":  "3 ms",
	}
	for id, want := range checks {
		if got := rawText(oneByTestID(t, doc, id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if len(byTestID(doc, "logs-truncated")) != 1 {
		t.Error("the truncation mark is missing")
	}
	if len(byTestID(doc, "report-init")) != 0 {
		t.Error("a warm invocation shows an Init Duration")
	}
	if got := attr(oneByTestID(t, doc, "status-badge"), "data-status"); got != "failed" {
		t.Errorf("status %q", got)
	}
	// The overrides list masks secret-looking values; only the Run again
	// form carries them back, as the user typed them.
	if got := text(oneByTestID(t, doc, "env-overrides")); strings.Contains(got, "shh-123") || !strings.Contains(got, "MY_SECRET••••••") {
		t.Errorf("overrides shown as %q, want MY_SECRET masked", got)
	}
	if got := attr(oneByTestID(t, doc, "function-link"), "href"); got != "/functions/hello" {
		t.Errorf("function link %q", got)
	}
}

// TestResultPanelPayloadKinds checks how responses are shown: pretty JSON,
// raw text, base64 for binary, a note for empty.
func TestResultPanelPayloadKinds(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		name    string
		payload []byte
		testID  string
		want    string
	}{
		{"json", []byte(`{"ok":true}`), "response", "{\n  \"ok\": true\n}"},
		{"text", []byte("plain <text>"), "response", "plain <text>"},
		{"binary", []byte{0xff, 0xfe, 0x00, 0x01}, "response", "//4AAQ=="},
		{"empty", nil, "response-empty", "Empty response."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := env.record(t, lambdadeck.Invocation{Function: "hello", Payload: tt.payload})
			doc := parseHTML(t, env.get(t, "/invocations/"+inv.RequestID).body)
			if got := rawText(oneByTestID(t, doc, tt.testID)); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.testID, got, tt.want)
			}
			if tt.name == "binary" && len(byTestID(doc, "response-binary")) != 1 {
				t.Error("binary response lacks its note")
			}
		})
	}
}

// TestHealthz checks the health check while the store is up and after it
// is closed.
func TestHealthz(t *testing.T) {
	env := newTestEnv(t)
	r := env.get(t, "/healthz")
	mustStatus(t, r, http.StatusOK)
	var report map[string]any
	if err := json.Unmarshal([]byte(r.body), &report); err != nil {
		t.Fatalf("healthz body %q: %v", r.body, err)
	}
	want := map[string]any{"status": "ok", "store": "ok", "functions": float64(3), "version": "v0.0.0-test"}
	for k, v := range want {
		if report[k] != v {
			t.Errorf("healthz %s = %v, want %v", k, report[k], v)
		}
	}

	if err := env.db.Close(); err != nil {
		t.Fatal(err)
	}
	r = env.get(t, "/healthz")
	mustStatus(t, r, http.StatusServiceUnavailable)
	if err := json.Unmarshal([]byte(r.body), &report); err != nil {
		t.Fatalf("healthz body %q: %v", r.body, err)
	}
	if report["status"] != "unavailable" || !strings.Contains(report["store"].(string), "closed") {
		t.Errorf("healthz with a closed store: %v", report)
	}
}

// TestRunningInvocationPolls checks that the result panel of an unfinished
// invocation polls its permalink, and a finished one does not.
func TestRunningInvocationPolls(t *testing.T) {
	env := newTestEnv(t)
	running := env.record(t, lambdadeck.Invocation{Function: "hello", Status: lambdadeck.StatusRunning})
	done := env.record(t, lambdadeck.Invocation{Function: "hello"})

	result := oneByTestID(t, parseHTML(t, env.get(t, "/invocations/"+running.RequestID).body), "result")
	if attr(result, "hx-get") != "/invocations/"+running.RequestID || attr(result, "hx-trigger") != "every 500ms" {
		t.Errorf("running result panel: hx-get %q, hx-trigger %q", attr(result, "hx-get"), attr(result, "hx-trigger"))
	}
	if len(byTestID(result, "not-finished")) != 1 || len(byTestID(result, "report")) != 0 {
		t.Error("a running invocation shows REPORT figures")
	}
	result = oneByTestID(t, parseHTML(t, env.get(t, "/invocations/"+done.RequestID).body), "result")
	if hasAttr(result, "hx-get") || hasAttr(result, "hx-trigger") {
		t.Error("a finished result panel still polls")
	}
}

// TestHistoryEmptyStates checks what an empty invocation table says: "yet"
// only when nothing has run, and that the filters match nothing when they
// do, on the page and in its live feed; and that the search box promises
// only the fields the search reads (not the logs).
func TestHistoryEmptyStates(t *testing.T) {
	env := newTestEnv(t)
	emptyText := func(target string) string {
		t.Helper()
		r := env.get(t, target)
		mustStatus(t, r, http.StatusOK)
		return text(oneByTestID(t, parseHTML(t, r.body), "no-invocations"))
	}
	const yet, noMatch = "No invocations yet.", "No invocations match these filters."
	for _, target := range []string{"/", "/invocations", "/functions/hello"} {
		if got := emptyText(target); got != yet {
			t.Errorf("%s with no invocations says %q, want %q", target, got, yet)
		}
	}

	env.record(t, lambdadeck.Invocation{Function: "hello", Event: []byte(`{"order":"hay"}`)})
	for _, target := range []string{
		"/invocations?q=needle",
		"/invocations?status=crashed",
		"/invocations?function=other",
		"/invocations/feed?limit=50&q=needle",
	} {
		if got := emptyText(target); got != noMatch {
			t.Errorf("%s says %q, want %q", target, got, noMatch)
		}
	}
	if got := emptyText("/functions/other"); got != yet {
		t.Errorf("a function page with none of its own says %q, want %q", got, yet)
	}

	doc := parseHTML(t, env.get(t, "/invocations").body)
	for _, in := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "q" }) {
		if placeholder := attr(in, "placeholder"); strings.Contains(placeholder, "log") {
			t.Errorf("the search box promises %q, but the search does not read logs", placeholder)
		}
	}
}

// BenchmarkHistorySearch renders a text search of a 10k-row history (2 kB
// events) that matches a few rows, then none: the page must not scan the
// events more than once.
func BenchmarkHistorySearch(b *testing.B) {
	env := newTestEnv(b)
	ctx := context.Background()
	pad := strings.Repeat("x", 2000)
	start := time.Now().Add(-time.Hour)
	for i := range 10_000 {
		inv := &lambdadeck.Invocation{
			RequestID: uuid.NewString(), Function: "hello", Source: lambdadeck.SourceCLI,
			Event:  []byte(fmt.Sprintf(`{"order":"order-%d","pad":%q}`, i, pad)),
			Status: lambdadeck.StatusRunning, StartedAt: start.Add(time.Duration(i) * time.Millisecond),
		}
		if err := env.db.BeginInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"order-9999", "nothing-matches"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				env.server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/invocations?q="+q, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
