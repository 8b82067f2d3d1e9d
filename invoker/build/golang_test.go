package build

import (
	"os"
	"path/filepath"
	"testing"
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
