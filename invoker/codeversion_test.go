package invoker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// gitIn runs git in dir with a fixed identity, failing the test on error.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestInvocationsRecordConfigurationAndCodeVersion(t *testing.T) {
	requireTools(t, "git")
	fn := customFunction(t, "versioned", `
while true; do
  next
  respond "$EVENT"
done`, func(f *lambdadeck.Function) {
		f.Environment = map[string]string{"SECRET_TOKEN": "hunter2", "MODE": "test"}
	})
	gitIn(t, fn.CodeDir, "init", "-q")
	gitIn(t, fn.CodeDir, "add", ".")
	gitIn(t, fn.CodeDir, "commit", "-q", "-m", "first")
	first := gitIn(t, fn.CodeDir, "rev-parse", "HEAD")[:40]

	rec := &memoryRecorder{}
	iv := newTestInvoker(t, rec, fn)
	if err := iv.Watch(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := invoke(t, iv, "versioned", `{"n":1}`)
	if a.Code == nil || a.Code.Commit != first || a.Code.Dirty || a.Code.ContentHash != "" {
		t.Fatalf("clean tree: code = %+v, want commit %s, clean", a.Code, first)
	}
	c := a.Config
	if c == nil || c.Runtime != "provided.al2023" || c.MemoryMB != 128 || c.Timeout != 3*time.Second ||
		len(c.EnvNames) != 2 || c.EnvNames[0] != "MODE" || c.EnvNames[1] != "SECRET_TOKEN" || len(c.EnvHash) != 64 {
		t.Fatalf("config = %+v", c)
	}
	if b := invoke(t, iv, "versioned", `{"n":2}`); b.Code.Commit != first || b.Code.Dirty {
		t.Errorf("second run, nothing changed: %+v", b.Code)
	}

	// An uncommitted edit: the watcher invalidates the cached version.
	if err := os.WriteFile(filepath.Join(fn.CodeDir, "extra.txt"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	var dirty *lambdadeck.CodeVersion
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if dirty = iv.codeVersion(iv.cat.Load().funcs["versioned"]); dirty.Dirty {
			break
		}
	}
	if !dirty.Dirty || dirty.Commit != first || len(dirty.ContentHash) != 64 {
		t.Fatalf("after an edit: %+v, want dirty with a content hash", dirty)
	}

	// A commit touches only .git, which the watcher skips: HEAD's read
	// notices it at once.
	gitIn(t, fn.CodeDir, "add", ".")
	gitIn(t, fn.CodeDir, "commit", "-q", "-m", "second")
	second := gitIn(t, fn.CodeDir, "rev-parse", "HEAD")[:40]
	d := invoke(t, iv, "versioned", `{"n":3}`)
	if d.Code.Commit != second || d.Code.Dirty || d.Code.ContentHash != "" {
		t.Errorf("after the commit: %+v, want %s clean", d.Code, second)
	}
	if rec.begun[d.RequestID].Code == nil || rec.final[d.RequestID].Config == nil {
		t.Errorf("the recorder did not get the versions at begin and finish")
	}
}

func TestCodeVersionOutsideGitIsAContentHash(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.js"), []byte("one"), 0o644)
	os.MkdirAll(filepath.Join(dir, "node_modules", "x"), 0o755)
	os.WriteFile(filepath.Join(dir, "node_modules", "x", "i.js"), []byte("dep"), 0o644)
	var c codeVersions
	skip := func(p string) bool { return skippedDir(filepath.Base(p)) }
	v1 := c.version(dir, skip)
	if v1 == nil || v1.Commit != "" || len(v1.ContentHash) != 64 {
		t.Fatalf("version = %+v", v1)
	}
	os.WriteFile(filepath.Join(dir, "node_modules", "x", "i.js"), []byte("dep2"), 0o644)
	if v := c.version(dir, skip); v.ContentHash != v1.ContentHash {
		t.Errorf("a change in node_modules changed the hash")
	}
	os.WriteFile(filepath.Join(dir, "index.js"), []byte("two"), 0o644)
	if v := c.version(dir, skip); v.ContentHash == v1.ContentHash {
		t.Errorf("an edit left the hash unchanged (no watcher: nothing is cached)")
	}
}

// BenchmarkRunVersions is what recording what code ran adds to preparing
// one invocation of a function in a git repository, with the watcher
// running: the configuration snapshot, and the code version's check of
// HEAD (a few small reads, no fork).
func BenchmarkRunVersions(b *testing.B) {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755)
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	fn := lambdadeck.Function{Name: "f", Runtime: "provided.al2023", Handler: "x", CodeDir: dir, MemoryMB: 128,
		Timeout: time.Second, Environment: map[string]string{"A": "1", "B": "2", "C": "3"}}
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer iv.Close()
	iv.codes.watched.Store(true)
	b.ReportAllocs()
	for b.Loop() {
		if cfg, v := iv.runSnapshot(fn), iv.codeVersion(fn); cfg == nil || v == nil || v.Commit == "" {
			b.Fatal("no version")
		}
	}
}

// TestEventInvocationsRecordWhatRan checks that an Event invocation's
// attempt, recorded by the dispatcher in the store, carries the
// configuration and code version it ran with.
func TestEventInvocationsRecordWhatRan(t *testing.T) {
	fns, _, _ := asyncFunctions(t)
	r := newAsyncRig(t, t.TempDir(), fns, store.Options{})
	id := r.invokeAsync(t, "ok", `{"n":1}`)
	r.awaitEvent(t, id)
	inv, err := r.db.Invocation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Config == nil || inv.Config.Handler != "index.ok" || !strings.HasPrefix(inv.Config.Interpreter, "node v") {
		t.Errorf("config = %+v", inv.Config)
	}
	if inv.Code == nil || inv.Code.Commit != "" || len(inv.Code.ContentHash) != 64 {
		t.Errorf("code of a folder outside git = %+v, want a content hash", inv.Code)
	}
}
