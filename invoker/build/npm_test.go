package build

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestInstallNPMPackages installs a pinned package once: a second call and
// concurrent calls find it installed and run no npm.
func TestInstallNPMPackages(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	cache := t.TempDir()
	ctx := context.Background()
	var mu sync.Mutex
	var started []Event
	progress := func(e Event) {
		if e.Kind == StepStarted {
			mu.Lock()
			started = append(started, e)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	dirs := make([]string, 3)
	errs := make([]error, 3)
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = InstallNPMPackages(ctx, cache, []string{"ms@2.1.3"}, progress) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("install %d: %v", i, err)
		}
		if dirs[i] != dirs[0] {
			t.Fatalf("installs landed in %s and %s", dirs[0], dirs[i])
		}
	}
	if len(started) != 1 || started[0].Step != "npm install" {
		t.Fatalf("want one npm install among concurrent callers, got %+v", started)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "node_modules", "ms", "package.json")); err != nil {
		t.Fatalf("ms not installed: %v", err)
	}
	again, err := InstallNPMPackages(ctx, cache, []string{"ms@2.1.3"}, progress)
	if err != nil || again != dirs[0] {
		t.Fatalf("second install: %q, %v", again, err)
	}
	if len(started) != 1 {
		t.Fatalf("second install ran npm again: %+v", started)
	}
	// No temporary folders are left behind.
	entries, _ := os.ReadDir(filepath.Dir(dirs[0]))
	for _, e := range entries {
		if e.IsDir() && e.Name()[0] == '.' {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

// TestInstallNPMPackagesErrors: bad input and a package that does not exist
// fail with the command, the folder and npm's own words.
func TestInstallNPMPackagesErrors(t *testing.T) {
	needTool(t, "npm")
	t.Parallel()
	ctx := context.Background()
	for _, bad := range [][]string{nil, {""}, {"--registry=http://evil"}, {"a b"}} {
		if _, err := InstallNPMPackages(ctx, t.TempDir(), bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := InstallNPMPackages(ctx, "", []string{"ms"}, nil); err == nil {
		t.Error("no cache dir: no error")
	}
	_, err := InstallNPMPackages(ctx, t.TempDir(), []string{"ms@999.999.999"}, nil)
	var be *Error
	if !asError(err, &be) {
		t.Fatalf("want *Error, got %v", err)
	}
	if be.Command == "" || be.Dir == "" || len(be.Tail) == 0 {
		t.Fatalf("error lacks command, folder or output: %+v", be)
	}
	t.Logf("error: %v", err)
}
