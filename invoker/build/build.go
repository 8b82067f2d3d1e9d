// Package build builds functions and layers as `sam build` does before
// lambdadeck runs them: npm dependencies, esbuild bundles, pip requirements,
// Go binaries and makefile targets. Every build lands in a folder of its own
// under the state folder (<state>/build/<function>-<hash>), never in the
// user's code, keyed by a hash of its inputs so it is redone only when they
// change. Builds are shared: concurrent cold starts in one process wait for
// one build, and other lambdadeck processes on the same state folder wait on
// a file lock rather than build it again.
package build

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrorType is the errorType of an invocation that failed because its
// function did not build.
const ErrorType = "lambdadeck.BuildError"

// formatVersion changes whenever the layout of a build changes, so builds
// made by an older lambdadeck are not trusted.
const formatVersion = "1"

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	StepStarted  EventKind = iota // a step began: Step, Command, Dir are set
	StepOutput                    // one line of the step's output: Line
	StepFinished                  // the step succeeded: Elapsed
	StepFailed                    // the step failed: Elapsed, Err
	Waiting                       // another process builds the same thing; this one waits for its lock
)

// Event is one step of a build as it happens.
type Event struct {
	Target  string // the function or layer being built
	Kind    EventKind
	Step    string // "npm ci", "esbuild", "pip install", "go build", "make build-Hello"
	Command string // the command line, for people to read
	Dir     string // where it runs
	Line    string // a line of the command's output (StepOutput)
	Elapsed time.Duration
	Err     error // why it failed (StepFailed)
}

// Progress receives a build's events as they happen. It is called from the
// building goroutine and must not block for long; nil discards them.
type Progress func(Event)

func (p Progress) send(e Event) {
	if p != nil {
		p(e)
	}
}

// Error is a build that failed: which command, in which folder, and the
// last lines it printed.
type Error struct {
	Target  string
	Step    string
	Command string
	Dir     string
	Tail    []string // the command's last lines of output (at most tailLines)
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "build %s: %s", e.Target, e.Step)
	if e.Command != "" {
		fmt.Fprintf(&b, ": `%s`", e.Command)
	}
	if e.Dir != "" {
		fmt.Fprintf(&b, " (in %s)", e.Dir)
	}
	fmt.Fprintf(&b, " failed: %v", e.Err)
	if len(e.Tail) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(e.Tail, "\n"))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Config configures a Builder.
type Config struct {
	// StateDir is lambdadeck's state folder (.lambdadeck); builds go under
	// its build/ folder.
	StateDir string
	// CacheDir holds tools lambdadeck installs once for every project (the
	// pinned esbuild).
	CacheDir string
	// OnEvent, if set, receives every event of every build once, however
	// many callers wait for it (the CLI prints them).
	OnEvent Progress
}

// Builder builds functions and layers. It is safe for concurrent use.
type Builder struct {
	stateDir string
	root     string // <state>/build
	cacheDir string
	onEvent  Progress

	builds atomic.Int64 // commands run, for tests

	mu      sync.Mutex
	running map[string]*call   // builds in progress by target key
	failed  map[string]failure // the last failed build of each target
	tools   map[string]string  // tool versions by command, asked once
}

// call is one build that concurrent callers wait for together; each of
// them sees its events, those it missed replayed when it joins.
type call struct {
	done chan struct{}
	dir  string
	err  error

	mu        sync.Mutex
	events    []Event // the first maxBacklog events, for callers that join late
	listeners []Progress
}

// maxBacklog bounds the events a build keeps for callers that join late.
const maxBacklog = 2000

func (c *call) send(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) < maxBacklog {
		c.events = append(c.events, e)
	}
	for _, l := range c.listeners {
		l(e)
	}
}

func (c *call) join(p Progress) {
	if p == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.events {
		p(e)
	}
	c.listeners = append(c.listeners, p)
}

type failure struct {
	hash string
	err  error
}

// New returns a Builder for the state folder.
func New(cfg Config) (*Builder, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("build: no state directory")
	}
	state, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("build: state directory: %w", err)
	}
	cache := cfg.CacheDir
	if cache != "" {
		if cache, err = filepath.Abs(cache); err != nil {
			return nil, fmt.Errorf("build: cache directory: %w", err)
		}
	}
	return &Builder{
		stateDir: state,
		root:     filepath.Join(state, "build"),
		cacheDir: cache,
		onEvent:  cfg.OnEvent,
		running:  map[string]*call{},
		failed:   map[string]failure{},
		tools:    map[string]string{},
	}, nil
}

// Commands reports how many build commands this Builder has run (npm, pip,
// esbuild, go, make), so tests can tell a cached build from a new one.
func (b *Builder) Commands() int64 { return b.builds.Load() }

