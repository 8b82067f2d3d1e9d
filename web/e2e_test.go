package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// helloJS is a Node.js handler that greets, logs and fails on demand.
const helloJS = `exports.handler = async (event, context) => {
  console.log("greeting", event.name);
  if (event.fail) {
    throw new TypeError("asked to fail");
  }
  return { message: "Hello, " + event.name + "!", requestId: context.awsRequestId };
};
`

// liveServer runs the real invoker and store behind the server on a real
// listener, with the "hello" Node.js function.
func liveServer(t *testing.T) (*httptest.Server, *store.DB) {
	t.Helper()
	return serveNodeFunction(t, helloJS, lambdadeck.Function{
		Name: "hello", Runtime: "nodejs20.x", Handler: "index.handler",
		Timeout: 5 * time.Second, MemoryMB: 256, Architecture: "x86_64", Concurrency: 2,
		Environment: map[string]string{"GREETING_STYLE": "plain", "API_KEY": "abc-secret-123"},
	})
}

// serveNodeFunction writes source as fn's index.js and serves fn through the
// real invoker and a real store, on a real listener.
func serveNodeFunction(t *testing.T, source string, fn lambdadeck.Function) (*httptest.Server, *store.DB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	fn.CodeDir = filepath.Join(dir, fn.Name)
	if err := os.MkdirAll(fn.CodeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fn.CodeDir, "index.js"), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	iv, err := invoker.New(invoker.Config{Functions: []lambdadeck.Function{fn}, Recorder: db, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	srv, err := New(Config{Invoker: iv, Store: db, TemplatePath: filepath.Join(dir, "template.yaml"), Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, db
}

// TestEndToEndNode runs a real Node.js handler through the real invoker and
// store from the invoke form, as a browser without JavaScript does, then
// with htmx.
func TestEndToEndNode(t *testing.T) {
	ts, db := liveServer(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}

	get := func(target string) (*html.Node, *http.Response) {
		t.Helper()
		resp, err := client.Get(ts.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return parseHTML(t, string(body)), resp
	}
	doc, _ := get("/functions/hello")
	var token string
	for _, n := range findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "_csrf" }) {
		token = attr(n, "value")
	}
	if token == "" {
		t.Fatal("no CSRF token on the function page")
	}

	// Without JavaScript: POST, 303, permalink.
	resp, err := client.PostForm(ts.URL+"/functions/hello/invoke", url.Values{"_csrf": {token}, "event": {`{"name": "Ada"}`}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/invocations/") {
		t.Fatalf("after the redirect: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	requestID := strings.TrimPrefix(resp.Request.URL.Path, "/invocations/")
	page := parseHTML(t, string(body))
	if got := attr(oneByTestID(t, page, "status-badge"), "data-status"); got != "succeeded" {
		t.Fatalf("status %q; logs:\n%s", got, rawText(oneByTestID(t, page, "logs")))
	}
	if got := rawText(oneByTestID(t, page, "response")); !strings.Contains(got, `"message": "Hello, Ada!"`) || !strings.Contains(got, requestID) {
		t.Errorf("response %q", got)
	}
	logs := rawText(oneByTestID(t, page, "logs"))
	for _, want := range []string{"START RequestId: " + requestID, "greeting Ada", "END RequestId: " + requestID, "REPORT RequestId: " + requestID} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if got := text(oneByTestID(t, page, "cold-badge")); got != "cold" {
		t.Errorf("first invocation is %q, want cold", got)
	}
	if got := text(oneByTestID(t, page, "report-memory")); got != "256 MB" {
		t.Errorf("memory size %q", got)
	}
	if len(byTestID(page, "report-init")) != 1 {
		t.Error("a cold start shows no Init Duration")
	}
	stored, err := db.Invocation(context.Background(), requestID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Source != lambdadeck.SourceBrowser || stored.UserAgent == "" {
		t.Errorf("stored source %q, user agent %q", stored.Source, stored.UserAgent)
	}

	// With htmx: a warm run of a failing event answers the result panel.
	form := url.Values{"_csrf": {token}, "event": {`{"name": "Bob", "fail": true}`}}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/functions/hello/invoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("htmx invoke: %d\n%s", resp.StatusCode, body)
	}
	fragment := oneByTestID(t, parseHTML(t, string(body)), "result")
	if got := attr(oneByTestID(t, fragment, "status-badge"), "data-status"); got != "failed" {
		t.Errorf("status %q, want failed", got)
	}
	if got := text(oneByTestID(t, fragment, "error-type")); got != "TypeError" {
		t.Errorf("error type %q", got)
	}
	if got := text(oneByTestID(t, fragment, "error-message")); got != "asked to fail" {
		t.Errorf("error message %q", got)
	}
	if got := text(oneByTestID(t, fragment, "cold-badge")); got != "warm" {
		t.Errorf("second invocation is %q, want warm", got)
	}

	// The dashboard counts both.
	dash, _ := get("/")
	if got := text(oneByTestID(t, dash, "function-count")); got != "2" {
		t.Errorf("dashboard count %q, want 2", got)
	}
}

// chromiumPath is where the brief's environment installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium with a fresh profile, and extra
// command-line options.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s: %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// browserSession runs steps in a Chromium tab, each with a time limit, and
// collects the tab's console errors (exceptions, Content-Security-Policy
// violations) so that a test fails on them.
type browserSession struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string
	stop     context.CancelFunc
	done     chan struct{}
}

// watchBrowser starts the browser of ctx and listens to its console;
// messages containing one of expected are ones the test provokes on purpose.
func watchBrowser(t *testing.T, ctx context.Context, expected ...string) *browserSession {
	t.Helper()
	if err := chromedp.Listen(ctx, func(any) {}); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	consoleCtx, stop := context.WithCancel(ctx)
	b := &browserSession{t: t, ctx: ctx, stop: stop, done: make(chan struct{})}
	messages := chromedp.Console(consoleCtx)
	go func() {
		defer close(b.done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(m.Text, e) }) {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				b.mu.Lock()
				b.problems = append(b.problems, string(m.Type)+": "+m.Text)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// step runs actions, failing the test after 20 seconds or on an error.
func (b *browserSession) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

// read runs an action that reads a value from the page.
func (b *browserSession) read(name string, action chromedp.Action[string]) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	return v
}

// checkConsole stops listening and fails the test for each console error.
func (b *browserSession) checkConsole() {
	b.t.Helper()
	b.stop()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser console: %s", p)
	}
}

// testIDSelector selects the element with a data-testid.
func testIDSelector(id string) string { return `[data-testid="` + id + `"]` }

// TestBrowserInvoke drives the function page in headless Chromium: live
// JSON validation, Format, Invoke with the result swapped in place by htmx,
// then the permalink. It also fails on any console error, such as a
// Content-Security-Policy violation.
func TestBrowserInvoke(t *testing.T) {
	ctx := newBrowser(t)
	ts, _ := liveServer(t)

	// The invalid-JSON step provokes one 400 on purpose; the browser and
	// htmx both log it.
	b := watchBrowser(t, ctx, "status of 400", "Error Code 400 from /functions/hello/invoke")
	step, read, byID := b.step, b.read, testIDSelector

	step("open the function page",
		chromedp.Navigate(ts.URL+"/functions/hello"),
		chromedp.WaitVisible(chromedp.CSS(byID("invoke-form"))),
		// app.js reveals the Format button: proof that it ran under the CSP.
		chromedp.WaitVisible(chromedp.CSS(byID("format"))),
	)
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof htmx === "object"`)); err != nil || !ok {
		t.Fatalf("htmx did not load: %v", err)
	}
	if masked := read("env value", chromedp.Text(chromedp.CSS(`[data-name="API_KEY"]`))); masked != "••••••" {
		t.Errorf("API_KEY shows %q", masked)
	}

	step("type invalid JSON",
		chromedp.SetValue(chromedp.CSS("#event"), "{\"name\": Ada}"),
		chromedp.WaitVisible(chromedp.CSS(byID("event-error"))),
	)
	if msg := read("event error", chromedp.Text(chromedp.CSS(byID("event-error")))); !strings.Contains(msg, "line 1, column 10") {
		t.Errorf("live validation says %q, want line 1, column 10", msg)
	}

	// The server refuses it too, and htmx swaps its 400 answer into the
	// result panel.
	step("invoke invalid JSON",
		chromedp.Click(chromedp.CSS(byID("invoke"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("error-notice"))),
	)
	if msg := read("server error", chromedp.Text(chromedp.CSS(`#result `+byID("error-text")))); !strings.Contains(msg, "line 1, column 10: invalid character 'A' looking for beginning of value") {
		t.Errorf("the server's answer in the result panel is %q", msg)
	}

	step("fix and format",
		chromedp.SetValue(chromedp.CSS("#event"), `{"name":"Grace"`),
		// Typing the closing brace fixes the JSON: the error goes away.
		chromedp.SendKeys(chromedp.CSS("#event"), `}`),
		chromedp.WaitNotVisible(chromedp.CSS(byID("event-error"))),
		chromedp.Click(chromedp.CSS(byID("format"))),
	)
	if v := read("formatted", chromedp.Value(chromedp.CSS("#event"))); v != "{\n  \"name\": \"Grace\"\n}" {
		t.Errorf("Format gave %q", v)
	}

	step("invoke",
		chromedp.Click(chromedp.CSS(byID("invoke"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("report-duration"))),
	)
	if loc := read("location", chromedp.Location()); loc != ts.URL+"/functions/hello" {
		t.Errorf("the page navigated to %s; htmx should swap in place", loc)
	}
	if got := read("response", chromedp.Text(chromedp.CSS(`#result `+byID("response")))); !strings.Contains(got, `"message": "Hello, Grace!"`) {
		t.Errorf("response %q", got)
	}
	for _, id := range []string{"report-duration", "report-billed", "report-memory", "report-max-memory"} {
		if got := read(id, chromedp.Text(chromedp.CSS(`#result `+byID(id)))); !strings.HasSuffix(got, " ms") && !strings.HasSuffix(got, " MB") {
			t.Errorf("%s = %q", id, got)
		}
	}
	step("recent invocations refreshed", chromedp.WaitVisible(chromedp.CSS(`#recent-invocations `+byID("invocation-row"))))
	// The Invoke button is enabled again and the spinner faded out once the
	// request is done.
	step("request settled",
		chromedp.WaitEnabled(chromedp.CSS(byID("invoke"))),
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](`getComputedStyle(document.getElementById("invoke-spinner")).opacity === "0"`)(ctx, t)
			return chromedp.Void{}, err
		},
	)

	if path := os.Getenv("LAMBDADECK_SCREENSHOT"); path != "" {
		// Quality 100 makes a PNG; anything less is a JPEG.
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}

	requestID := read("request id", chromedp.Text(chromedp.CSS(`#result `+byID("permalink"))))
	step("follow the permalink",
		chromedp.Click(chromedp.CSS(`#result `+byID("permalink"))),
		chromedp.WaitVisible(chromedp.CSS(byID("request-id"))),
	)
	if loc := read("location", chromedp.Location()); loc != ts.URL+"/invocations/"+requestID {
		t.Errorf("permalink went to %s", loc)
	}
	if got := read("permalink event", chromedp.Text(chromedp.CSS(byID("event")))); !strings.Contains(got, `"name": "Grace"`) {
		t.Errorf("permalink event %q", got)
	}

	b.checkConsole()
}
