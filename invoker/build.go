package invoker

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// BuildErrorType is the errorType of an invocation that failed because its
// function did not build; the message names the command, its folder and
// its last lines of output.
const BuildErrorType = build.ErrorType

// functionBuild is how a function's code is built before its cold starts
// (package build does the work, with its cache).
type functionBuild struct {
	builder *build.Builder
	fn      lambdadeck.Function
	kind    build.Kind
	python  string // the interpreter that runs a Python function
}

// withBuild returns spec unchanged unless fn has something to build (and
// builds are on); then the spec carries the build that runs before each
// cold start. A build tool that is missing makes the function not runnable
// here, with the reason.
func (iv *Invoker) withBuild(fn lambdadeck.Function, spec launchSpec) (launchSpec, error) {
	if iv.cfg.NoBuild || iv.builder == nil {
		return spec, nil
	}
	kind := build.KindOf(fn)
	if kind == build.None {
		return spec, nil
	}
	if tool := buildTool(kind); tool != "" {
		if _, err := exec.LookPath(tool); err != nil {
			return launchSpec{}, fmt.Errorf("runtime %s with %s build needs the %s command: %s is not on PATH", fn.Runtime, kind, tool, tool)
		}
	}
	fb := &functionBuild{builder: iv.builder, fn: fn, kind: kind}
	if runtimeFamily(fn.Runtime) == "python" {
		fb.python = spec.path
	}
	// A bundle with source maps: Node uses them only when told, and its
	// stack traces then name the TypeScript lines (Lambda users set
	// NODE_OPTIONS=--enable-source-maps; SAM adds it with Sourcemap).
	if build.SourceMaps(fn) && !strings.Contains(fn.Environment["NODE_OPTIONS"], "--enable-source-maps") {
		spec.args = append([]string{"--enable-source-maps"}, spec.args...)
	}
	spec.build = fb
	return spec, nil
}

// buildTool is the command a kind of build cannot do without.
func buildTool(kind build.Kind) string {
	switch kind {
	case build.Go:
		return "go"
	case build.NPM, build.Esbuild:
		return "npm"
	case build.Makefile:
		return "make"
	}
	return ""
}

// runBuild builds the function when spec has a build, and points spec at
// the result: the built bootstrap, and the build folder as the code folder.
// A failed build's error names the command, its folder and its output.
func (s *launchSpec) runBuild(ctx context.Context, progress build.Progress) error {
	if s.build == nil {
		return nil
	}
	res, err := s.build.builder.Function(ctx, s.build.fn, build.Options{Python: s.build.python, Progress: progress})
	if err != nil {
		return err
	}
	if res.Bootstrap != "" {
		s.path = res.Bootstrap
	}
	if res.Kind != build.Go && res.Dir != "" {
		s.codeDir = res.Dir
	}
	return nil
}

// Built is one function's outcome of Invoker.Build.
type Built struct {
	Function string
	Kind     build.Kind // None: nothing to build (or builds are off)
	Dir      string     // the build folder
	Err      error      // the build failed (a *build.Error), or the function cannot run here
}

// Build builds the named functions ahead of their first invocation (all of
// them when names is empty), one after another, reporting each step to
// progress (and to Config.OnBuild); later cold starts then find them built.
// An unknown name is ENOTFOUND before anything is built.
func (iv *Invoker) Build(ctx context.Context, names []string, progress build.Progress) ([]Built, error) {
	cat := iv.cat.Load()
	if len(names) == 0 {
		names = cat.names
	}
	for _, name := range names {
		if _, ok := cat.funcs[name]; !ok {
			return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "Function not found: %s", name)
		}
	}
	out := make([]Built, 0, len(names))
	for _, name := range names {
		fn := cat.funcs[name]
		b := Built{Function: name}
		spec, ok := cat.specs[name]
		switch {
		case !fn.Runnable():
			b.Err = fmt.Errorf("%s cannot run here: %s", name, fn.NotRunnable)
		case ok && spec.build != nil:
			b.Kind = spec.build.kind
			b.Err = spec.runBuild(ctx, progress)
			b.Dir = spec.codeDir
			if b.Kind == build.Go {
				b.Dir = filepath.Dir(spec.path)
			}
		}
		if b.Err == nil && fn.Runnable() {
			_, b.Err = iv.buildLayers(ctx, fn, progress)
		}
		out = append(out, b)
	}
	return out, nil
}

// buildLayers builds the function's layers that say how
// (Metadata.BuildMethod), as `sam build` does, and returns fn with their
// built folders in place of their content: the layers' paths then point at
// what Lambda would extract to /opt. With builds off, layers are used as
// they are.
func (iv *Invoker) buildLayers(ctx context.Context, fn lambdadeck.Function, progress build.Progress) (lambdadeck.Function, error) {
	if iv.cfg.NoBuild || iv.builder == nil {
		return fn, nil
	}
	var layers []lambdadeck.Layer
	for i, l := range fn.Layers {
		if l.ContentDir == "" || l.BuildMethod == "" {
			continue
		}
		dir, err := iv.builder.Layer(ctx, l, fn.Runtime, progress)
		if err != nil {
			return fn, err
		}
		if layers == nil {
			layers = append([]lambdadeck.Layer(nil), fn.Layers...) // the catalog's stay as they are
		}
		layers[i].ContentDir = dir
	}
	if layers != nil {
		fn.Layers = layers
	}
	return fn, nil
}
