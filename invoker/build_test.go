package invoker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// goModule writes a one-handler Go module into a temp dir (go.mod and go.sum
// from testdata/go, so the build needs only the module cache) and returns a
// provided.al2023 function built from it.
func goModule(t *testing.T, name, mainGo string) lambdadeck.Function {
	t.Helper()
	requireTools(t, "go")
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join("testdata", "go", f))
		if err != nil {
			t.Fatal(err)
		}
		writeSource(t, filepath.Join(dir, f), string(data))
	}
	writeSource(t, filepath.Join(dir, "main.go"), mainGo)
	return lambdadeck.Function{Name: name, Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: dir,
		Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 10}
}

func writeSource(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// versionHandler is a handler that answers with a fixed string.
func versionHandler(version string) string {
	return `package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(func() (string, error) { return "` + version + `", nil }) }
`
}

// builderOf returns the invoker's builder after checking that name is a
// function with a build.
func builderOf(t *testing.T, iv *Invoker, name string) *build.Builder {
	t.Helper()
	if iv.cat.Load().specs[name].build == nil {
		t.Fatalf("%s has no build", name)
	}
	return iv.builder
}

func TestWantsGoBuild(t *testing.T) {
	const mainGo = "// Command x.\npackage main\n\nfunc main() {}\n"
	tests := []struct {
		name    string
		runtime string
		method  string
		files   map[string]string
		want    bool
	}{
		{"main package, no bootstrap", "provided.al2023", "", map[string]string{"main.go": mainGo}, true},
		{"go1.x runtime", "go1.x", "", map[string]string{"main.go": mainGo}, true},
		{"ready bootstrap wins", "provided.al2", "", map[string]string{"main.go": mainGo, "bootstrap": "#!/bin/sh\n"}, false},
		{"BuildMethod go1.x rebuilds over a bootstrap", "provided.al2023", "go1.x", map[string]string{"main.go": mainGo, "bootstrap": "x"}, true},
		{"library package", "provided.al2023", "", map[string]string{"lib.go": "package lib\n"}, false},
		{"only a test file", "provided.al2023", "", map[string]string{"main_test.go": "package main\n"}, false},
		{"main package in a subfolder only", "provided.al2023", "", map[string]string{"cmd/main.go": mainGo}, false},
		{"not a provided runtime", "nodejs20.x", "", map[string]string{"main.go": mainGo}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				writeSource(t, filepath.Join(dir, name), content)
			}
			fn := lambdadeck.Function{Name: "f", Runtime: tt.runtime, BuildMethod: tt.method, CodeDir: dir}
			if got := build.KindOf(fn) == build.Go; got != tt.want {
				t.Errorf("KindOf = %q, want Go %v", build.KindOf(fn), tt.want)
			}
		})
	}
}

func TestGoBuildOncePerChange(t *testing.T) {
	fn := goModule(t, "versioned", versionHandler("v1"))
	stateDir := t.TempDir()
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	b := builderOf(t, iv, fn.Name)

	// Concurrent cold starts share one build.
	var wg sync.WaitGroup
	invs := make([]*lambdadeck.Invocation, 6)
	for i := range invs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			invs[i] = invoke(t, iv, fn.Name, `{}`)
		}()
	}
	wg.Wait()
	for i, inv := range invs {
		if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `"v1"` {
			t.Fatalf("invocation %d: status %s payload %s\n%s", i, inv.Status, inv.Payload, inv.Logs)
		}
	}
	if n := b.Commands(); n != 1 {
		t.Errorf("%d builds for one set of sources", n)
	}
	builds, _ := filepath.Glob(filepath.Join(stateDir, "build", "versioned-*", "bootstrap"))
	if len(builds) != 1 {
		t.Fatalf("bootstraps in the state dir: %v", builds)
	}
	first := builds[0]

	// Unchanged sources: a new instance reuses the build.
	iv.Retire(fn.Name)
	if inv := invoke(t, iv, fn.Name, `{}`); !inv.Cold || string(inv.Payload) != `"v1"` || b.Commands() != 1 {
		t.Errorf("after a retire with no change: cold %v payload %s builds %d", inv.Cold, inv.Payload, b.Commands())
	}

	// Changed sources: the next cold start rebuilds, the old build goes.
	writeSource(t, filepath.Join(fn.CodeDir, "main.go"), versionHandler("v2"))
	iv.Retire(fn.Name)
	if inv := invoke(t, iv, fn.Name, `{}`); string(inv.Payload) != `"v2"` || b.Commands() != 2 {
		t.Errorf("after an edit: payload %s builds %d\n%s", inv.Payload, b.Commands(), inv.Logs)
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("the older build is still there: %v", err)
	}

	// A second lambdadeck over the same state dir finds the build ready.
	iv2, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	defer iv2.Close()
	if inv := invoke(t, iv2, fn.Name, `{}`); string(inv.Payload) != `"v2"` || builderOf(t, iv2, fn.Name).Commands() != 0 {
		t.Errorf("restart: payload %s builds %d", inv.Payload, builderOf(t, iv2, fn.Name).Commands())
	}
}

