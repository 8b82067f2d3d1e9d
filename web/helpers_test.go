package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// fakeInvoker stands in for the invoker in handler tests. It records each
// invocation in the real store, as the real invoker does, and answers
// {"echo": <event>}.
type fakeInvoker struct {
	db        *store.DB
	functions []lambdadeck.Function

	mu       sync.Mutex
	calls    []lambdadeck.InvokeRequest
	throttle bool // answer ETHROTTLED, as a full queue does
}

func (f *fakeInvoker) Functions() []lambdadeck.Function { return f.functions }

func (f *fakeInvoker) Function(name string) (lambdadeck.Function, error) {
	for _, fn := range f.functions {
		if fn.Name == name {
			return fn, nil
		}
	}
	return lambdadeck.Function{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "function not found: %s", name)
}

func (f *fakeInvoker) Invoke(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	throttle := f.throttle
	f.mu.Unlock()
	if throttle {
		return nil, lambdadeck.Errorf(lambdadeck.ETHROTTLED, "Rate Exceeded.")
	}
	fn, err := f.Function(req.Function)
	if err != nil {
		return nil, err
	}
	inv := &lambdadeck.Invocation{
		RequestID:     uuid.NewString(),
		Function:      req.Function,
		Source:        req.Source,
		UserAgent:     req.UserAgent,
		FixtureID:     req.FixtureID,
		Event:         req.Event,
		Context:       json.RawMessage(`{"functionName":"` + fn.Name + `","memoryLimitInMB":"128"}`),
		ClientContext: req.ClientContext,
		EnvOverrides:  req.Env,
		StartedAt:     time.Now(),
	}
	if req.Identity != nil {
		inv.Identity, _ = json.Marshal(req.Identity)
	}
	if err := f.db.BeginInvocation(ctx, inv); err != nil {
		return nil, err
	}
	inv.Status = lambdadeck.StatusSucceeded
	inv.Payload = append(append([]byte(`{"echo":`), req.Event...), '}')
	inv.ContentType = "application/json"
	inv.Logs = "START RequestId: " + inv.RequestID + " Version: $LATEST\nhello from the handler\nEND RequestId: " + inv.RequestID + "\n"
	inv.Cold = true
	inv.InitDuration = 110100 * time.Microsecond
	inv.Duration = 3010 * time.Microsecond
	inv.BilledDuration = 115 * time.Millisecond
	inv.MemorySizeMB = fn.MemoryMB
	inv.MaxMemoryUsedMB = 36
	inv.EndedAt = inv.StartedAt.Add(inv.Duration)
	if err := f.db.FinishInvocation(ctx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

func (f *fakeInvoker) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeInvoker) lastCall() lambdadeck.InvokeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[len(f.calls)-1]
}

// testFunctions are the functions of the handler tests' template.
func testFunctions() []lambdadeck.Function {
	return []lambdadeck.Function{
		{
			Name: "hello", LogicalID: "HelloFunction", Runtime: "nodejs20.x", Handler: "index.handler",
			CodeDir: "/srv/app/hello", Timeout: 3 * time.Second, MemoryMB: 128, Architecture: "x86_64",
			Concurrency: 10,
			Environment: map[string]string{
				"TABLE_NAME":      "orders",
				"API_KEY":         "sk-live-abcdef123456",
				"db_password":     "hunter2-very-secret",
				"SESSION_TOKEN":   "tok-zzz-999",
				"AWS_CREDENTIALS": "cred-qqq-777",
				"PRIVATE_PEM":     "-----BEGIN-PEM-----",
				"LOG_LEVEL":       "debug",
				// Overridden by the tests' forms (the allow-list).
				"STAGE": "dev", "GREETING": "hello", "MODE": "normal",
			},
		},
		{
			Name: "other", Runtime: "python3.12", Handler: "app.handler", CodeDir: "/srv/app/other",
			Timeout: 3 * time.Second, MemoryMB: 256, Architecture: "arm64", Concurrency: 2,
		},
		{
			Name: "imagefn", Runtime: "", Handler: "", MemoryMB: 128, Timeout: 3 * time.Second,
			NotRunnable: "PackageType Image is not supported",
		},
	}
}

