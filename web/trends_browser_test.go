package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lambdadeck/lambdadeck"
)

// shopJS fails with a message carrying an order number and a quoted user
// when the event asks it to, and otherwise answers after a short wait.
const shopJS = `exports.handler = async (event, context) => {
  if (event.fail) {
    throw new Error("order " + event.order + " for '" + event.user + "' not found");
  }
  await new Promise((r) => setTimeout(r, event.sleep || 1));
  return { ok: true, requestId: context.awsRequestId };
};
`

// invokeAPI sends one synchronous invocation through the server's Invoke
// API and returns its request id.
func invokeAPI(t *testing.T, baseURL, function, event string) string {
	t.Helper()
	resp, err := http.Post(baseURL+"/2015-03-31/functions/"+function+"/invocations", "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: %d %s", function, resp.StatusCode, body)
	}
	id := resp.Header.Get("x-amzn-RequestId")
	if id == "" {
		t.Fatalf("invoke %s: no request id", function)
	}
	return id
}

// TestBrowserTrendsAndErrorGroups runs a real Node.js handler through the
// server five times (two successes, three failures with different order
// numbers and users), then reads in Chromium the function page's trend
// panel, the trends page's charts and table, and /errors, whose one group
// counts the three failures and links to the latest and to all three.
func TestBrowserTrendsAndErrorGroups(t *testing.T) {
	ctx := newBrowser(t)
	ts, _ := serveNodeFunction(t, shopJS, lambdadeck.Function{
		Name: "shop", Runtime: "nodejs20.x", Handler: "index.handler",
		Timeout: 5 * time.Second, MemoryMB: 256, Architecture: "x86_64", Concurrency: 2,
	})
	invokeAPI(t, ts.URL, "shop", `{"sleep": 5}`)
	invokeAPI(t, ts.URL, "shop", `{"sleep": 20}`)
	var failures []string
	for i, user := range []string{"ada", "grace", "linus"} {
		failures = append(failures, invokeAPI(t, ts.URL, "shop", fmt.Sprintf(`{"fail": true, "order": %d, "user": %q}`, 1000+i*37, user)))
	}

	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector
	step("the function page's trend panel",
		chromedp.Navigate(ts.URL+"/functions/shop"),
		chromedp.WaitVisible(chromedp.CSS(byID("trend-panel"))),
	)
	if got := read("panel count", chromedp.Text(chromedp.CSS(byID("trend-panel")+" "+byID("total-count")))); got != "5" {
		t.Errorf("the panel counts %q invocations, want 5", got)
	}
	if n := read("panel bars", chromedp.Evaluate[string](`String(document.querySelectorAll('[data-testid="trend-panel"] [data-testid="chart-count"] rect.bar').length)`)); n == "0" {
		t.Error("the panel's invocations chart has no bar")
	}

	step("the trends page over the last hour",
		chromedp.Click(chromedp.CSS(byID("trends-link"))),
		chromedp.WaitVisible(chromedp.CSS(byID("trend-range"))),
		chromedp.SetValue(chromedp.CSS("#t-range"), "1h"),
		// The table is on the page before the form is sent too: mark this
		// document, and wait for the table of an unmarked one (the answer).
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[string](`document.body.dataset.before = "1"`)(ctx, t)
			return chromedp.Void{}, err
		},
		chromedp.Click(chromedp.CSS(byID("trend-range")+" button")),
		chromedp.WaitVisible(chromedp.CSS("body:not([data-before]) "+byID("trend-table"))),
	)
	if got := read("url", chromedp.Location()); !strings.HasSuffix(got, "/functions/shop/trends?range=1h") {
		t.Errorf("the range form went to %s", got)
	}
	if got := read("error rate", chromedp.Text(chromedp.CSS(byID("total-error-rate")))); !strings.HasPrefix(got, "60.0 %") {
		t.Errorf("error rate %q, want 60.0 %% (3 of 5)", got)
	}
	for _, chart := range []string{"chart-count", "chart-duration", "chart-errors", "chart-cold", "chart-memory"} {
		if got := read(chart, chromedp.Evaluate[string](`String(document.querySelectorAll('[data-testid="`+chart+`"] svg rect.bar, [data-testid="`+chart+`"] svg circle.mark').length)`)); got == "0" {
			t.Errorf("%s draws nothing", chart)
		}
	}
	rows := read("table", chromedp.Text(chromedp.CSS(byID("trend-table")+" tbody")))
	if !strings.Contains(rows, "5") || !strings.Contains(rows, "60.0 %") {
		t.Errorf("the table lacks the numbers: %q", rows)
	}
	// The charts' tooltips carry the numbers too.
	if got := read("tooltip", chromedp.Evaluate[string](`document.querySelector('[data-testid="chart-count"] rect.bar title').textContent`)); !strings.Contains(got, "5 invocations, 3 errors") {
		t.Errorf("the bar's tooltip says %q", got)
	}

	step("the error groups",
		chromedp.Click(chromedp.CSS(byID("nav-errors"))),
		chromedp.WaitVisible(chromedp.CSS(byID("error-groups"))),
	)
	if n := read("groups", chromedp.Evaluate[string](`String(document.querySelectorAll('[data-testid="error-group"]').length)`)); n != "1" {
		t.Fatalf("%s error groups, want 1", n)
	}
	if got := read("count", chromedp.Text(chromedp.CSS(byID("group-count")))); got != "3" {
		t.Errorf("the group counts %q failures, want 3", got)
	}
	if got := read("fingerprint", chromedp.Text(chromedp.CSS(byID("group-fingerprint")))); got != `order <n> for "<str>" not found` {
		t.Errorf("fingerprint %q", got)
	}
	if got := read("type", chromedp.Text(chromedp.CSS(byID("group-type")))); got != "Error" {
		t.Errorf("error type %q", got)
	}

	step("the latest failure",
		chromedp.Click(chromedp.CSS(byID("group-latest"))),
		chromedp.WaitVisible(chromedp.CSS(byID("status-badge"))),
	)
	if got := read("permalink", chromedp.Location()); !strings.HasSuffix(got, "/invocations/"+failures[2]) {
		t.Errorf("latest goes to %s, want the third failure %s", got, failures[2])
	}

	step("all of the group",
		chromedp.Navigate(ts.URL+"/errors"),
		chromedp.WaitVisible(chromedp.CSS(byID("group-history"))),
		chromedp.Click(chromedp.CSS(byID("group-history"))),
		chromedp.WaitVisible(chromedp.CSS(byID("group-filter"))),
	)
	html := read("history", chromedp.OuterHTML(chromedp.CSS("main")))
	for _, id := range failures {
		if !strings.Contains(html, id) {
			t.Errorf("the group's history lacks failure %s", id)
		}
	}
	if got := read("total", chromedp.Text(chromedp.CSS(byID("total")))); got != "3 matching" {
		t.Errorf("the group's history says %q", got)
	}
	b.checkConsole()
}
