package runtimes

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInstallIsReadOnly: every installed file is 0444 and every folder
// 0555, as /var/runtime is on Lambda, whatever the umask; the runtimes
// folder is private. Not parallel: the umask is the process's.
func TestInstallIsReadOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	state := t.TempDir()
	d, err := Install(state)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(state, "runtimes")); st.Mode().Perm() != 0o700 {
		t.Errorf("runtimes folder mode %o", st.Mode().Perm())
	}
	n := 0
	err = filepath.WalkDir(d.Root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, _ := e.Info()
		want := os.FileMode(0o444)
		if e.IsDir() {
			want = 0o555
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", path, st.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("walked %d entries: %v", n, err)
	}
	if _, err := os.Stat(d.NodeBootstrap()); err != nil {
		t.Error(err)
	}
	// A second Install reuses the tree as is.
	if _, err := Install(state); err != nil {
		t.Fatal(err)
	}
	removeTree(state) // t.TempDir's cleanup cannot enter read-only folders as a non-root user
}

// TestVerifyRepairsTampering: a changed bootstrap, a planted module, a
// writable file or a missing file is found and the tree reinstalled, by
// Install and by Verify.
func TestVerifyRepairsTampering(t *testing.T) {
	state := t.TempDir()
	defer removeTree(state)
	d, err := Install(state)
	if err != nil {
		t.Fatal(err)
	}
	original, _ := os.ReadFile(d.NodeBootstrap())
	tamper := map[string]func() error{
		"rewritten bootstrap": func() error {
			os.Chmod(d.Node, 0o755)
			os.Chmod(d.NodeBootstrap(), 0o644)
			return os.WriteFile(d.NodeBootstrap(), []byte("console.log('owned')"), 0o644)
		},
		"same size, other bytes": func() error {
			os.Chmod(d.NodeBootstrap(), 0o644)
			b := append([]byte(nil), original...)
			b[0] ^= 1
			return os.WriteFile(d.NodeBootstrap(), b, 0o644)
		},
		"planted module": func() error {
			os.Chmod(d.Python, 0o755)
			return os.WriteFile(filepath.Join(d.Python, "json.py"), []byte("raise SystemExit"), 0o644)
		},
		"planted bytecode cache": func() error {
			pkg := filepath.Join(d.Python, "lambdadeck_runtime")
			os.Chmod(pkg, 0o755)
			return os.MkdirAll(filepath.Join(pkg, "__pycache__"), 0o755)
		},
		"writable again": func() error { return os.Chmod(d.PythonBootstrap(), 0o666) },
		"removed":        func() error { os.Chmod(d.Node, 0o755); return os.Remove(d.NodeBootstrap()) },
		"folder gone":    func() error { removeTree(d.Root); return nil },
	}
	for name, do := range tamper {
		for _, via := range []string{"Verify", "Install"} {
			if err := do(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if d.check() == nil {
				t.Fatalf("%s: check did not notice", name)
			}
			if via == "Verify" {
				err = d.Verify()
			} else {
				_, err = Install(state)
			}
			if err != nil {
				t.Fatalf("%s, %s: %v", name, via, err)
			}
			if err := d.check(); err != nil {
				t.Errorf("%s, after %s: %v", name, via, err)
			}
			if got, _ := os.ReadFile(d.NodeBootstrap()); string(got) != string(original) {
				t.Errorf("%s, after %s: bootstrap not restored", name, via)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(state, "runtimes"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// BenchmarkVerify measures the check done before every Node.js/Python
// cold start.
func BenchmarkVerify(b *testing.B) {
	state := b.TempDir()
	defer removeTree(state)
	d, err := Install(state)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := d.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}
