package invoker

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// reloadDebounce is how long the watcher waits for a burst of writes (an
// editor's save, a git checkout, a build) to settle before it retires the
// functions concerned, so one save means one reload.
const reloadDebounce = 200 * time.Millisecond

// reloadLog remembers when each function last reloaded its code.
type reloadLog struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (r *reloadLog) mark(name string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	r.at[name] = at
}

func (r *reloadLog) get(name string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.at[name]
}

// Reloaded reports when Watch last retired the named function's instances
// because its code changed; the zero time if it never has.
func (iv *Invoker) Reloaded(name string) time.Time {
	return iv.reloads.get(name)
}

// watchRoot is a folder whose changes concern a function: its CodeDir, and
// for Go sources the module folder the build reads.
type watchRoot struct {
	dir      string
	function string
}

// watcher turns file changes into retired instances.
type watcher struct {
	iv       *Invoker
	fsw      *fsnotify.Watcher
	roots    []watchRoot
	template string // absolute; empty when there is none
	stateDir string // absolute; lambdadeck's own writes are not code changes
}

// Watch starts watching every function's code (its CodeDir, recursively,
// without node_modules, .git, __pycache__ and lambdadeck's state folder)
// and the template. When files change, once writes have settled for 200 ms,
// the functions whose code changed are retired: idle instances stop, busy
// ones stop when they finish, and the next invocation starts on the new code
// (Go sources are rebuilt). A template change calls Config.OnTemplateChange.
// Watch returns once the watches are in place; watching stops when ctx is
// done or the Invoker is closed.
func (iv *Invoker) Watch(ctx context.Context) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("invoker: watching code: %w", err)
	}
	w := &watcher{iv: iv, fsw: fsw, stateDir: absPath(iv.cfg.StateDir)}
	if err := w.watchFunctions(); err != nil {
		fsw.Close()
		return err
	}
	if iv.cfg.TemplatePath != "" {
		w.template = absPath(iv.cfg.TemplatePath)
		// Editors save by writing a new file and renaming it over the old
		// one, so the folder is watched, not the file.
		if err := fsw.Add(filepath.Dir(w.template)); err != nil {
			fsw.Close()
			return fmt.Errorf("invoker: watching the template: %w", err)
		}
	}
	iv.codes.watched.Store(true)
	go w.loop(ctx)
	return nil
}

// watchFunctions watches the code of the invoker's current functions; it
// runs again after a template change, which may add or move functions.
func (w *watcher) watchFunctions() error {
	cat := w.iv.cat.Load()
	w.roots = w.roots[:0]
	for _, name := range cat.names {
		fn := cat.funcs[name]
		if fn.CodeDir == "" {
			continue
		}
		w.roots = append(w.roots, watchRoot{dir: absPath(fn.CodeDir), function: name})
		if b := cat.specs[name].build; b != nil && b.kind == build.Go {
			if mod := build.ModuleDir(fn.CodeDir); mod != fn.CodeDir {
				w.roots = append(w.roots, watchRoot{dir: absPath(mod), function: name})
			}
		}
	}
	for _, r := range w.roots {
		if err := w.addTree(r.dir); err != nil {
			return err
		}
	}
	return nil
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return filepath.Clean(abs)
	}
	return filepath.Clean(p)
}

// addTree watches dir and the folders below it that may hold code. A
// folder that vanishes meanwhile is not an error.
func (w *watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && !os.IsNotExist(err) {
				return fmt.Errorf("invoker: watching %s: %w", dir, err)
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if path != dir && (skippedDir(d.Name()) || w.inStateDir(path)) {
			return filepath.SkipDir
		}
		if err := w.fsw.Add(path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("invoker: watching %s: %w", path, err)
		}
		return nil
	})
}

// inStateDir reports whether path is lambdadeck's own state (bootstraps,
// Go builds): writes there are not code changes.
func (w *watcher) inStateDir(path string) bool {
	return w.stateDir != "" && (path == w.stateDir || strings.HasPrefix(path, w.stateDir+string(filepath.Separator)))
}

// skippedPath reports whether rel, a path below a function's folder, is in
// dependencies or caches, or is an editor's scratch file.
func skippedPath(rel string) bool {
	base := filepath.Base(rel)
	if strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".swx") {
		return true
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if skippedDir(part) {
			return true
		}
	}
	return false
}

// functionsAt returns the functions whose code path belongs to.
func (w *watcher) functionsAt(path string) []string {
	if w.inStateDir(path) {
		return nil
	}
	var names []string
	for _, r := range w.roots {
		rel, err := filepath.Rel(r.dir, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		// Only the part below the root counts: a CodeDir may itself live
		// under a folder that would be skipped.
		if rel != "." && skippedPath(rel) {
			continue
		}
		names = append(names, r.function)
	}
	return names
}

func (w *watcher) loop(ctx context.Context) {
	defer w.fsw.Close()
	pending := map[string]bool{}
	templateChanged := false
	settle := time.NewTimer(reloadDebounce)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.iv.done:
			return
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.iv.log.Warn("watching code", "err", err)
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			// Attribute changes (touch, chmod) are not edits.
			if ev.Op == fsnotify.Chmod {
				continue
			}
			path := filepath.Clean(ev.Name)
			changed := false
			if w.template != "" && path == w.template {
				templateChanged, changed = true, true
			}
			for _, name := range w.functionsAt(path) {
				pending[name], changed = true, true
				// The code version is found again at the next invocation.
				w.invalidateCode(name)
			}
			if !changed {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Lstat(path); err == nil && st.IsDir() {
					if err := w.addTree(path); err != nil {
						w.iv.log.Warn("watching code", "err", err)
					}
				}
			}
			settle.Reset(reloadDebounce)
		case <-settle.C:
			now := time.Now().UTC()
			for name := range pending {
				w.invalidateCode(name)
				w.iv.Retire(name)
				w.iv.reloads.mark(name, now)
				w.iv.log.Info("code changed; instances retired", "function", name)
			}
			clear(pending)
			if templateChanged && w.iv.cfg.OnTemplateChange != nil {
				w.iv.cfg.OnTemplateChange()
				// The template may have added functions or moved code.
				if err := w.watchFunctions(); err != nil {
					w.iv.log.Warn("watching code", "err", err)
				}
			}
			templateChanged = false
		}
	}
}

// invalidateCode forgets the cached code version of the named function.
func (w *watcher) invalidateCode(name string) {
	if fn, ok := w.iv.cat.Load().funcs[name]; ok {
		w.iv.codes.invalidate(absPath(fn.CodeDir))
	}
}

// skippedDir reports whether a folder never holds a function's sources:
// dependencies, caches and version control.
func skippedDir(name string) bool {
	switch name {
	case "node_modules", "__pycache__", ".git", ".hg", ".svn", ".aws-sam", ".lambdadeck":
		return true
	}
	return false
}