// once shares one build of key among concurrent callers, each of them
// seeing its progress, and remembers a failure for its hash, so a broken
// build is not redone on every invocation until its inputs change.
func (b *Builder) once(key, hash string, progress Progress, build func(Progress) (string, error)) (string, error) {
	b.mu.Lock()
	if f, ok := b.failed[key]; ok && f.hash == hash {
		b.mu.Unlock()
		return "", f.err
	}
	if c := b.running[key]; c != nil {
		b.mu.Unlock()
		c.join(progress)
		<-c.done
		return c.dir, c.err
	}
	c := &call{done: make(chan struct{})}
	c.join(progress)
	b.running[key] = c
	b.mu.Unlock()

	c.dir, c.err = build(func(e Event) {
		if b.onEvent != nil {
			b.onEvent(e)
		}
		c.send(e)
	})

	b.mu.Lock()
	delete(b.running, key)
	if c.err != nil {
		b.failed[key] = failure{hash, c.err}
	} else {
		delete(b.failed, key)
	}
	b.mu.Unlock()
	close(c.done)
	return c.dir, c.err
}

// cached returns root/<name>-<hash>, producing it first unless it exists.
// produce fills an empty temporary folder that is renamed into place only
// when it succeeded, so a crash mid-build never leaves a build that a later
// run trusts; a file lock keeps other processes from building it at the
// same time. With prune, older builds of name are removed.
func (b *Builder) cached(ctx context.Context, root, name, hash, target string, prune bool, progress Progress, produce func(ctx context.Context, tmp string) error) (string, error) {
	base := safeFileName(name) + "-" + hash
	dir := filepath.Join(root, base)
	if isDir(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	unlock, err := lockFile(filepath.Join(root, safeFileName(name)+".lock"), func() {
		progress.send(Event{Target: target, Kind: Waiting, Step: "waiting for another lambdadeck building " + target})
	})
	if err != nil {
		return "", err
	}
	defer unlock()
	if isDir(dir) { // another process built it while this one waited
		return dir, nil
	}
	// Leftovers of a build that crashed: this process holds the lock, so
	// no one else is writing them.
	tmpPrefix := ".tmp-" + safeFileName(name) + "@"
	if entries, err := os.ReadDir(root); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				os.RemoveAll(filepath.Join(root, e.Name()))
			}
		}
	}
	tmp := filepath.Join(root, fmt.Sprintf("%s%s.%d", tmpPrefix, hash, os.Getpid()))
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	if err := produce(ctx, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("build: %w", err)
	}
	if prune {
		removeOlder(root, safeFileName(name)+"-", base)
	}
	return dir, nil
}

// removeOlder deletes the earlier builds of one name. A running instance
// keeps the files it has open, so removing them is safe on Unix.
func removeOlder(root, prefix, keep string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		// <name>-<16 hex>: the exact length keeps "fn" from matching
		// "fn-other"'s builds.
		if name != keep && strings.HasPrefix(name, prefix) && len(name) == len(prefix)+16 && isHex(name[len(prefix):]) {
			os.RemoveAll(filepath.Join(root, name))
		}
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// lockFile takes an exclusive lock on path, shared with other processes;
// waiting is called when another process holds it.
func lockFile(path string, waiting func()) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("build: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if waiting != nil {
			waiting()
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("build: lock %s: %w", path, err)
		}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// hasher fingerprints a build's inputs.
type hasher struct {
	h   hashState
	num [8]byte
}

type hashState interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}

func newHasher(kind string) *hasher {
	h := &hasher{h: sha256.New()}
	h.add("lambdadeck-build", formatVersion, kind)
	return h
}

func (h *hasher) add(parts ...string) {
	for _, p := range parts {
		h.h.Write([]byte(p))
		h.h.Write([]byte{0})
	}
}

// addTree adds the name, size and modification time of every file under
// dir that keep accepts (nil: all), leaving out folders skip names. File
// metadata rather than contents keeps it cheap on large trees; an edit
// always changes the time.
func (h *hasher) addTree(dir string, skip func(rel string, name string) bool, keep func(name string) bool) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // vanished or unreadable: not an input
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if path != dir && skip != nil && skip(rel, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if keep != nil && !keep(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		h.h.Write([]byte(rel))
		h.h.Write([]byte{0})
		binary.LittleEndian.PutUint64(h.num[:], uint64(info.Size()))
		h.h.Write(h.num[:])
		binary.LittleEndian.PutUint64(h.num[:], uint64(info.ModTime().UnixNano()))
		h.h.Write(h.num[:])
		binary.LittleEndian.PutUint64(h.num[:], uint64(info.Mode()))
		h.h.Write(h.num[:])
		return nil
	})
}

func (h *hasher) sum() string { return hex.EncodeToString(h.h.Sum(nil)[:8]) }

// skippedDir reports whether a folder never holds a function's sources:
// dependencies, caches, version control and build outputs.
func skippedDir(name string) bool {
	switch name {
	case "node_modules", "__pycache__", ".git", ".hg", ".svn", ".aws-sam", ".lambdadeck":
		return true
	}
	return false
}

// safeFileName keeps a function name usable as a file name.
func safeFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, name)
}
