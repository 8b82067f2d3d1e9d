package invoker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Limits of the content hash of a code folder: past them the hash covers
// the first files only (and says so in ContentHash's input), so a huge
// folder costs a bounded read once per change.
const (
	maxHashFiles = 20000
	maxHashBytes = 256 << 20
)

// codeVersions finds the version of each function's code folder: the git
// commit of its repository and whether the folder is dirty, or a content
// hash when it is not in git (or is dirty). Finding it forks git or reads
// the folder, so each folder's answer is kept until the code watcher sees a
// change in it (invalidate). The commit is checked on every invocation by
// reading the repository's HEAD and the ref it names (two small files, no
// fork), so a commit, checkout or reset, which only touches .git (a folder
// the watcher skips), is noticed at once.
type codeVersions struct {
	// watched is set once Watch runs. Without a watcher (serve
	// --watch=false) nothing tells a cached answer is stale: it is kept for
	// unwatchedTTL only (zero: not at all), so an uncommitted edit shows
	// within that long and a busy function forks git at most once per TTL.
	watched      atomic.Bool
	unwatchedTTL time.Duration
	mu           sync.Mutex
	byDir        map[string]*codeEntry
}

type codeEntry struct {
	mu      sync.Mutex // one lookup at a time per folder
	valid   bool
	headKey string // what HEAD and its ref read when v was found
	at      time.Time
	v       lambdadeck.CodeVersion

	// Where the repository is, found once until the folder changes.
	located           bool
	gitDir, commonDir string
	// headStat is HEAD's file identity when refFile was read from it; the
	// ref HEAD names is only re-read when HEAD itself changes.
	headStat, headText, refFile string
}

func (c *codeVersions) entry(dir string) *codeEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byDir == nil {
		c.byDir = map[string]*codeEntry{}
	}
	e := c.byDir[dir]
	if e == nil {
		e = &codeEntry{}
		c.byDir[dir] = e
	}
	return e
}

// invalidate forgets the answer for dir: its files changed.
func (c *codeVersions) invalidate(dir string) {
	c.mu.Lock()
	e := c.byDir[dir]
	c.mu.Unlock()
	if e != nil {
		e.mu.Lock()
		e.valid, e.located = false, false
		e.mu.Unlock()
	}
}

// version returns the code version of dir, nil when dir is empty or
// unreadable. skip reports folders below dir that are not code.
func (c *codeVersions) version(dir string, skip func(path string) bool) *lambdadeck.CodeVersion {
	if dir == "" {
		return nil
	}
	e := c.entry(dir)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.located {
		e.gitDir, e.commonDir = findGitDir(dir)
		e.located = true
	}
	gitDir := e.gitDir
	key := e.readHead()
	fresh := c.watched.Load() || (c.unwatchedTTL > 0 && time.Since(e.at) < c.unwatchedTTL)
	if e.valid && e.headKey == key && fresh {
		v := e.v
		return &v
	}
	var v lambdadeck.CodeVersion
	if gitDir != "" {
		if out, err := git(dir, "rev-parse", "--verify", "-q", "HEAD"); err == nil {
			v.Commit = strings.TrimSpace(string(out))
		}
		if out, err := git(dir, "status", "--porcelain", "--untracked-files=normal", "--", "."); err == nil {
			v.Dirty = len(bytes.TrimSpace(out)) > 0
		}
	}
	if v.Commit == "" || v.Dirty {
		h, ok := contentHash(dir, skip)
		if !ok && v.Commit == "" {
			return nil
		}
		v.ContentHash = h
	}
	e.v, e.headKey, e.valid, e.at = v, key, true, time.Now()
	return &v
}

func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	return cmd.Output()
}

// findGitDir returns the git directory of the repository holding dir and
// its common directory (they differ in a linked worktree), or empty ones.
func findGitDir(dir string) (gitDir, commonDir string) {
	for d := dir; ; {
		p := filepath.Join(d, ".git")
		if st, err := os.Stat(p); err == nil {
			if st.IsDir() {
				return p, p
			}
			// A worktree or submodule: ".git" is a file "gitdir: <path>".
			b, err := os.ReadFile(p)
			if err != nil {
				return "", ""
			}
			g, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
			if !ok {
				return "", ""
			}
			if !filepath.IsAbs(g) {
				g = filepath.Join(d, g)
			}
			common := g
			if c, err := os.ReadFile(filepath.Join(g, "commondir")); err == nil {
				common = strings.TrimSpace(string(c))
				if !filepath.IsAbs(common) {
					common = filepath.Join(g, common)
				}
			}
			return g, common
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", ""
		}
		d = parent
	}
}

