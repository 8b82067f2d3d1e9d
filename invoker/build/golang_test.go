package build

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoSourceHashIgnoresNonSources(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module x\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
	b, err := New(Config{StateDir: filepath.Join(dir, ".lambdadeck")})
	if err != nil {
		t.Fatal(err)
	}
	base, err := b.goHash("go", dir, ModuleDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"README.md", "testdata/x.go", "node_modules/m/y.go", ".git/z.go", "_old/a.go", ".lambdadeck/build/b.go"} {
		writeFile(t, filepath.Join(dir, f), "package x\n")
	}
	if h, _ := b.goHash("go", dir, ModuleDir(dir)); h != base {
		t.Error("files the go command ignores changed the hash")
	}
	writeFile(t, filepath.Join(dir, "internal", "util", "util.go"), "package util\n")
	if h, _ := b.goHash("go", dir, ModuleDir(dir)); h == base {
		t.Error("a new package in the module did not change the hash")
	}
}

// TestGoBuildReportsProgress: the Go build reports its step, so the CLI
// prints a line while it compiles.
func TestGoBuildReportsProgress(t *testing.T) {
	needTool(t, "go")
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module x\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
	b := newBuilder(t)
	var rec recorder
	var out strings.Builder
	printer := Printer(&out)
	res, err := b.Function(context.Background(), lambdadeck.Function{Name: "gofn", Runtime: "provided.al2023", CodeDir: dir},
		Options{Progress: func(e Event) { rec.progress(e); printer(e) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != Go || res.Bootstrap != filepath.Join(res.Dir, "bootstrap") {
		t.Fatalf("result %+v", res)
	}
	if got := rec.steps(StepStarted); len(got) != 1 || got[0] != "go build" {
		t.Errorf("started %v", got)
	}
	if !regexp.MustCompile(`^build gofn: go build \(in ` + regexp.QuoteMeta(dir) + `\) \.\.\. [0-9.]+m?s\n$`).MatchString(out.String()) {
		t.Errorf("printed %q", out.String())
	}
}

// TestPrinterInterleaved: steps of two builds at once each end on a line of
// their own.
func TestPrinterInterleaved(t *testing.T) {
	var out strings.Builder
	p := Printer(&out)
	p(Event{Target: "a", Kind: StepStarted, Step: "npm ci", Dir: "/a"})
	p(Event{Target: "b", Kind: StepStarted, Step: "pip install", Dir: "/b"})
	p(Event{Target: "a", Kind: StepFinished, Step: "npm ci", Elapsed: 3210 * time.Millisecond})
	p(Event{Target: "b", Kind: StepFailed, Step: "pip install", Elapsed: 12 * time.Millisecond})
	want := "build a: npm ci (in /a) ... \nbuild b: pip install (in /b) ... \nbuild a: npm ci ... 3.2s\nbuild b: pip install ... failed after 12ms\n"
	if out.String() != want {
		t.Errorf("printed\n%q\nwant\n%q", out.String(), want)
	}
}