// testEnv is a server on a real store in a temporary directory, with the
// fake invoker.
type testEnv struct {
	server  *Server
	db      *store.DB
	invoker *fakeInvoker
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "lambdadeck.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	inv := &fakeInvoker{db: db, functions: testFunctions()}
	srv, err := New(Config{
		Invoker:      inv,
		Store:        db,
		Warnings:     []string{"Resource Thing: AWS::Serverless::Api is ignored <b>bold</b>"},
		TemplatePath: "/srv/app/template.yaml",
		Version:      "v0.0.0-test",
		// httptest.NewRequest addresses requests to example.com.
		AllowedHosts: []string{"example.com"},
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return &testEnv{server: srv, db: db, invoker: inv}
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request to the server.
func (e *testEnv) do(t *testing.T, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Header(), body: string(body)}
}

func (e *testEnv) get(t *testing.T, target string) response {
	t.Helper()
	return e.do(t, httptest.NewRequest(http.MethodGet, target, nil))
}

// csrf fetches a page like a browser without Sec-Fetch-Site would and
// returns the CSRF cookie and the token from the page's form.
func (e *testEnv) csrf(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/functions/hello", nil))
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "_csrf" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("GET /functions/hello set no _csrf cookie")
	}
	doc := parseHTML(t, rec.Body.String())
	var token string
	for _, n := range findAll(doc, func(n *html.Node) bool {
		return n.Data == "input" && attr(n, "name") == "_csrf"
	}) {
		token = attr(n, "value")
	}
	if token == "" {
		t.Fatal("the function page has no _csrf field")
	}
	return cookie, token
}

// postForm posts a form with a valid CSRF token; htmx adds the HX-Request
// header.
func (e *testEnv) postForm(t *testing.T, target string, form url.Values, htmx bool) response {
	t.Helper()
	cookie, token := e.csrf(t)
	form = cloneValues(form)
	form.Set("_csrf", token)
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "handler-test/1.0")
	req.AddCookie(cookie)
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	return e.do(t, req)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// record stores a finished invocation directly, as the invoker would.
func (e *testEnv) record(t *testing.T, inv lambdadeck.Invocation) lambdadeck.Invocation {
	t.Helper()
	ctx := context.Background()
	if inv.RequestID == "" {
		inv.RequestID = uuid.NewString()
	}
	if inv.Source == "" {
		inv.Source = lambdadeck.SourceCLI
	}
	if inv.Event == nil {
		inv.Event = json.RawMessage(`{}`)
	}
	final := inv.Status
	if final == "" {
		final = lambdadeck.StatusSucceeded
	}
	inv.Status = lambdadeck.StatusRunning
	if err := e.db.BeginInvocation(ctx, &inv); err != nil {
		t.Fatalf("begin invocation: %v", err)
	}
	inv.Status = final
	if final.Finished() {
		if inv.EndedAt.IsZero() {
			inv.EndedAt = inv.StartedAt.Add(inv.Duration)
		}
		if err := e.db.FinishInvocation(ctx, &inv); err != nil {
			t.Fatalf("finish invocation: %v", err)
		}
	}
	return inv
}

// HTML helpers: tests select elements by data-testid.

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var found []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			found = append(found, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return found
}

func byTestID(n *html.Node, id string) []*html.Node {
	return findAll(n, func(n *html.Node) bool { return attr(n, "data-testid") == id })
}

// oneByTestID returns the only element with the test id.
func oneByTestID(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := byTestID(n, id)
	if len(found) != 1 {
		t.Fatalf("want 1 element with data-testid=%q, found %d", id, len(found))
	}
	return found[0]
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// text is the text content of n, with runs of white space collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// rawText is the text content of n as is (for <pre> and <textarea>).
func rawText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		} else {
			b.WriteString(rawText(c))
		}
	}
	return b.String()
}

func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, want, truncate(r.body, 2000))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d more bytes)", len(s)-n)
}
