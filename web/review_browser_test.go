package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// gitRun runs git in dir with a fixed identity.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitServer serves a Node.js function whose code folder is a git
// repository, through the real invoker and store; it returns the folder
// and the invoker, so a test can change the code.
func gitServer(t *testing.T, source string) (*httptest.Server, *store.DB, *invoker.Invoker, string) {
	t.Helper()
	for _, tool := range []string{"node", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	fn := lambdadeck.Function{Name: "hello", Runtime: "nodejs20.x", Handler: "index.handler",
		Timeout: 5 * time.Second, MemoryMB: 256, Architecture: "x86_64", Concurrency: 2,
		CodeDir: filepath.Join(dir, "hello"), Environment: map[string]string{"STAGE": "dev"}}
	if err := os.MkdirAll(fn.CodeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fn.CodeDir, "index.js"), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, fn.CodeDir, "init", "-q")
	gitRun(t, fn.CodeDir, "add", ".")
	gitRun(t, fn.CodeDir, "commit", "-q", "-m", "first")
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
	srv, err := New(Config{Invoker: iv, Store: db, TemplatePath: filepath.Join(dir, "template.yaml"), Version: "review"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, db, iv, fn.CodeDir
}

const greetV1 = `exports.handler = async (event) => {
  console.log("greeting", event.name);
  return { message: "Hello, " + event.name + "!", version: 1 };
};
`

const greetV2 = `exports.handler = async (event) => {
  console.log("greeting", event.name);
  console.log("v2 says more");
  return { message: "Howdy, " + event.name + "!", version: 2, extra: true };
};
`

// TestBrowserCompareAcrossACodeChange runs a function, changes and commits
// its handler, runs it again, and compares the two runs in Chromium: from
// the permalink's "Compare with the previous run", and from the history's
// two checkboxes. The page shows the response's changes by JSON path, the
// log line that differs (and not those that differ only by request id or
// timing) and the code version change.
func TestBrowserCompareAcrossACodeChange(t *testing.T) {
	ctx := newBrowser(t)
	ts, db, iv, codeDir := gitServer(t, greetV1)
	first := gitRun(t, codeDir, "rev-parse", "HEAD")
	a := invokeAPI(t, ts.URL, "hello", `{"name":"Ada"}`)

	if err := os.WriteFile(filepath.Join(codeDir, "index.js"), []byte(greetV2), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, codeDir, "commit", "-q", "-am", "second")
	second := gitRun(t, codeDir, "rev-parse", "HEAD")
	iv.Retire("hello") // as the code watcher does
	bID := invokeAPI(t, ts.URL, "hello", `{"name":"Ada","lang":"en"}`)

	stored, err := db.Invocation(context.Background(), bID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Code == nil || stored.Code.Commit != second || stored.Config == nil || stored.Config.Handler != "index.handler" {
		t.Fatalf("the second run recorded code %+v config %+v", stored.Code, stored.Config)
	}

	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector
	step("open the second run's permalink",
		chromedp.Navigate(ts.URL+"/invocations/"+bID),
		chromedp.WaitVisible(chromedp.CSS(byID("run-version"))),
	)
	if got := read("code version", chromedp.Text(chromedp.CSS(byID("code-commit")))); got != second {
		t.Errorf("permalink's commit = %q, want %s", got, second)
	}
	if got := read("interpreter", chromedp.Text(chromedp.CSS(`[data-testid="config"][data-name="Local interpreter"]`))); !strings.HasPrefix(got, "node v") {
		t.Errorf("interpreter = %q", got)
	}
	step("compare with the previous run",
		chromedp.Click(chromedp.CSS(byID("compare-previous"))),
		chromedp.WaitVisible(chromedp.CSS(byID("figures"))),
	)
	if loc := read("location", chromedp.Location()); !strings.HasSuffix(loc, "/compare/"+a+"/"+bID) {
		t.Errorf("compare page at %s, want /compare/%s/%s", loc, a, bID)
	}
	checkComparison(t, b, first, second)

	// From the history: tick both, Compare (a GET form).
	step("pick two in the history",
		chromedp.Navigate(ts.URL+"/invocations"),
		chromedp.WaitVisible(chromedp.CSS(byID("compare-form"))),
		chromedp.Click(chromedp.CSS(`input[data-testid="compare-pick"][value="`+a+`"]`)),
		chromedp.Click(chromedp.CSS(`input[data-testid="compare-pick"][value="`+bID+`"]`)),
		chromedp.Click(chromedp.CSS(byID("compare-selected"))),
		chromedp.WaitVisible(chromedp.CSS(byID("figures"))),
	)
	if loc := read("location", chromedp.Location()); !strings.HasSuffix(loc, "/compare/"+a+"/"+bID) {
		t.Errorf("the history's Compare went to %s, want the older run on the left", loc)
	}
	checkComparison(t, b, first, second)

	// The history filters by code version, from the permalink's link.
	step("runs of the first version",
		chromedp.Navigate(ts.URL+"/invocations/"+a),
		chromedp.Click(chromedp.CSS(byID("code-history"))),
		chromedp.WaitVisible(chromedp.CSS(byID("filters"))),
	)
	rows := read("rows", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid="invocation-row"]')).map(r => r.dataset.requestId).join(",")`))
	if rows != a {
		t.Errorf("history filtered by the first version lists %q, want only %s", rows, a)
	}
	b.checkConsole()
}

// checkComparison asserts what the comparison of the two runs shows.
func checkComparison(t *testing.T, b *browserSession, first, second string) {
	t.Helper()
	read := b.read
	changes := read("response changes", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid="response-changes"] [data-testid="change"]')).map(r => r.dataset.kind + " " + r.dataset.path).sort().join(";")`))
	if changes != "added /extra;changed /message;changed /version" {
		t.Errorf("response changes = %q", changes)
	}
	if ev := read("event changes", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid="event-changes"] [data-testid="change"]')).map(r => r.dataset.kind + " " + r.dataset.path).join(";")`)); ev != "added /lang" {
		t.Errorf("event changes = %q", ev)
	}
	commits := read("commits", chromedp.Evaluate[string](`(() => { const r = document.querySelector('[data-testid="figure"][data-name="Git commit"]'); return r.querySelector('[data-testid="figure-a"]').textContent + " " + r.querySelector('[data-testid="figure-b"]').textContent + " " + r.hasAttribute("data-differs"); })()`))
	if commits != first+" "+second+" true" {
		t.Errorf("git commit row = %q, want %s %s marked as differing", commits, first, second)
	}
	// Only the new log line differs: START/END/REPORT and the greeting
	// differ by request id, timestamps and durations only.
	logs := read("log diff", chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-testid="log-diff"] [data-testid="diff-line"]')).filter(r => r.dataset.kind !== "same").map(r => r.dataset.kind + ":" + r.textContent.replace(/\s+/g, " ").trim()).join(";")`))
	if !strings.HasPrefix(logs, "inserted:") || !strings.Contains(logs, "v2 says more") || strings.Count(logs, ";") != 0 {
		t.Errorf("log diff's differing rows = %q, want only the new line", logs)
	}
}

// TestBrowserExportImport exports a run from one lambdadeck (its own
// store and server) and imports the bundle into another through the
// history's upload form: the second history shows it, marked as imported
// from the first, and importing it again adds nothing.
func TestBrowserExportImport(t *testing.T) {
	ctx := newBrowser(t)
	from, fromDB, _, _ := gitServer(t, greetV1)
	id := invokeAPI(t, from.URL, "hello", `{"name":"Grace","quote":"it's $(id)"}`)
	original, err := fromDB.Invocation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	into := newTestEnv(t)
	intoTS := httptest.NewServer(into.server)
	t.Cleanup(intoTS.Close)
	// newTestEnv allows example.com; the browser reaches 127.0.0.1.
	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector

	step("open the permalink on the first server",
		chromedp.Navigate(from.URL+"/invocations/"+id),
		chromedp.WaitVisible(chromedp.CSS(byID("export"))),
	)
	href := read("export link", chromedp.Evaluate[string](`document.querySelector('[data-testid="export"]').href`))
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	var head struct {
		Format, Kind, Server string
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format != "lambdadeck-invocations/1" || head.Kind != "invocation" ||
		!strings.Contains(head.Server, from.Listener.Addr().String()) {
		t.Fatalf("bundle header %+v (%v)", head, err)
	}
	file := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}

	for round := 1; round <= 2; round++ {
		step("upload the bundle",
			chromedp.Navigate(intoTS.URL+"/invocations"),
			chromedp.Click(chromedp.CSS(byID("import")+" summary")),
			chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{file}),
			chromedp.Click(chromedp.CSS(byID("import-submit"))),
			chromedp.WaitVisible(chromedp.CSS(byID("import-result"))),
		)
		got := read("import result", chromedp.Text(chromedp.CSS(byID("import-added"))))
		want := "1 invocations added, 0 already here"
		if round == 2 {
			want = "0 invocations added, 1 already here"
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("round %d: %q, want %q", round, got, want)
		}
	}
	if n, _ := into.db.CountInvocations(context.Background(), store.InvocationFilter{}); n != 1 {
		t.Errorf("after two imports the second history holds %d invocations, want 1", n)
	}

	step("the second history",
		chromedp.Navigate(intoTS.URL+"/invocations"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="invocation-row"][data-request-id="`+id+`"] [data-testid="imported"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="invocation-row"][data-request-id="`+id+`"] [data-testid="invocation-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(byID("imported-note"))),
	)
	note := read("imported note", chromedp.Text(chromedp.CSS(byID("imported-note"))))
	if !strings.Contains(note, "imported from lambdadeck at") || !strings.Contains(note, from.Listener.Addr().String()) || !strings.Contains(note, "did not run on this server") {
		t.Errorf("imported note = %q", note)
	}
	if got := read("response", chromedp.Text(chromedp.CSS(byID("response")))); !strings.Contains(got, "Hello, Grace!") {
		t.Errorf("imported response = %q", got)
	}
	imported, err := into.db.Invocation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(imported.Event, original.Event) || imported.Logs != original.Logs || imported.Duration != original.Duration ||
		imported.Code == nil || imported.Code.Commit != original.Code.Commit || imported.Config == nil || imported.Imported == nil {
		t.Errorf("imported invocation differs from the original:\n%+v\n%+v", imported, original)
	}
	b.checkConsole()
}

// TestBrowserCopyAsAWSReproducesTheRun reads the permalink's "copy as aws"
// command in Chromium and runs it in a shell with Debian's AWS CLI v2
// against the server: a new invocation is recorded with the same event,
// however the event quotes.
func TestBrowserCopyAsAWSReproducesTheRun(t *testing.T) {
	const awsPath = "/usr/bin/aws"
	if _, err := os.Stat(awsPath); err != nil {
		t.Skipf("no AWS CLI at %s", awsPath)
	}
	ctx := newBrowser(t)
	ts, db, _, _ := gitServer(t, greetV1)
	event := `{"name":"O'Brien \"the\" $(whoami) ` + "`id`" + ` & <b>","n":[1,2]}`
	id := invokeAPI(t, ts.URL, "hello", event)

	b := watchBrowser(t, ctx)
	b.step("open the permalink",
		chromedp.Navigate(ts.URL+"/invocations/"+id),
		chromedp.WaitVisible(chromedp.CSS(testIDSelector("copy-aws"))),
		chromedp.WaitVisible(chromedp.CSS(`button[data-copy="copy-aws"]`)), // app.js revealed Copy
	)
	command := b.read("copy as aws", chromedp.TextContent(chromedp.CSS(testIDSelector("copy-aws"))))
	b.checkConsole()
	if !strings.HasPrefix(command, "aws lambda invoke --endpoint-url "+ts.URL) {
		t.Fatalf("command = %s", command)
	}

	// aws on PATH is Debian's v2, whatever else is installed.
	bin := t.TempDir()
	if err := os.Symlink(awsPath, filepath.Join(bin, "aws")); err != nil {
		t.Fatal(err)
	}
	work, conf := t.TempDir(), t.TempDir()
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = work
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+bin+":"+os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE="+filepath.Join(conf, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(conf, "credentials"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the copied command failed: %v\n%s", err, out)
	}
	response, err := os.ReadFile(filepath.Join(work, "response.json"))
	if err != nil || !strings.Contains(string(response), `Hello, O'Brien \"the\" $(whoami)`) {
		t.Errorf("response.json = %s (%v)", response, err)
	}
	page, err := db.ListInvocations(context.Background(), store.InvocationFilter{Function: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].RequestID == id {
		t.Fatalf("history after the copied command: %+v", page.Items)
	}
	again, err := db.Invocation(context.Background(), page.Items[0].RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Event) != event || again.Source != lambdadeck.SourceAPI || !strings.Contains(again.UserAgent, "aws-cli/2") {
		t.Errorf("the new run's event %q (source %s, agent %q), want %q from aws-cli/2", again.Event, again.Source, again.UserAgent, event)
	}
}
