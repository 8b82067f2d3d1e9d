package build

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// testCache is lambdadeck's cache folder for this test binary, so the
// pinned esbuild is installed once for every test that needs it.
var testCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdadeck-build-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not on PATH (.ci/run installs it)", name)
	}
}

func asError(err error, target **Error) bool { return errors.As(err, target) }

// copyApp copies the test app testdata/build/<name> into a temp folder, so
// tests can edit it.
func copyApp(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(filepath.Join("..", "testdata", "build", name), dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newBuilder(t *testing.T) *Builder {
	t.Helper()
	b, err := New(Config{StateDir: filepath.Join(t.TempDir(), ".lambdadeck"), CacheDir: testCache})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recorder keeps a build's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) progress(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) steps(kind EventKind) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e.Step)
		}
	}
	return out
}

// touch moves a file's modification time forward, as an edit does.
func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
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

func nodeFunction(name, dir string) lambdadeck.Function {
	return lambdadeck.Function{Name: name, LogicalID: name, Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: dir}
}
