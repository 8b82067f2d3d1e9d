package invoker

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// realExecutable returns the real interpreter a fake version-manager tree
// links to, skipping when the machine has none.
func realExecutable(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not on PATH", name)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// link makes a symlink at path (creating its folders) to target.
func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// probeVersion runs an interpreter's probe for its version.
func probeVersion(t *testing.T, path string, args ...string) string {
	t.Helper()
	it := runProbe(path, args)
	if it.Err != nil {
		t.Skipf("%s does not run: %v", path, it.Err)
	}
	return it.Version
}

// noPath is a PATH search that finds nothing but the names given.
func noPath(found map[string]string) func(string) (string, error) {
	return func(name string) (string, error) {
		if p, ok := found[name]; ok {
			return p, nil
		}
		return "", errors.New("not found")
	}
}

func TestInterpreterFromPyenvTree(t *testing.T) {
	// The real executable behind python3 (past any pyenv shim).
	probed := runProbe(realExecutable(t, "python3"), []string{"-c", pythonProbe})
	if probed.Err != nil {
		t.Skipf("python3 does not run: %v", probed.Err)
	}
	python := probed.Path
	version := localVersion("python", probed.Version) // e.g. 3.11
	home := t.TempDir()
	// Two installs of the declared version, not on PATH: the newest wins.
	older := filepath.Join(home, ".pyenv", "versions", version+".2", "bin", "python"+version)
	newer := filepath.Join(home, ".pyenv", "versions", version+".10", "bin", "python"+version)
	link(t, python, older)
	link(t, python, newer)
	// An install of another version is not taken for this one.
	link(t, python, filepath.Join(home, ".pyenv", "versions", "3.99.0", "bin", "python3.99"))

	c := &interpreters{home: home, getenv: func(string) string { return "" }, lookPath: noPath(nil)}
	it := c.python("python" + version)
	if it.Err != nil || it.Path != newer {
		t.Fatalf("python%s = %+v, want %s", version, it, newer)
	}
	// Resolved once: the same answer, from memory.
	if again := c.python("python" + version); again != it {
		t.Error("the interpreter was probed again")
	}

	// PYENV_ROOT moves the tree; asdf's installs count too.
	root := t.TempDir()
	link(t, python, filepath.Join(root, "versions", version+".1", "bin", "python"+version))
	c = &interpreters{home: t.TempDir(), getenv: func(k string) string {
		if k == "PYENV_ROOT" {
			return root
		}
		return ""
	}, lookPath: noPath(nil)}
	if it := c.python("python" + version); it.Err != nil || !strings.HasPrefix(it.Path, root) {
		t.Errorf("with PYENV_ROOT: %+v", it)
	}
	asdfHome := t.TempDir()
	asdf := filepath.Join(asdfHome, ".asdf", "installs", "python", version+".3", "bin", "python"+version)
	link(t, python, asdf)
	c = &interpreters{home: asdfHome, getenv: func(string) string { return "" }, lookPath: noPath(nil)}
	if it := c.python("python" + version); it.Err != nil || it.Path != asdf {
		t.Errorf("from asdf: %+v, want %s", it, asdf)
	}

	// A declared version the machine lacks falls back to python3, and the
	// function's page and the CLI say so.
	c = &interpreters{home: home, getenv: func(string) string { return "" }, lookPath: noPath(map[string]string{"python3": python})}
	// (python3.99 in the tree links to a Python that is not 3.99: not taken.)
	if it := c.python("python3.99"); it.Err != nil || strings.Contains(it.Path, "3.99") {
		t.Errorf("python3.99 = %+v, want python3 from PATH", it)
	}
	iv := &Invoker{interp: c}
	_, warning := iv.LocalRuntime(lambdadeck.Function{Runtime: "python3.98", CodeDir: home})
	if !strings.Contains(warning, "python3.98 is declared, but the local interpreter is "+version) {
		t.Errorf("warning = %q", warning)
	}
}

func TestInterpreterFromNvmTree(t *testing.T) {
	node := realExecutable(t, "node")
	version := probeVersion(t, node, "-e", nodeProbe) // v20.20.2
	major := localVersion("node", version)
	nvm := t.TempDir()
	link(t, node, filepath.Join(nvm, "versions", "node", "v"+major+".0.1", "bin", "node"))
	c := &interpreters{home: t.TempDir(), getenv: func(k string) string {
		if k == "NVM_DIR" {
			return nvm
		}
		return ""
	}, lookPath: noPath(nil)}
	it := c.node("nodejs" + major + ".x")
	// Node reports its real executable, past the symlink.
	if it.Err != nil || it.Path != node || it.Version != version {
		t.Fatalf("nodejs%s.x = %+v, want %s", major, it, node)
	}
	// Another major than the one on PATH: the one on PATH serves it, with a
	// note; no Node at all is a clear error.
	c = &interpreters{home: t.TempDir(), getenv: func(string) string { return "" }, lookPath: noPath(map[string]string{"node": node})}
	iv := &Invoker{interp: c}
	_, warning := iv.LocalRuntime(lambdadeck.Function{Runtime: "nodejs98.x"})
	if !strings.Contains(warning, "nodejs98.x is declared, but the local interpreter is "+version) {
		t.Errorf("warning = %q", warning)
	}
	c = &interpreters{home: t.TempDir(), getenv: func(string) string { return "" }, lookPath: noPath(nil)}
	if it := c.node("nodejs22.x"); it.Err == nil || !strings.Contains(it.Err.Error(), "node is not on PATH") {
		t.Errorf("no node: %+v", it)
	}
	// A deprecated runtime runs, with AWS's deprecation in the note.
	iv = &Invoker{interp: &interpreters{lookPath: noPath(map[string]string{"node": node}), getenv: func(string) string { return "" }, home: t.TempDir()}}
	if _, warning := iv.LocalRuntime(lambdadeck.Function{Runtime: "nodejs16.x"}); !strings.Contains(warning, "nodejs16.x was deprecated by AWS on 2024-06-12") {
		t.Errorf("warning = %q", warning)
	}
}

func TestVersionLess(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		less bool
	}{{"3.11.2", "3.11.10", true}, {"3.11.10", "3.11.2", false}, {"20.1.0", "20.10.0", true}, {"3.12", "3.12.1", true}} {
		if got := versionLess(tt.a, tt.b); got != tt.less {
			t.Errorf("versionLess(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestFunctionByLogicalIDAndCloseNames(t *testing.T) {
	fns := []lambdadeck.Function{
		{Name: "orders-create-dev", LogicalID: "CreateOrderFunction", Runtime: "provided.al2023", CodeDir: t.TempDir()},
		{Name: "orders-get-dev", LogicalID: "GetOrderFunction", Runtime: "provided.al2023", CodeDir: t.TempDir()},
		{Name: "Plain", LogicalID: "Plain", Runtime: "provided.al2023", CodeDir: t.TempDir()},
	}
	iv := newTestInvoker(t, nil, fns...)
	fn, err := iv.Function("CreateOrderFunction")
	if err != nil || fn.Name != "orders-create-dev" {
		t.Fatalf("by logical ID: %+v, %v", fn, err)
	}
	if fn, err := iv.Function("orders-get-dev"); err != nil || fn.LogicalID != "GetOrderFunction" {
		t.Fatalf("by name: %+v, %v", fn, err)
	}
	for _, tt := range []struct{ name, want string }{
		{"orders-craete-dev", "did you mean orders-create-dev"},
		{"GetOrderFunctoin", "did you mean GetOrderFunction"},
		{"plain", "did you mean Plain"},
		{"orders", "orders-get-dev, orders-create-dev"}, // closest first
	} {
		_, err := iv.Function(tt.name)
		if lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND || !strings.Contains(err.Error(), "Function not found: "+tt.name) ||
			!strings.Contains(err.Error(), tt.want) {
			t.Errorf("Function(%q) = %v, want ENOTFOUND saying %q", tt.name, err, tt.want)
		}
	}
	if _, err := iv.Function("zzzzzzzzzz"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("a name far from all: %v", err)
	}
	// Invocations find functions by logical ID too.
	_, err = iv.Invoke(t.Context(), lambdadeck.InvokeRequest{Function: "GetOrderFuncton", Event: []byte("{}")})
	if lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND || !strings.Contains(err.Error(), "GetOrderFunction") {
		t.Errorf("invoke of a misspelt logical ID: %v", err)
	}
}

func TestTerminalLogs(t *testing.T) {
	in := "START\n2024-01-01T00:00:00Z\tid\tINFO\tline one\rline two\r\nEND\r"
	want := "START\n2024-01-01T00:00:00Z\tid\tINFO\tline one\nline two\r\nEND\n"
	if got := TerminalLogs(in); got != want {
		t.Errorf("TerminalLogs = %q, want %q", got, want)
	}
}

// TestProbeCache: a probe's result is kept in the cache file and reused by
// the next process while the executable is unchanged; a changed executable
// is probed again, and a shim (which names another executable) never kept.
func TestProbeCache(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "interpreters.json")
	exe := filepath.Join(dir, "fakenode")
	count := filepath.Join(dir, "runs")
	write := func(version string) {
		t.Helper()
		script := "#!/bin/sh\necho run >> " + count + "\necho " + exe + "\necho " + version + "\n"
		if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runs := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "run")
	}
	write("v20.1.0")
	for i := range 3 { // three processes: a fresh interpreters each time
		c := &interpreters{cacheFile: cache}
		it := c.lookup(exe, []string{"-e", nodeProbe})
		if it.Err != nil || it.Path != exe || it.Version != "v20.1.0" {
			t.Fatalf("probe %d: %+v", i, it)
		}
	}
	if runs() != 1 {
		t.Fatalf("the interpreter ran %d times for three probes; want 1 (then the cache)", runs())
	}
	write("v20.2.0-longer") // another size: another executable
	if it := (&interpreters{cacheFile: cache}).lookup(exe, []string{"-e", nodeProbe}); it.Version != "v20.2.0-longer" || runs() != 2 {
		t.Fatalf("changed executable: %+v after %d runs; want the new version, probed again", it, runs())
	}

	shim := filepath.Join(dir, "shim")
	if err := os.WriteFile(shim, []byte("#!/bin/sh\necho run >> "+count+"\necho "+exe+"\necho v20.1.0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := runs()
	for range 2 {
		if it := (&interpreters{cacheFile: cache}).lookup(shim, []string{"-e", nodeProbe}); it.Path != exe {
			t.Fatalf("shim: %+v", it)
		}
	}
	if runs()-before != 2 {
		t.Fatalf("a shim was probed %d times in two processes; want 2 (never cached)", runs()-before)
	}
}
