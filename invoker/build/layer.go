package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// Layer builds a layer's content into the layout Lambda extracts to /opt,
// as `sam build` builds layers, and returns that folder: for a Node.js
// layer (BuildMethod nodejs*, or a package.json) the content with its
// production dependencies under nodejs/ (so nodejs/node_modules); for a
// Python layer (BuildMethod python*, or a requirements.txt) the content
// and its requirements under python/; for BuildMethod makefile whatever
// `make build-<LogicalId>` puts in ARTIFACTS_DIR. A layer with nothing to
// build is its ContentDir as it is. runtime is the runtime the layer is
// built for (nodejs20.x, python3.12): its interpreter installs Python
// requirements.
func (b *Builder) Layer(ctx context.Context, layer lambdadeck.Layer, runtime string, progress Progress) (string, error) {
	name := layer.LogicalID
	if name == "" {
		name = layer.Name
	}
	target := "layer " + name
	if layer.ContentDir == "" {
		return "", b.fail(target, "build", "", errors.New("the layer has no local content (ContentUri)"), progress)
	}
	if !isDir(layer.ContentDir) {
		return "", b.fail(target, "build", layer.ContentDir, errors.New("the layer's content folder does not exist"), progress)
	}
	method := strings.ToLower(layer.BuildMethod)
	kind := None
	switch {
	case method == "makefile":
		kind = Makefile
	case strings.HasPrefix(method, "nodejs"), method == "" && strings.HasPrefix(runtime, "nodejs") && hasNPMDependencies(filepath.Join(layer.ContentDir, "package.json")):
		kind = NPM
	case strings.HasPrefix(method, "python"), method == "" && strings.HasPrefix(runtime, "python") && hasRequirements(filepath.Join(layer.ContentDir, "requirements.txt")):
		kind = Pip
	}
	if kind == None {
		return layer.ContentDir, nil
	}
	var (
		tool    string
		version string
		err     error
	)
	switch kind {
	case NPM:
		tool, err = exec.LookPath("npm")
		if err == nil {
			version = b.toolVersion(ctx, tool, "--version") + " node " + b.toolVersion(ctx, "node", "--version")
		}
	case Pip:
		tool, err = pythonFor(runtime, method)
		if err == nil {
			version = b.toolVersion(ctx, tool, "--version")
		}
	case Makefile:
		tool, err = exec.LookPath("make")
	}
	if err != nil {
		return "", b.fail(target, string(kind), layer.ContentDir, err, progress)
	}
	h := newHasher("layer-" + string(kind))
	h.add(layer.ContentDir, name, tool, version)
	if err := b.hashSources(h, layer.ContentDir); err != nil {
		return "", b.fail(target, "reading the layer", layer.ContentDir, err, progress)
	}
	hash := h.sum()
	root := filepath.Join(b.root, "layers")
	return b.once("layer:"+name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, root, name, hash, target, true, progress, func(ctx context.Context, tmp string) error {
			switch kind {
			case NPM:
				dst := filepath.Join(tmp, "nodejs")
				if err := copyInto(layer.ContentDir, dst, b); err != nil {
					return fail(target, "copying the layer", layer.ContentDir, err, progress)
				}
				return b.npmInstall(ctx, target, tool, dst, progress)
			case Pip:
				dst := filepath.Join(tmp, "python")
				if err := copyInto(layer.ContentDir, dst, b); err != nil {
					return fail(target, "copying the layer", layer.ContentDir, err, progress)
				}
				return b.pipInstall(ctx, target, tool, layer.ContentDir, dst, progress)
			default:
				scratch := tmp + ".scratch"
				defer os.RemoveAll(scratch)
				if err := copyInto(layer.ContentDir, scratch, b); err != nil {
					return fail(target, "copying the layer", layer.ContentDir, err, progress)
				}
				return b.run(ctx, target, step{
					name: "make build-" + name,
					argv: []string{tool, "--makefile", filepath.Join(layer.ContentDir, "Makefile"), "build-" + name},
					dir:  scratch,
					env:  []string{"ARTIFACTS_DIR=" + tmp},
				}, progress)
			}
		})
	})
}

func copyInto(src, dst string, b *Builder) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return copyTree(src, dst, b.sourceSkip)
}

// pythonFor finds the interpreter for a Python runtime (python3.12 ->
// python3.12 on PATH, else python3).
func pythonFor(runtime, method string) (string, error) {
	for _, rt := range []string{runtime, method} {
		if v, ok := strings.CutPrefix(rt, "python"); ok && v != "" {
			if p, err := exec.LookPath("python" + v); err == nil {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("no Python interpreter on PATH to install the requirements with")
	}
	return p, nil
}
