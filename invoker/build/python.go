package build

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/lambdadeck/lambdadeck"
)

// buildPip copies the code into the build folder and installs
// requirements.txt into it with `<python> -m pip install -r
// requirements.txt -t <build>`, using the interpreter that will run the
// function, and the user's pip configuration (PIP_INDEX_URL,
// PIP_FIND_LINKS, pip.conf), as `sam build` does.
func (b *Builder) buildPip(ctx context.Context, fn lambdadeck.Function, python string, progress Progress) (Result, error) {
	if python == "" {
		return Result{}, b.fail(fn.Name, "pip install", fn.CodeDir, errors.New("no Python interpreter to install the requirements with"), progress)
	}
	h := newHasher("pip")
	h.add(fn.CodeDir, python, b.toolVersion(ctx, python, "--version"), b.toolVersion(ctx, python, "-m", "pip", "--version"))
	if err := b.hashSources(h, fn.CodeDir); err != nil {
		return Result{}, b.fail(fn.Name, "reading the code", fn.CodeDir, err, progress)
	}
	hash := h.sum()
	dir, err := b.once("function:"+fn.Name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, b.root, fn.Name, hash, fn.Name, true, progress, func(ctx context.Context, tmp string) error {
			if err := copyTree(fn.CodeDir, tmp, b.sourceSkip); err != nil {
				return fail(fn.Name, "copying the code", fn.CodeDir, err, progress)
			}
			return b.pipInstall(ctx, fn.Name, python, fn.CodeDir, tmp, progress)
		})
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Kind: Pip, Dir: dir}, nil
}

// pipInstall installs srcDir's requirements.txt into target. pip runs in
// srcDir, so relative paths in the requirements resolve as they do for the
// user.
func (b *Builder) pipInstall(ctx context.Context, name, python, srcDir, target string, progress Progress) error {
	return b.run(ctx, name, step{
		name: "pip install",
		argv: []string{python, "-m", "pip", "install", "--disable-pip-version-check", "--no-warn-script-location",
			"-r", filepath.Join(srcDir, "requirements.txt"), "-t", target},
		dir: srcDir,
	}, progress)
}
