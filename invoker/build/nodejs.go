package build

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/lambdadeck/lambdadeck"
)

// npmInstall installs a package.json's production dependencies in dir, as
// `sam build` does: npm ci when there is a lock file, else npm install,
// both with --omit=dev. npm is the user's, with the user's configuration.
func (b *Builder) npmInstall(ctx context.Context, target, npm, dir string, progress Progress) error {
	argv := []string{npm, "install", "--omit=dev", "--no-audit", "--no-fund", "--no-save"}
	name := "npm install"
	if exists(filepath.Join(dir, "package-lock.json")) || exists(filepath.Join(dir, "npm-shrinkwrap.json")) {
		argv = []string{npm, "ci", "--omit=dev", "--no-audit", "--no-fund"}
		name = "npm ci"
	}
	if err := b.run(ctx, target, step{name: name, argv: argv, dir: dir}, progress); err != nil {
		return err
	}
	// The project's .npmrc may hold credentials: it does not stay in the
	// build, as SAM's NodejsNpmrcCleanUpAction removes it.
	os.Remove(filepath.Join(dir, ".npmrc"))
	return nil
}

// nodeHash fingerprints a Node.js build: the code's files, the npm and node
// versions, and what else the caller adds.
func (b *Builder) nodeHash(ctx context.Context, kind, npm string, fn lambdadeck.Function, extra ...string) (string, error) {
	h := newHasher(kind)
	h.add(fn.CodeDir, npm, b.toolVersion(ctx, npm, "--version"), b.toolVersion(ctx, "node", "--version"))
	h.add(extra...)
	if err := b.hashSources(h, fn.CodeDir); err != nil {
		return "", err
	}
	return h.sum(), nil
}

// buildNPM copies the code without node_modules into the build folder and
// installs its production dependencies there.
func (b *Builder) buildNPM(ctx context.Context, fn lambdadeck.Function, progress Progress) (Result, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return Result{}, b.fail(fn.Name, "npm install", fn.CodeDir, errors.New("npm is not on PATH"), progress)
	}
	hash, err := b.nodeHash(ctx, "npm", npm, fn)
	if err != nil {
		return Result{}, b.fail(fn.Name, "reading the code", fn.CodeDir, err, progress)
	}
	dir, err := b.once("function:"+fn.Name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, b.root, fn.Name, hash, fn.Name, true, progress, func(ctx context.Context, tmp string) error {
			if err := copyTree(fn.CodeDir, tmp, b.sourceSkip); err != nil {
				return fail(fn.Name, "copying the code", fn.CodeDir, err, progress)
			}
			return b.npmInstall(ctx, fn.Name, npm, tmp, progress)
		})
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Kind: NPM, Dir: dir}, nil
}
