package build

import (
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// wantsGo reports whether fn is Go source to build: a provided or go1.x
// function whose CodeDir holds a main package, and that either says
// BuildMethod go1.x or has no ready bootstrap.
func wantsGo(fn lambdadeck.Function) bool {
	if !providedRuntime(fn.Runtime) || !hasMainPackage(fn.CodeDir) {
		return false
	}
	if fn.BuildMethod == "go1.x" {
		return true
	}
	_, err := os.Stat(filepath.Join(fn.CodeDir, "bootstrap"))
	return errors.Is(err, fs.ErrNotExist)
}

func providedRuntime(rt string) bool {
	return strings.HasPrefix(rt, "provided") || rt == "go1.x"
}

// hasMainPackage reports whether dir holds a non-test .go file of package
// main. Only package clauses are parsed, so this stays cheap.
func hasMainPackage(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err == nil && f.Name.Name == "main" {
			return true
		}
	}
	return false
}

// ModuleDir returns the nearest folder at or above dir holding a go.mod, or
// dir itself when there is none (the build then fails with Go's own
// message). A Go build reads the whole module.
func ModuleDir(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// goHash fingerprints what go build reads: the name, size and modification
// time of every .go file, go.mod, go.sum and go.work in the module, plus
// the toolchain and target.
func (b *Builder) goHash(goTool, codeDir, moduleDir string) (string, error) {
	h := newHasher("go")
	h.add(goTool, runtime.GOOS+"/"+runtime.GOARCH, codeDir)
	err := h.addTree(moduleDir, func(rel, name string) bool {
		return skippedDir(name) || ignoredByGo(name) || filepath.Join(moduleDir, rel) == b.stateDir
	}, func(name string) bool {
		return strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" || name == "go.work" || name == "go.work.sum"
	})
	if err != nil {
		return "", err
	}
	return h.sum(), nil
}

// ignoredByGo reports whether the go command leaves a folder out of
// ./... patterns, as it does testdata and names starting with . or _.
func ignoredByGo(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// buildGo builds the function's main package into <build>/bootstrap, as
// `sam build` does for BuildMethod go1.x.
func (b *Builder) buildGo(ctx context.Context, fn lambdadeck.Function, progress Progress) (Result, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return Result{}, b.fail(fn.Name, "go build", fn.CodeDir, errors.New("go is not on PATH"), progress)
	}
	hash, err := b.goHash(goTool, fn.CodeDir, ModuleDir(fn.CodeDir))
	if err != nil {
		return Result{}, b.fail(fn.Name, "reading Go sources", fn.CodeDir, err, progress)
	}
	dir, err := b.once("function:"+fn.Name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, b.root, fn.Name, hash, fn.Name, true, progress, func(ctx context.Context, tmp string) error {
			return b.run(ctx, fn.Name, step{
				name: "go build",
				argv: []string{goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(tmp, "bootstrap"), "."},
				// go finds the governing go.mod from the package's folder upwards.
				dir: fn.CodeDir,
				env: []string{"CGO_ENABLED=0", "GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH},
			}, progress)
		})
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Kind: Go, Dir: dir, Bootstrap: filepath.Join(dir, "bootstrap")}, nil
}
