package build

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// TestNPMWithLockFile: npm ci installs the production dependencies into the
// build folder, never into the code folder, and leaves dev dependencies out.
func TestNPMWithLockFile(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	code := copyApp(t, "npm-lock")
	b := newBuilder(t)
	var rec recorder
	res, err := b.Function(context.Background(), nodeFunction("locked", code), Options{Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != NPM || !strings.HasPrefix(res.Dir, filepath.Join(b.stateDir, "build", "locked-")) {
		t.Fatalf("result %+v", res)
	}
	if got := rec.steps(StepFinished); !slices.Equal(got, []string{"npm ci"}) {
		t.Errorf("steps %v, want npm ci", got)
	}
	for _, want := range []string{"index.mjs", "package.json", "node_modules/ms/package.json"} {
		if _, err := os.Stat(filepath.Join(res.Dir, want)); err != nil {
			t.Errorf("build lacks %s: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "node_modules", "left-pad")); err == nil {
		t.Error("a dev dependency was installed")
	}
	if _, err := os.Stat(filepath.Join(code, "node_modules")); err == nil {
		t.Error("the build wrote node_modules into the code folder")
	}
}

// TestNPMWithoutLockFile runs npm install; the cache then serves the same
// inputs without npm, an edit rebuilds, and the older build is removed.
func TestNPMWithoutLockFile(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	code := copyApp(t, "npm-nolock")
	b := newBuilder(t)
	fn := nodeFunction("unlocked", code)
	var rec recorder
	first, err := b.Function(context.Background(), fn, Options{Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.steps(StepFinished); !slices.Equal(got, []string{"npm install"}) {
		t.Errorf("steps %v, want npm install", got)
	}
	if _, err := os.Stat(filepath.Join(first.Dir, "node_modules", "ms")); err != nil {
		t.Fatal(err)
	}
	n := b.Commands()
	again, err := b.Function(context.Background(), fn, Options{})
	if err != nil || again.Dir != first.Dir || b.Commands() != n {
		t.Fatalf("unchanged inputs: %+v %v, %d commands after %d", again, err, b.Commands(), n)
	}
	// Another Builder on the same state folder (another lambdadeck) finds
	// it built too.
	other, _ := New(Config{StateDir: b.stateDir})
	if res, err := other.Function(context.Background(), fn, Options{}); err != nil || res.Dir != first.Dir || other.Commands() != 0 {
		t.Fatalf("second process: %+v %v, %d commands", res, err, other.Commands())
	}
	touch(t, filepath.Join(code, "index.js"))
	edited, err := b.Function(context.Background(), fn, Options{})
	if err != nil || edited.Dir == first.Dir || b.Commands() != n+1 {
		t.Fatalf("after an edit: %+v %v, %d commands", edited, err, b.Commands())
	}
	if _, err := os.Stat(first.Dir); !os.IsNotExist(err) {
		t.Errorf("the older build is still there: %v", err)
	}
}

// TestConcurrentBuildsShareOne: concurrent callers in one process and a
// second Builder (another process's) on the same state folder run one npm.
func TestConcurrentBuildsShareOne(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	code := copyApp(t, "npm-nolock")
	b := newBuilder(t)
	other, _ := New(Config{StateDir: b.stateDir})
	fn := nodeFunction("shared", code)
	var wg sync.WaitGroup
	dirs := make([]string, 5)
	recs := make([]recorder, 5)
	for i := range dirs {
		builder := b
		if i == 4 {
			builder = other
		}
		wg.Go(func() {
			res, err := builder.Function(context.Background(), fn, Options{Progress: recs[i].progress})
			if err != nil {
				t.Error(err)
			}
			dirs[i] = res.Dir
		})
	}
	wg.Wait()
	if n := b.Commands() + other.Commands(); n != 1 {
		t.Errorf("%d npm runs for one build", n)
	}
	// Every caller of the Builder that ran it saw its steps, those who
	// joined late included.
	if b.Commands() == 1 {
		for i := range 4 {
			if got := recs[i].steps(StepFinished); !slices.Equal(got, []string{"npm install"}) {
				t.Errorf("caller %d saw %v", i, got)
			}
		}
	}
	for _, d := range dirs {
		if d != dirs[0] {
			t.Errorf("builds in %v", dirs)
		}
	}
}

// TestCrashedBuildIsNotTrusted: a half-written build left by a process that
// died is neither used nor kept.
func TestCrashedBuildIsNotTrusted(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	code := copyApp(t, "npm-nolock")
	b := newBuilder(t)
	fn := nodeFunction("crashed", code)
	h, err := b.nodeHash(context.Background(), "npm", mustLook(t, "npm"), fn)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(b.root, ".tmp-crashed@"+h+".999999")
	writeFile(t, filepath.Join(stale, "index.js"), "half")
	res, err := b.Function(context.Background(), fn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the crashed build's folder is still there")
	}
	if data, _ := os.ReadFile(filepath.Join(res.Dir, "index.js")); string(data) == "half" {
		t.Error("the crashed build was used")
	}
}

func mustLook(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skip(name + " is not on PATH")
	}
	return p
}

// TestPip installs requirements.txt from a local wheel with the user's pip
// configuration (PIP_NO_INDEX, PIP_FIND_LINKS), into the build folder.
func TestPip(t *testing.T) {
	python := mustLook(t, "python3")
	if exec.Command(python, "-m", "pip", "--version").Run() != nil {
		t.Skip("python3 has no pip")
	}
	wheels := t.TempDir()
	writeWheel(t, wheels, "tinypkg", "hello from a wheel")
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_FIND_LINKS", wheels)
	code := copyApp(t, "pip")
	b := newBuilder(t)
	fn := lambdadeck.Function{Name: "py", Runtime: "python3.11", Handler: "app.handler", CodeDir: code}
	var rec recorder
	res, err := b.Function(context.Background(), fn, Options{Python: python, Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != Pip || !slices.Equal(rec.steps(StepFinished), []string{"pip install"}) {
		t.Fatalf("result %+v, steps %v", res, rec.steps(StepFinished))
	}
	cmd := exec.Command(python, "-c", "import tinypkg; print(tinypkg.greet())")
	cmd.Dir = res.Dir
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello from a wheel" {
		t.Fatalf("tinypkg from the build: %s %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(code, "tinypkg")); err == nil {
		t.Error("pip installed into the code folder")
	}

	// A requirement that cannot be found: pip's words, the command, the folder.
	writeFile(t, filepath.Join(code, "requirements.txt"), "nosuchpkg==9.9\n")
	_, err = b.Function(context.Background(), fn, Options{Python: python})
	var be *Error
	if !asError(err, &be) || !strings.Contains(err.Error(), "No matching distribution found for nosuchpkg==9.9") ||
		!strings.Contains(be.Command, "-m pip install") || be.Dir != code {
		t.Fatalf("error %v", err)
	}
	// It is remembered until the inputs change.
	n := b.Commands()
	if _, again := b.Function(context.Background(), fn, Options{Python: python}); again == nil || b.Commands() != n {
		t.Errorf("a failed build ran again: %v, %d commands", again, b.Commands()-n)
	}
}

// TestMakefile runs make build-<LogicalId> in a copy of the code with
// ARTIFACTS_DIR, as SAM does; a failing target's error names the command,
// the folder and make's last lines.
func TestMakefile(t *testing.T) {
	needTool(t, "make")
	t.Parallel()
	code := copyApp(t, "make")
	b := newBuilder(t)
	fn := lambdadeck.Function{Name: "maker-fn", LogicalID: "Maker", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: code, BuildMethod: "makefile"}
	var rec recorder
	res, err := b.Function(context.Background(), fn, Options{Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.steps(StepFinished), []string{"make build-Maker"}) {
		t.Errorf("steps %v", rec.steps(StepFinished))
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, "index.js"))
	if err != nil || !strings.Contains(string(data), `"made"`) {
		t.Fatalf("artifact: %s %v", data, err)
	}
	if entries, _ := os.ReadDir(code); len(entries) != 2 {
		t.Errorf("make wrote into the code folder: %v", entries)
	}

	fn.Name, fn.LogicalID = "broken-fn", "Broken"
	_, err = b.Function(context.Background(), fn, Options{})
	var be *Error
	if !asError(err, &be) {
		t.Fatalf("want *Error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"make build-Broken", "--makefile " + filepath.Join(code, "Makefile"), "(in ", "error: this target fails on purpose", "compiling the broken target"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

// TestEsbuildTypeScript bundles a TypeScript handler and its dependency
// with the pinned esbuild; the source map names the user's .ts file.
func TestEsbuildTypeScript(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	code := copyApp(t, "esbuild-ts")
	b := newBuilder(t)
	fn := lambdadeck.Function{Name: "ts", Runtime: "nodejs20.x", Handler: "app.handler", CodeDir: code, BuildMethod: "esbuild",
		BuildProperties: map[string]any{"EntryPoints": []any{"src/app.ts"}, "Sourcemap": true, "Minify": false}}
	var rec recorder
	res, err := b.Function(context.Background(), fn, Options{Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.steps(StepFinished); !slices.Contains(got, "esbuild") || !slices.Contains(got, "npm ci") {
		t.Errorf("steps %v", got)
	}
	bundle, err := os.ReadFile(filepath.Join(res.Dir, "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bundle), "failed on purpose") || strings.Contains(string(bundle), `require("ms")`) {
		t.Error("the bundle lacks the handler or does not bundle ms")
	}
	var m struct{ Sources []string }
	data, _ := os.ReadFile(filepath.Join(res.Dir, "app.js.map"))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(code, "src", "app.ts")
	found := false
	for _, s := range m.Sources {
		if filepath.Clean(filepath.Join(res.Dir, s)) == want {
			found = true
		}
	}
	if !found {
		t.Errorf("source map sources %v do not name %s", m.Sources, want)
	}
	if !SourceMaps(fn) {
		t.Error("SourceMaps = false")
	}
}

// TestKindOf picks the build as sam build would, and none when there is
// nothing to install.
func TestKindOf(t *testing.T) {
	tests := []struct {
		name    string
		runtime string
		method  string
		files   map[string]string
		want    Kind
	}{
		{"package.json with dependencies", "nodejs20.x", "", map[string]string{"package.json": `{"dependencies":{"ms":"2"}}`}, NPM},
		{"package.json without dependencies", "nodejs20.x", "", map[string]string{"package.json": `{"type":"module"}`}, None},
		{"broken package.json is built (and says why)", "nodejs20.x", "", map[string]string{"package.json": `{`}, NPM},
		{"no package.json", "nodejs22.x", "", map[string]string{"index.js": ""}, None},
		{"esbuild", "nodejs20.x", "esbuild", map[string]string{"app.ts": ""}, Esbuild},
		{"makefile", "python3.12", "makefile", map[string]string{"Makefile": ""}, Makefile},
		{"requirements", "python3.12", "", map[string]string{"requirements.txt": "requests==2\n"}, Pip},
		{"only comments", "python3.12", "", map[string]string{"requirements.txt": "# none\n\n"}, None},
		{"requirements for node", "nodejs20.x", "", map[string]string{"requirements.txt": "x\n"}, None},
		{"go", "provided.al2023", "", map[string]string{"main.go": "package main\n\nfunc main() {}\n"}, Go},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				writeFile(t, filepath.Join(dir, name), body)
			}
			fn := lambdadeck.Function{Name: "f", Runtime: tt.runtime, BuildMethod: tt.method, CodeDir: dir}
			if got := KindOf(fn); got != tt.want {
				t.Errorf("KindOf = %q, want %q", got, tt.want)
			}
		})
	}
}
