package web

import (
	"context"
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

// TestBrowserBuildingState: the function page shows a cold start's build
// while it runs (a "building" badge and the build's output as it comes),
// then the failed build as the invocation's error, with make's last lines.
// The build waits for a file the test writes, so the building state is
// seen however slow the machine is.
func TestBrowserBuildingState(t *testing.T) {
	for _, tool := range []string{"make", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	ctx := newBrowser(t)
	ts, _, release := slowBuildServer(t)

	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector
	step("open the function page",
		chromedp.Navigate(ts.URL+"/functions/slow"),
		chromedp.WaitVisible(chromedp.CSS(byID("invoke-form"))),
	)
	step("invoke: the build runs",
		chromedp.Click(chromedp.CSS(byID("invoke"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("building-badge"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("build-log"))),
	)
	// The build's output streams in while it runs.
	step("build output", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](`(document.querySelector('#result [data-testid="build-log"]')?.textContent || "").includes("compiling slowly")`)(ctx, tg)
		return chromedp.Void{}, err
	})
	if got := read("build log", chromedp.Text(chromedp.CSS(`#result `+byID("build-log")))); !strings.Contains(got, "build slow: make build-Slow") {
		t.Errorf("build log %q", got)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	step("the build fails",
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("error-type"))),
		chromedp.WaitNotPresent(chromedp.CSS(`#result `+byID("building-badge"))),
	)
	if got := read("error type", chromedp.Text(chromedp.CSS(`#result `+byID("error-type")))); got != invoker.BuildErrorType {
		t.Errorf("error type %q", got)
	}
	msg := read("error message", chromedp.Text(chromedp.CSS(`#result `+byID("error-message"))))
	for _, want := range []string{"make build-Slow", "(in ", "error: this target fails on purpose", "compiling slowly"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %q:\n%s", want, msg)
		}
	}
	b.checkConsole()
}

// slowBuildServer serves one makefile function whose build prints
// "compiling slowly", then waits until the test writes the returned
// release file, then fails.
func slowBuildServer(t *testing.T) (*httptest.Server, *invoker.Invoker, string) {
	t.Helper()
	for _, tool := range []string{"make", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	code := filepath.Join(dir, "slow")
	os.MkdirAll(code, 0o755)
	makefile := "build-Slow:\n\t@echo 'compiling slowly'\n\t@while [ ! -f '" + release + "' ]; do sleep 0.1; done\n" +
		"\t@echo 'error: this target fails on purpose' >&2\n\t@exit 2\n"
	if err := os.WriteFile(filepath.Join(code, "Makefile"), []byte(makefile), 0o644); err != nil {
		t.Fatal(err)
	}
	fn := lambdadeck.Function{Name: "slow", LogicalID: "Slow", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: code,
		BuildMethod: "makefile", Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 1}
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

	return ts, iv, release
}

// TestBuildingStateWithoutJavaScript: the permalink of an invocation whose
// build runs shows the building state and the build log, and reloads
// itself until the invocation ends.
func TestBuildingStateWithoutJavaScript(t *testing.T) {
	ts, iv, release := slowBuildServer(t)
	run, err := iv.Start(context.Background(), lambdadeck.InvokeRequest{Function: "slow", Event: []byte("{}"), Source: lambdadeck.SourceBrowser})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(ts.URL + "/invocations/" + run.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := parseHTML(t, string(body))
		if len(byTestID(page, "building-badge")) == 1 && strings.Contains(rawText(oneByTestID(t, page, "build-log")), "compiling slowly") {
			if !strings.Contains(string(body), `http-equiv="refresh"`) {
				t.Error("the page does not reload itself while it builds")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no building state on the permalink:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.WriteFile(release, nil, 0o644)
	inv, err := run.Wait()
	if err != nil || inv.Error == nil || inv.Error.Type != invoker.BuildErrorType {
		t.Fatalf("outcome %+v %v", inv, err)
	}
}
