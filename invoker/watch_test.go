package invoker

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// watchedNodeFunction writes index.js into a temp dir and returns a nodejs20.x
// function that runs it.
func watchedNodeFunction(t *testing.T, name, indexJS string) lambdadeck.Function {
	t.Helper()
	requireTools(t, "node")
	dir := t.TempDir()
	writeSource(t, filepath.Join(dir, "index.js"), indexJS)
	return lambdadeck.Function{Name: name, Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: dir,
		Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 10}
}

// versionJS is a handler that answers with its version and its process id.
func versionJS(version string) string {
	return `exports.handler = async () => "` + version + ` " + process.pid;` + "\n"
}

func startWatching(t *testing.T, iv *Invoker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := iv.Watch(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitReloaded waits until the function has reloaded after since.
func waitReloaded(t *testing.T, iv *Invoker, name string, since time.Time) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if at := iv.Reloaded(name); at.After(since) {
			return at
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not reload", name)
	return time.Time{}
}

func TestWatchReloadsChangedCode(t *testing.T) {
	app := watchedNodeFunction(t, "app", versionJS("v1"))
	other := watchedNodeFunction(t, "other", versionJS("other"))
	iv := newTestInvoker(t, nil, app, other)
	startWatching(t, iv)

	before := invoke(t, iv, "app", `{}`)
	invoke(t, iv, "other", `{}`)
	if string(before.Payload[:4]) != `"v1 ` {
		t.Fatalf("payload = %s\n%s", before.Payload, before.Logs)
	}
	if !iv.Reloaded("app").IsZero() {
		t.Fatal("reloaded before any change")
	}

	writeSource(t, filepath.Join(app.CodeDir, "index.js"), versionJS("v2"))
	at := waitReloaded(t, iv, "app", time.Time{})
	after := invoke(t, iv, "app", `{}`)
	if string(after.Payload[:4]) != `"v2 ` || !after.Cold || string(after.Payload[4:]) == string(before.Payload[4:]) {
		t.Errorf("after the edit: payload %s (before %s) cold %v", after.Payload, before.Payload, after.Cold)
	}
	if !iv.Reloaded("other").IsZero() {
		t.Error("a function whose code did not change was reloaded")
	}
	if live, _, _ := iv.PoolStats("other"); live != 1 {
		t.Errorf("the other function lost its warm instance: live = %d", live)
	}

	// A folder created after Watch started is watched too.
	lib := filepath.Join(app.CodeDir, "lib")
	if err := os.Mkdir(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	at = waitReloaded(t, iv, "app", at)
	writeSource(t, filepath.Join(lib, "util.js"), "module.exports = 1;\n")
	waitReloaded(t, iv, "app", at)
}

func TestWatchIgnoresDependenciesAndState(t *testing.T) {
	app := watchedNodeFunction(t, "app", versionJS("v1"))
	sentinel := watchedNodeFunction(t, "sentinel", versionJS("s"))
	// The state folder inside the code folder, as with `lambdadeck serve`
	// run where the code is.
	stateDir := filepath.Join(app.CodeDir, "state")
	iv, err := New(Config{Functions: []lambdadeck.Function{app, sentinel}, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	startWatching(t, iv)
	warm := invoke(t, iv, "app", `{}`)

	for _, f := range []string{
		"node_modules/dep/index.js", "node_modules/.bin/x", "__pycache__/app.cpython-312.pyc",
		".git/HEAD", "state/build/x/bootstrap", "index.js~", ".index.js.swp",
	} {
		writeSource(t, filepath.Join(app.CodeDir, f), "x\n")
	}
	if err := os.Chmod(filepath.Join(app.CodeDir, "index.js"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Events arrive in order: once the sentinel's later change has been
	// handled, so have the ignored ones.
	writeSource(t, filepath.Join(sentinel.CodeDir, "index.js"), versionJS("s2"))
	waitReloaded(t, iv, "sentinel", time.Time{})

	if at := iv.Reloaded("app"); !at.IsZero() {
		t.Errorf("app reloaded at %v for changes outside its code", at)
	}
	if again := invoke(t, iv, "app", `{}`); again.Cold || string(again.Payload) != string(warm.Payload) {
		t.Errorf("app should still be warm: cold %v payload %s (was %s)", again.Cold, again.Payload, warm.Payload)
	}
}

func TestWatchTemplateChange(t *testing.T) {
	app := watchedNodeFunction(t, "app", versionJS("v1"))
	template := filepath.Join(t.TempDir(), "template.yaml")
	writeSource(t, template, "Resources: {}\n")
	var calls atomic.Int32
	changed := make(chan struct{}, 10)
	iv, err := New(Config{Functions: []lambdadeck.Function{app}, StateDir: t.TempDir(), TemplatePath: template,
		OnTemplateChange: func() { calls.Add(1); changed <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	startWatching(t, iv)

	// An editor's save: a burst of writes, then a rename over the file.
	for i := 0; i < 5; i++ {
		writeSource(t, template, "Resources: {}\n# edit\n")
	}
	tmp := template + ".tmp"
	writeSource(t, tmp, "Resources: {}\n# saved\n")
	if err := os.Rename(tmp, template); err != nil {
		t.Fatal(err)
	}
	// A file beside the template is not the template.
	writeSource(t, filepath.Join(filepath.Dir(template), "README.md"), "x\n")
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnTemplateChange was not called")
	}
	// Ordering again: after the code change below is handled, any second
	// template callback would have fired.
	writeSource(t, filepath.Join(app.CodeDir, "index.js"), versionJS("v2"))
	waitReloaded(t, iv, "app", time.Time{})
	if n := calls.Load(); n != 1 {
		t.Errorf("OnTemplateChange called %d times for one save", n)
	}
}
