package build

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/lambdadeck/lambdadeck"
)

// buildMake runs `make build-<LogicalId>` as aws-lambda-builders'
// custom_make workflow does: the code is copied to a scratch folder, make
// runs there with --makefile naming the project's Makefile and ARTIFACTS_DIR
// naming the build folder, which then is the function's code.
func (b *Builder) buildMake(ctx context.Context, fn lambdadeck.Function, progress Progress) (Result, error) {
	makeTool, err := exec.LookPath("make")
	if err != nil {
		return Result{}, b.fail(fn.Name, "make", fn.CodeDir, errors.New("make is not on PATH"), progress)
	}
	makefile := filepath.Join(fn.CodeDir, "Makefile")
	if !exists(makefile) {
		return Result{}, b.fail(fn.Name, "make", fn.CodeDir, errors.New("BuildMethod makefile needs a Makefile in the CodeUri folder"), progress)
	}
	logicalID := fn.LogicalID
	if logicalID == "" {
		logicalID = fn.Name
	}
	h := newHasher("makefile")
	h.add(fn.CodeDir, logicalID, makeTool)
	if err := b.hashSources(h, fn.CodeDir); err != nil {
		return Result{}, b.fail(fn.Name, "reading the code", fn.CodeDir, err, progress)
	}
	hash := h.sum()
	dir, err := b.once("function:"+fn.Name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, b.root, fn.Name, hash, fn.Name, true, progress, func(ctx context.Context, tmp string) error {
			scratch := tmp + ".scratch"
			defer os.RemoveAll(scratch)
			if err := os.Mkdir(scratch, 0o755); err != nil {
				return fail(fn.Name, "copying the code", scratch, err, progress)
			}
			if err := copyTree(fn.CodeDir, scratch, b.sourceSkip); err != nil {
				return fail(fn.Name, "copying the code", fn.CodeDir, err, progress)
			}
			return b.run(ctx, fn.Name, step{
				name: "make build-" + logicalID,
				argv: []string{makeTool, "--makefile", makefile, "build-" + logicalID},
				dir:  scratch,
				env:  []string{"ARTIFACTS_DIR=" + tmp},
			}, progress)
		})
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Kind: Makefile, Dir: dir}
	if providedRuntime(fn.Runtime) {
		res.Bootstrap = filepath.Join(dir, "bootstrap")
	}
	return res, nil
}
