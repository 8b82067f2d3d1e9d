package invoker

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
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

// TestEsbuildStackPointsAtTypeScript: a bundle with Sourcemap runs under
// --enable-source-maps, so the error's stack names the .ts line.
func TestEsbuildStackPointsAtTypeScript(t *testing.T) {
	requireTools(t, "node", "npm")
	t.Parallel()
	fn := buildApp(t, "ts-app", "esbuild-ts", "nodejs20.x", "app.handler")
	fn.BuildMethod = "esbuild"
	fn.BuildProperties = map[string]any{"EntryPoints": []any{"src/app.ts"}, "Sourcemap": true}
	iv := newBuildInvoker(t, Config{}, fn)
	if ok := invoke(t, iv, fn.Name, `{}`); string(ok.Payload) != `{"seconds":60}` {
		t.Fatalf("payload %s\n%s", ok.Payload, ok.Logs)
	}
	inv := invoke(t, iv, fn.Name, `{"fail":true}`)
	if inv.Error == nil || inv.Error.Message != "failed on purpose" {
		t.Fatalf("error %+v", inv.Error)
	}
	want := filepath.Join(fn.CodeDir, "src", "app.ts") + ":9:"
	if len(inv.Error.Stack) == 0 || !strings.Contains(strings.Join(inv.Error.Stack, "\n"), want) {
		t.Errorf("stack does not name %s:\n%s", want, strings.Join(inv.Error.Stack, "\n"))
	}
}

