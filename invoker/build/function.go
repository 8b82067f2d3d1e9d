package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// Kind is the kind of build a function gets.
type Kind string

// The kinds of build, as `sam build` picks them.
const (
	None     Kind = ""         // the code runs as it is
	Go       Kind = "go"       // go build of a main package into bootstrap
	NPM      Kind = "npm"      // package.json: the code plus npm ci / npm install --omit=dev
	Esbuild  Kind = "esbuild"  // Metadata.BuildMethod esbuild: one bundle per entry point
	Pip      Kind = "pip"      // requirements.txt: the code plus pip install -r requirements.txt -t
	Makefile Kind = "makefile" // Metadata.BuildMethod makefile: make build-<LogicalId> into ARTIFACTS_DIR
)

// KindOf says what build fn gets.
func KindOf(fn lambdadeck.Function) Kind {
	if fn.CodeDir == "" || fn.PackageType == "Image" {
		return None
	}
	switch strings.ToLower(fn.BuildMethod) {
	case "makefile":
		return Makefile
	case "esbuild":
		return Esbuild
	}
	if wantsGo(fn) {
		return Go
	}
	switch {
	case strings.HasPrefix(fn.Runtime, "nodejs") && hasNPMDependencies(filepath.Join(fn.CodeDir, "package.json")):
		return NPM
	case strings.HasPrefix(fn.Runtime, "python") && hasRequirements(filepath.Join(fn.CodeDir, "requirements.txt")):
		return Pip
	}
	return None
}

// hasNPMDependencies reports whether a package.json names dependencies to
// install. One that names none (only "type": "module", say) leaves nothing
// for a build to do: the code runs as it is. One that cannot be read is
// built, so the build reports why.
func hasNPMDependencies(path string) bool {
	if !exists(path) {
		return false
	}
	pkg, err := readPackageJSON(path)
	return err != nil || len(pkg.Dependencies)+len(pkg.OptionalDependencies) > 0
}

// hasRequirements reports whether a requirements.txt has a line that is
// not blank or a comment.
func hasRequirements(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return exists(path)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}

// Result is a finished build.
type Result struct {
	Kind Kind
	// Dir is the build folder. For every kind but Go it is the function's
	// code folder from now on (LAMBDA_TASK_ROOT), as `sam build`'s
	// artifacts are; a Go build only provides Bootstrap.
	Dir string
	// Bootstrap is the executable to run for a provided runtime (Go,
	// makefile); empty otherwise.
	Bootstrap string
}

// Options are what a function's build needs from the caller.
type Options struct {
	// Python is the interpreter that will run a Python function: its pip
	// installs the requirements, so compiled packages match it.
	Python string
	// Progress receives the build's steps.
	Progress Progress
}

// Function builds fn unless the build for its current inputs exists, and
// returns it. A function that needs no build returns a Result of Kind None
// and fn's own CodeDir. A failed build is an *Error, remembered until the
// inputs change.
func (b *Builder) Function(ctx context.Context, fn lambdadeck.Function, opts Options) (Result, error) {
	switch KindOf(fn) {
	case Go:
		return b.buildGo(ctx, fn, opts.Progress)
	case NPM:
		return b.buildNPM(ctx, fn, opts.Progress)
	case Esbuild:
		return b.buildEsbuild(ctx, fn, opts.Progress)
	case Pip:
		return b.buildPip(ctx, fn, opts.Python, opts.Progress)
	case Makefile:
		return b.buildMake(ctx, fn, opts.Progress)
	}
	return Result{Kind: None, Dir: fn.CodeDir}, nil
}