// readHead returns what decides the checked-out commit: HEAD, the loose
// ref it names and the packed refs, by size and modification time (to the
// nanosecond: git writes a moved ref as a new file). Equal
// keys mean the same commit. It costs three stat calls: HEAD is read
// only when it changed.
func (e *codeEntry) readHead() string {
	if e.gitDir == "" {
		return ""
	}
	headPath := filepath.Join(e.gitDir, "HEAD")
	hs := statKey(headPath)
	if hs != e.headStat {
		e.headStat, e.refFile = hs, ""
		head, err := os.ReadFile(headPath)
		if err != nil {
			return ""
		}
		e.headText = string(head)
		if ref, ok := strings.CutPrefix(strings.TrimSpace(e.headText), "ref: "); ok {
			ref = filepath.FromSlash(ref)
			e.refFile = filepath.Join(e.commonDir, ref)
			if _, err := os.Stat(filepath.Join(e.gitDir, ref)); err == nil {
				e.refFile = filepath.Join(e.gitDir, ref)
			}
		}
	}
	key := hs + "|" + e.headText
	if e.refFile != "" {
		key += "|" + statKey(e.refFile) + "|" + statKey(filepath.Join(e.commonDir, "packed-refs"))
	}
	return key
}

// statKey identifies a file's content by its size and modification time;
// empty when it does not exist.
func statKey(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return st.ModTime().Format(time.RFC3339Nano) + "/" + strconv.FormatInt(st.Size(), 10)
}

// contentHash hashes the names and contents of dir's files, in name order,
// skipping what skip names (dependencies, caches, lambdadeck's state).
// ok is false when dir cannot be read.
func contentHash(dir string, skip func(path string) bool) (string, bool) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil
		}
		if path != dir && skip(path) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", false
	}
	slices.Sort(files)
	h := sha256.New()
	var read int64
	for i, path := range files {
		if i == maxHashFiles || read >= maxHashBytes {
			io.WriteString(h, "\x00truncated")
			break
		}
		rel, _ := filepath.Rel(dir, path)
		io.WriteString(h, filepath.ToSlash(rel)+"\x00")
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		n, _ := io.Copy(h, io.LimitReader(f, maxHashBytes-read))
		f.Close()
		read += n
		io.WriteString(h, "\x00")
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// runSnapshot is the configuration fn runs with, for the invocation's
// record: environment variables by name with one hash of their values.
func (iv *Invoker) runSnapshot(fn lambdadeck.Function) *lambdadeck.RunConfig {
	cfg := &lambdadeck.RunConfig{
		Runtime:      fn.Runtime,
		Handler:      fn.Handler,
		MemoryMB:     fn.MemoryMB,
		Timeout:      fn.Timeout,
		Architecture: fn.Architecture,
	}
	if len(fn.Environment) > 0 {
		names := make([]string, 0, len(fn.Environment))
		for name := range fn.Environment {
			names = append(names, name)
		}
		slices.Sort(names)
		h := sha256.New()
		for _, name := range names {
			io.WriteString(h, name+"="+fn.Environment[name]+"\x00")
		}
		cfg.EnvNames, cfg.EnvHash = names, hex.EncodeToString(h.Sum(nil))
	}
	if in := iv.Interpreter(fn); in != nil && in.Err == nil {
		family := runtimeFamily(fn.Runtime)
		cfg.Interpreter = strings.TrimSpace(family + " " + in.Version)
	}
	return cfg
}

// codeVersion is the version of fn's code folder now.
func (iv *Invoker) codeVersion(fn lambdadeck.Function) *lambdadeck.CodeVersion {
	dir := absPath(fn.CodeDir)
	state := absPath(iv.cfg.StateDir)
	return iv.codes.version(dir, func(path string) bool {
		if state != "" && (path == state || strings.HasPrefix(path, state+string(filepath.Separator))) {
			return true
		}
		return skippedDir(filepath.Base(path)) || skippedPath(filepath.Base(path))
	})
}
