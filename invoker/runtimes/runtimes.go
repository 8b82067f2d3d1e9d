// Package runtimes embeds lambdadeck's own bootstraps for the managed
// runtimes (Node.js and Python) and writes them out where instances can run
// them. Each bootstrap implements the handler semantics of its language on top
// of the Runtime API, as AWS's runtime interface clients do.
package runtimes

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

	// repair serialises Verify's reinstalls within this process.
	repair *sync.Mutex
}

// NodeBootstrap is the entry script of the Node.js bootstrap.
func (d Dirs) NodeBootstrap() string { return filepath.Join(d.Node, "bootstrap.mjs") }

// PythonBootstrap is the entry script of the Python bootstrap.
func (d Dirs) PythonBootstrap() string { return filepath.Join(d.Python, "bootstrap.py") }

// Modes of the installed tree: read-only, as /var/runtime is on Lambda, so
// that a handler cannot rewrite the bootstrap every function shares.
const (
	fileMode = 0o444
	dirMode  = 0o555
)

// Install writes the embedded bootstraps under stateDir/runtimes/<hash>/,
// read-only. The folder is named by a hash of the contents, so a new
// lambdadeck build never runs an older bootstrap and running instances of an
// older build are not disturbed. An existing folder is reused only if it
// still holds exactly the embedded files (Verify); a tampered one is
// replaced.
func Install(stateDir string) (Dirs, error) {
	sum, err := contentHash()
	if err != nil {
		return Dirs{}, err
	}
	root := filepath.Join(stateDir, "runtimes", sum)
	dirs := Dirs{Root: root, Node: filepath.Join(root, "node"), Python: filepath.Join(root, "python"), repair: &sync.Mutex{}}
	if err := os.MkdirAll(filepath.Dir(root), 0o700); err != nil {
		return Dirs{}, fmt.Errorf("runtimes: %w", err)
	}
	if err := os.Chmod(filepath.Dir(root), 0o700); err != nil {
		return Dirs{}, fmt.Errorf("runtimes: %w", err)
	}
	if err := dirs.Verify(); err != nil {
		return Dirs{}, err
	}
	return dirs, nil
}

// Verify checks that the installed tree holds exactly the embedded files,
// with their contents and read-only modes, and nothing else (a planted
// module or __pycache__ would be loaded); otherwise it reinstalls it. The
// invoker calls it before every cold start of a Node.js or Python
// function. A handler runs as the same user as lambdadeck, so read-only
// modes alone cannot stop it (it may chmod them back): this check is what
// keeps one invocation's changes from reaching the next.
func (d Dirs) Verify() error {
	if d.check() == nil {
		return nil
	}
	if d.repair != nil {
		d.repair.Lock()
		defer d.repair.Unlock()
	}
	if d.check() == nil {
		return nil // another caller repaired it meanwhile
	}
	return d.reinstall()
}

// check reports the first difference between the tree and the embedded
// files.
func (d Dirs) check() error {
	want := map[string]bool{".complete": false}
	err := fs.WalkDir(files, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skipped(e) {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		want[path] = e.IsDir()
		target := filepath.Join(d.Root, filepath.FromSlash(path))
		st, err := os.Lstat(target)
		if err != nil {
			return err
		}
		if e.IsDir() {
			if !st.IsDir() || st.Mode().Perm() != dirMode {
				return fmt.Errorf("%s: not a read-only folder", target)
			}
			return nil
		}
		if !st.Mode().IsRegular() || st.Mode().Perm() != fileMode {
			return fmt.Errorf("%s: not a read-only file", target)
		}
		embedded, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		if st.Size() != int64(len(embedded)) {
			return fmt.Errorf("%s: changed", target)
		}
		onDisk, err := os.ReadFile(target)
		if err != nil {
			return err
		}
		if !bytes.Equal(onDisk, embedded) {
			return fmt.Errorf("%s: changed", target)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Nothing more than the embedded files.
	return filepath.WalkDir(d.Root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.Root, path)
		if err != nil {
			return err
		}
		if _, ok := want[filepath.ToSlash(rel)]; !ok {
			return fmt.Errorf("%s: not one of lambdadeck's files", path)
		}
		return nil
	})
}

// reinstall writes a fresh tree and swaps it in place of the current one,
// if any: the old one is renamed away first, so that a concurrent
// lambdadeck never sees half a tree.
func (d Dirs) reinstall() error {
	parent := filepath.Dir(d.Root)
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(d.Root)+"-")
	if err != nil {
		return fmt.Errorf("runtimes: %w", err)
	}
	defer removeTree(tmp)
	if err := write(tmp, filepath.Base(d.Root)); err != nil {
		return fmt.Errorf("runtimes: writing bootstraps: %w", err)
	}
	if _, err := os.Lstat(d.Root); err == nil {
		old := tmp + ".old"
		if err := os.Rename(d.Root, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("runtimes: %w", err)
		}
		defer removeTree(old)
	}
	if err := os.Rename(tmp, d.Root); err != nil {
		// Another process may have installed the same contents first.
		if d.check() == nil {
			return nil
		}
		return fmt.Errorf("runtimes: %w", err)
	}
	return nil
}

// write writes the embedded files into dir, then makes them read-only.
func write(dir, sum string) error {
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
		target := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ".complete"), []byte(sum+"\n"), 0o600); err != nil {
		return err
	}
	return chmodTree(dir, fileMode, dirMode)
}

// chmodTree sets the modes of every file and folder under dir, folders
// last (deepest first), so that a read-only folder is never entered.
func chmodTree(dir string, file, folder os.FileMode) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		return os.Chmod(path, file)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], folder); err != nil {
			return err
		}
	}
	return nil
}

// removeTree removes a tree whose folders may be read-only.
func removeTree(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	_ = os.RemoveAll(dir)
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
