// Package runtimes embeds lambdadeck's own bootstraps for the managed
// runtimes (Node.js and Python) and writes them out where instances can run
// them. Each bootstrap implements the handler semantics of its language on top
// of the Runtime API, as AWS's runtime interface clients do.
package runtimes

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// all: keeps Python's __init__.py files; skipped() leaves out the caches
// and dotfiles a developer's checkout may hold.
//
//go:embed all:node all:python
var files embed.FS

// skipped reports whether an embedded path is not part of a bootstrap.
func skipped(d fs.DirEntry) bool {
	name := d.Name()
	return name == "__pycache__" || name == "node_modules" || (strings.HasPrefix(name, ".") && name != ".")
}

// Dirs are the folders Install wrote, one per language.
type Dirs struct {
	Root   string // the content-addressed folder holding both
	Node   string // holds bootstrap.mjs
	Python string // holds bootstrap.py
}

// NodeBootstrap is the entry script of the Node.js bootstrap.
func (d Dirs) NodeBootstrap() string { return filepath.Join(d.Node, "bootstrap.mjs") }

// PythonBootstrap is the entry script of the Python bootstrap.
func (d Dirs) PythonBootstrap() string { return filepath.Join(d.Python, "bootstrap.py") }

// Install writes the embedded bootstraps under stateDir/runtimes/<hash>/.
// The folder is named by a hash of the contents, so a new lambdadeck build
// never runs an older bootstrap and running instances of an older build are
// not disturbed; an existing complete folder is reused as is.
func Install(stateDir string) (Dirs, error) {
	sum, err := contentHash()
	if err != nil {
		return Dirs{}, err
	}
	root := filepath.Join(stateDir, "runtimes", sum)
	dirs := Dirs{Root: root, Node: filepath.Join(root, "node"), Python: filepath.Join(root, "python")}
	if _, err := os.Stat(filepath.Join(root, ".complete")); err == nil {
		return dirs, nil
	}
	// Write into a temporary folder and rename it into place, so that a
	// concurrent lambdadeck (serve and invoke at once) never sees half a tree.
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		return Dirs{}, fmt.Errorf("runtimes: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(root), ".tmp-"+sum+"-")
	if err != nil {
		return Dirs{}, fmt.Errorf("runtimes: %w", err)
	}
	defer os.RemoveAll(tmp)
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skipped(d) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := filepath.Join(tmp, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, ".complete"), []byte(sum+"\n"), 0o644)
	}
	if err != nil {
		return Dirs{}, fmt.Errorf("runtimes: writing bootstraps: %w", err)
	}
	if err := os.Rename(tmp, root); err != nil {
		// Another process may have installed the same contents first.
		if _, statErr := os.Stat(filepath.Join(root, ".complete")); statErr == nil {
			return dirs, nil
		}
		return Dirs{}, fmt.Errorf("runtimes: %w", err)
	}
	return dirs, nil
}

func contentHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skipped(d) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("runtimes: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
