package build

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// copyTree copies the files under src into dst (which exists), keeping
// modes and symbolic links and leaving out the folders skip names, as
// aws-lambda-builders' CopySourceAction does with its excludes.
func copyTree(src, dst string, skip func(path, name string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == src {
			return nil
		}
		if skip != nil && skip(path, d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return nil // sockets, pipes and devices are not code
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// sourceSkip is the skip rule for copying or hashing a function's code:
// dependencies, version control, SAM's and lambdadeck's own folders.
func (b *Builder) sourceSkip(path, name string) bool {
	return skippedDir(name) || path == b.stateDir
}

// hashSources adds every file of the code folder to h, as copyTree would
// copy them.
func (b *Builder) hashSources(h *hasher, dir string) error {
	return h.addTree(dir, func(rel, name string) bool {
		return b.sourceSkip(filepath.Join(dir, rel), name)
	}, nil)
}
