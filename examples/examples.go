// Package examples holds lambdadeck's built-in example functions: a SAM
// template and small Node.js and Python handlers, embedded in the binary.
// lambdadeck serves them when it is started without a template of its own.
package examples

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// files is the example project. The __init__.py files are named one by one
// because a directory pattern leaves out names starting with "_", and so
// that a stray __pycache__ is never embedded.
//
//go:embed template.yaml events hello-node hello-python logger-node thrower-python thrower-node sleeper-node counter-node
//go:embed context/src/__init__.py context/src/handlers/__init__.py context/src/handlers/inspect.py
var files embed.FS

// TemplateName is the name of the examples' template inside the folder
// WriteTo writes.
const TemplateName = "template.yaml"

// WriteTo writes the example project under dir, creating folders as needed,
// and returns the path of its template.
//
// The examples belong to lambdadeck, not to the user: a file whose content
// differs from the embedded one, edited or stale, is replaced, so that every
// start serves the examples this binary ships. Files that are already up to
// date are left untouched (and keep their modification time), and files
// that are not part of the examples are left alone. To experiment with an
// example, copy it out of dir first.
func WriteTo(dir string) (templatePath string, err error) {
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		want, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		if have, err := os.ReadFile(target); err == nil && bytes.Equal(have, want) {
			return nil
		}
		return writeFile(target, want)
	})
	if err != nil {
		return "", fmt.Errorf("write examples to %s: %w", dir, err)
	}
	return filepath.Join(dir, TemplateName), nil
}

// writeFile replaces path with data through a temporary file and a rename,
// so a handler starting at that moment never reads half a file.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