func TestGoBuildErrorIsTheInvocationError(t *testing.T) {
	fn := goModule(t, "broken", `package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(notDefined) }
`)
	rec := &memoryRecorder{}
	iv := newTestInvoker(t, rec, fn)
	inv := invoke(t, iv, fn.Name, `{}`)
	if inv.Status != lambdadeck.StatusFailed || inv.Error == nil || inv.Error.Type != BuildErrorType {
		t.Fatalf("status %s error %+v", inv.Status, inv.Error)
	}
	// The compiler's own words, with the file and line, reach the caller,
	// the log and the record.
	for _, where := range []string{inv.Error.Message, string(inv.Payload), inv.Logs, rec.final[inv.RequestID].Error.Message} {
		if !strings.Contains(where, "main.go:5:28: undefined: notDefined") {
			t.Errorf("the compiler output is missing from %q", where)
		}
	}
	if !strings.HasPrefix(inv.Error.Message, "RequestId: "+inv.RequestID+" Error: build broken: go build: `") ||
		!strings.Contains(inv.Error.Message, "(in "+fn.CodeDir+") failed: exit status 1\n") {
		t.Errorf("message = %q", inv.Error.Message)
	}
	// The failure is remembered until the sources change.
	b := builderOf(t, iv, fn.Name)
	if again := invoke(t, iv, fn.Name, `{}`); again.Error == nil || again.Error.Type != BuildErrorType || b.Commands() != 1 {
		t.Errorf("second try: error %+v after %d builds", again.Error, b.Commands())
	}
	writeSource(t, filepath.Join(fn.CodeDir, "main.go"), versionHandler("fixed"))
	if fixed := invoke(t, iv, fn.Name, `{}`); fixed.Status != lambdadeck.StatusSucceeded || string(fixed.Payload) != `"fixed"` {
		t.Errorf("after the fix: status %s payload %s", fixed.Status, fixed.Payload)
	}
}

func TestGoWithoutGoCommandIsNotRunnable(t *testing.T) {
	fn := goModule(t, "nogo", versionHandler("v1"))
	t.Setenv("PATH", t.TempDir())
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer iv.Close()
	got, _ := iv.Function("nogo")
	if !strings.Contains(got.NotRunnable, "go is not on PATH") {
		t.Errorf("NotRunnable = %q", got.NotRunnable)
	}
	_, err = iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "nogo"})
	if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("invoke: %v", err)
	}
}

// buildCache is lambdadeck's cache folder for this test binary: the pinned
// esbuild is installed once for every test that needs it.
var buildCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdadeck-invoker-cache")
	if err != nil {
		panic(err)
	}
	buildCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildApp copies the app testdata/build/<app> into a temp folder and
// returns a function of it.
func buildApp(t *testing.T, name, app, runtime, handler string) lambdadeck.Function {
	t.Helper()
	dir := filepath.Join(t.TempDir(), app)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "build", app))); err != nil {
		t.Fatal(err)
	}
	return lambdadeck.Function{Name: name, LogicalID: name, Runtime: runtime, Handler: handler, CodeDir: dir,
		Timeout: 10 * time.Second, MemoryMB: 256, Concurrency: 10}
}

func newBuildInvoker(t *testing.T, cfg Config, fns ...lambdadeck.Function) *Invoker {
	t.Helper()
	cfg.Functions = fns
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	cfg.CacheDir = buildCache
	iv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	return iv
}

// TestNPMBuildRunsFromItsBuildFolder: an ES module finds its dependency in
// the build folder's node_modules, which is its LAMBDA_TASK_ROOT and working
// directory; dev dependencies are not installed.
func TestNPMBuildRunsFromItsBuildFolder(t *testing.T) {
	requireTools(t, "node", "npm")
	t.Parallel()
	fn := buildApp(t, "npm-esm", "npm-lock", "nodejs20.x", "index.handler")
	state := t.TempDir()
	var mu sync.Mutex
	var steps []string
	iv := newBuildInvoker(t, Config{StateDir: state, OnBuild: func(e build.Event) {
		if e.Kind == build.StepFinished {
			mu.Lock()
			steps = append(steps, e.Step)
			mu.Unlock()
		}
	}}, fn)
	inv := invoke(t, iv, fn.Name, `{}`)
	if inv.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("status %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	var out struct {
		TwoHours      int
		DevDependency string
		TaskRoot, Cwd string
	}
	json.Unmarshal(inv.Payload, &out)
	if out.TwoHours != 7200000 || out.DevDependency != "absent" {
		t.Errorf("payload %s", inv.Payload)
	}
	if !strings.HasPrefix(out.TaskRoot, filepath.Join(state, "build", "npm-esm-")) || out.Cwd != out.TaskRoot {
		t.Errorf("task root %q, cwd %q: want the build folder", out.TaskRoot, out.Cwd)
	}
	if len(steps) != 1 || steps[0] != "npm ci" {
		t.Errorf("build steps %v", steps)
	}
}