// TestPipBuildInstallsWithTheFunctionsPython installs requirements.txt from
// a local wheel (PIP_NO_INDEX, PIP_FIND_LINKS) with the interpreter that
// runs the function; the handler imports it from its build folder.
func TestPipBuildInstallsWithTheFunctionsPython(t *testing.T) {
	requireTools(t, "python3")
	wheels := t.TempDir()
	writeWheel(t, wheels, "tinypkg", "hello from a wheel")
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_FIND_LINKS", wheels)
	fn := buildApp(t, "py-app", "pip", "python3.11", "app.handler")
	state := t.TempDir()
	iv := newBuildInvoker(t, Config{StateDir: state}, fn)
	inv := invoke(t, iv, fn.Name, `{}`)
	var out struct{ Greeting, Task_root, Module string }
	json.Unmarshal(inv.Payload, &out)
	if inv.Status != lambdadeck.StatusSucceeded || out.Greeting != "hello from a wheel" {
		t.Fatalf("status %s payload %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	if !strings.HasPrefix(out.Module, out.Task_root) || !strings.HasPrefix(out.Task_root, filepath.Join(state, "build", "py-app-")) {
		t.Errorf("tinypkg from %s, task root %s", out.Module, out.Task_root)
	}
}

// TestMakefileBuildFailureIsTheInvocationError: a failing make target is a
// lambdadeck.BuildError naming the command, the folder and make's output,
// and it is not retried until the inputs change.
func TestMakefileBuildFailureIsTheInvocationError(t *testing.T) {
	requireTools(t, "node", "make")
	t.Parallel()
	good := buildApp(t, "Maker", "make", "nodejs20.x", "index.handler")
	good.BuildMethod = "makefile"
	bad := buildApp(t, "Broken", "make", "nodejs20.x", "index.handler")
	bad.BuildMethod = "makefile"
	rec := &memoryRecorder{}
	iv := newBuildInvoker(t, Config{Recorder: rec}, good, bad)
	if inv := invoke(t, iv, good.Name, `{}`); !strings.Contains(string(inv.Payload), `"version":"made"`) {
		t.Fatalf("payload %s\n%s", inv.Payload, inv.Logs)
	}
	inv := invoke(t, iv, bad.Name, `{}`)
	if inv.Status != lambdadeck.StatusFailed || inv.Error == nil || inv.Error.Type != BuildErrorType {
		t.Fatalf("status %s error %+v", inv.Status, inv.Error)
	}
	for _, where := range []string{inv.Error.Message, inv.Logs, rec.final[inv.RequestID].Error.Message} {
		for _, want := range []string{"make build-Broken", "(in ", "error: this target fails on purpose"} {
			if !strings.Contains(where, want) {
				t.Errorf("%q lacks %q", where, want)
			}
		}
	}
	n := iv.builder.Commands()
	if again := invoke(t, iv, bad.Name, `{}`); again.Error == nil || again.Error.Type != BuildErrorType || iv.builder.Commands() != n {
		t.Errorf("second try: %+v after %d more commands", again.Error, iv.builder.Commands()-n)
	}
}

// writeWheel writes a pure-Python wheel of package name, version 1.0, whose
// greet() returns greeting, into dir (PyPI is not reachable here).
func writeWheel(t *testing.T, dir, name, greeting string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name+"-1.0-py3-none-any.whl"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	info := name + "-1.0.dist-info/"
	files := []struct{ name, body string }{
		{name + "/__init__.py", "def greet():\n    return " + fmt.Sprintf("%q", greeting) + "\n"},
		{info + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n"},
		{info + "WHEEL", "Wheel-Version: 1.0\nGenerator: lambdadeck-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{info + "RECORD", name + "/__init__.py,,\n" + info + "METADATA,,\n" + info + "WHEEL,,\n" + info + "RECORD,,\n"},
	}
	for _, file := range files {
		w, err := zw.Create(file.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(file.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNoBuildMissingDependencyHint: with builds off, a dependency named in
// package.json / requirements.txt is missing, and the error says why.
func TestNoBuildMissingDependencyHint(t *testing.T) {
	requireTools(t, "node", "python3")
	t.Parallel()
	cjs := buildApp(t, "cjs", "npm-nolock", "nodejs20.x", "index.handler")
	esm := buildApp(t, "esm", "npm-lock", "nodejs20.x", "index.handler")
	py := buildApp(t, "py", "pip", "python3.11", "app.missing")
	iv := newBuildInvoker(t, Config{NoBuild: true}, cjs, esm, py)
	for _, tt := range []struct{ name, dep, manifest string }{
		{"cjs", "ms", "package.json"}, {"esm", "ms", "package.json"}, {"py", "tinypkg", "requirements.txt"},
	} {
		inv := invoke(t, iv, tt.name, `{}`)
		if inv.Error == nil {
			t.Fatalf("%s: no error\n%s", tt.name, inv.Logs)
		}
		hint := "lambdadeck: " + tt.dep + " is named in " + tt.manifest + " but not installed: lambdadeck's build did not run (--no-build)."
		if !strings.Contains(inv.Error.Message, hint) || !strings.Contains(inv.Logs, hint) {
			t.Errorf("%s: the hint is missing:\n%s\n%s", tt.name, inv.Error.Message, inv.Logs)
		}
		if strings.Contains(inv.Error.Message, "bootstrap") {
			t.Errorf("%s: the error names lambdadeck's bootstrap: %s", tt.name, inv.Error.Message)
		}
	}
	// The Require stack ends at the user's file.
	inv := invoke(t, iv, "cjs", `{}`)
	if want := "Require stack:\n- " + filepath.Join(cjs.CodeDir, "index.js") + "\nlambdadeck: "; !strings.Contains(inv.Error.Message, want) {
		t.Errorf("message %q lacks %q", inv.Error.Message, want)
	}
}

// TestDevDependencyHint: a devDependency the code needs is left out by the
// build, and the error says so.
func TestDevDependencyHint(t *testing.T) {
	requireTools(t, "node", "npm")
	t.Parallel()
	fn := buildApp(t, "dev-dep", "npm-lock", "nodejs20.x", "index.handler")
	writeSource(t, filepath.Join(fn.CodeDir, "dev.js"), "require('left-pad');\nexports.handler = async () => 'x';\n")
	fn.Handler = "dev.handler"
	iv := newBuildInvoker(t, Config{}, fn)
	inv := invoke(t, iv, fn.Name, `{}`)
	if inv.Error == nil || !strings.Contains(inv.Error.Message, "left-pad is a devDependency in package.json") {
		t.Errorf("error %+v", inv.Error)
	}
}

// TestConcurrentColdStartsShareOneNPMBuild: cold starts at once run one npm
// install, and Config.OnBuild hears each of its steps once.
func TestConcurrentColdStartsShareOneNPMBuild(t *testing.T) {
	requireTools(t, "node", "npm")
	t.Parallel()
	fn := buildApp(t, "shared-npm", "npm-nolock", "nodejs20.x", "index.handler")
	var mu sync.Mutex
	finished := 0
	iv := newBuildInvoker(t, Config{OnBuild: func(e build.Event) {
		if e.Kind == build.StepFinished {
			mu.Lock()
			finished++
			mu.Unlock()
		}
	}}, fn)
	var wg sync.WaitGroup
	invs := make([]*lambdadeck.Invocation, 3)
	for i := range invs {
		wg.Go(func() { invs[i] = invoke(t, iv, fn.Name, `{}`) })
	}
	wg.Wait()
	for i, inv := range invs {
		if string(inv.Payload) != `{"oneMinute":60000}` {
			t.Errorf("invocation %d: %s\n%s", i, inv.Payload, inv.Logs)
		}
	}
	if n := iv.builder.Commands(); n != 1 || finished != 1 {
		t.Errorf("%d commands, %d finished steps heard, want 1 and 1", n, finished)
	}
}

// TestLayerWithBuildMethodIsBuilt: a layer with Metadata.BuildMethod is
// built into nodejs/node_modules, and the handler finds its dependency
// there; the layer's own folder stays as it was.
func TestLayerWithBuildMethodIsBuilt(t *testing.T) {
	requireTools(t, "node", "npm")
	t.Parallel()
	layer := buildApp(t, "unused", "npm-nolock", "nodejs20.x", "")
	fn := buildApp(t, "uses-layer", "make", "nodejs20.x", "app.handler")
	writeSource(t, filepath.Join(fn.CodeDir, "app.js"), "const ms = require('ms');\nexports.handler = async () => ms('1h');\n")
	fn.Layers = []lambdadeck.Layer{{LogicalID: "DepsLayer", Name: "deps", ContentDir: layer.CodeDir, BuildMethod: "nodejs20.x"}}
	state := t.TempDir()
	iv := newBuildInvoker(t, Config{StateDir: state}, fn)
	inv := invoke(t, iv, fn.Name, `{}`)
	if string(inv.Payload) != "3600000" {
		t.Fatalf("payload %s\n%s", inv.Payload, inv.Logs)
	}
	if built, _ := filepath.Glob(filepath.Join(state, "build", "layers", "DepsLayer-*", "nodejs", "node_modules", "ms")); len(built) != 1 {
		t.Errorf("layer builds: %v", built)
	}
	if _, err := os.Stat(filepath.Join(layer.CodeDir, "node_modules")); err == nil {
		t.Error("the layer build wrote into the layer's folder")
	}
}
