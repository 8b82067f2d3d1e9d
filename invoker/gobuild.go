package invoker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// BuildErrorType is the errorType of an invocation that failed because its
// Go sources did not build; the message holds the compiler's output.
const BuildErrorType = "lambdadeck.BuildError"

// Limits on a Go build: how long it may take (a first build may download
// modules) and how much of its output is kept.
const (
	goBuildTimeout   = 5 * time.Minute
	goBuildOutputMax = 64 * 1024
)

// goBuild turns a function's Go main package into the bootstrap Lambda's
// provided runtimes execute, as `sam build` does for BuildMethod go1.x. The
// binary lands in <stateDir>/build/<function>-<hash>/bootstrap, named by a
// hash of the module's sources, so it is rebuilt only when they change and
// a build from an earlier run of lambdadeck is reused.
type goBuild struct {
	goTool    string // the go command
	function  string
	codeDir   string // the main package
	moduleDir string // the folder of the go.mod that governs codeDir; codeDir when there is none
	buildRoot string // <stateDir>/build
	stateDir  string // left out of the source hash

	// builds counts the go build commands run, for tests.
	builds atomic.Int64

	mu      sync.Mutex
	running *buildCall // the build in progress, shared by concurrent cold starts
	// failedHash and failedErr remember the last failed build, so a broken
	// program is not recompiled on every invocation until it changes.
	failedHash string
	failedErr  error
}

// buildCall is one build that concurrent callers wait for together.
type buildCall struct {
	done chan struct{}
	path string
	err  error
}

// wantsGoBuild reports whether fn is Go source for lambdadeck to build: a
// provided or go1.x function whose CodeDir holds a main package, and that
// either says BuildMethod go1.x or has no ready bootstrap.
func wantsGoBuild(fn lambdadeck.Function) bool {
	if runtimeFamily(fn.Runtime) != "provided" || !hasMainPackage(fn.CodeDir) {
		return false
	}
	if fn.BuildMethod == "go1.x" {
		return true
	}
	_, err := os.Stat(filepath.Join(fn.CodeDir, "bootstrap"))
	return errors.Is(err, fs.ErrNotExist)
}

// hasMainPackage reports whether dir holds a non-test .go file of package
// main. Only package clauses are parsed, so this stays cheap.
func hasMainPackage(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err == nil && f.Name.Name == "main" {
			return true
		}
	}
	return false
}

// withGoBuild returns spec unchanged unless fn is Go source to build; then
// the spec carries the build that produces its bootstrap before each cold
// start. Without a go command on PATH the function cannot run here.
func withGoBuild(fn lambdadeck.Function, spec launchSpec, stateDir string) (launchSpec, error) {
	if !wantsGoBuild(fn) {
		return spec, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return launchSpec{}, fmt.Errorf("runtime %s with Go sources needs the go command to build them: go is not on PATH", fn.Runtime)
	}
	state, err := filepath.Abs(stateDir)
	if err != nil {
		return launchSpec{}, fmt.Errorf("invoker: state directory: %w", err)
	}
	spec.build = &goBuild{
		goTool:    goTool,
		function:  fn.Name,
		codeDir:   fn.CodeDir,
		moduleDir: moduleDir(fn.CodeDir),
		buildRoot: filepath.Join(state, "build"),
		stateDir:  state,
	}
	return spec, nil
}

// buildBootstrap points spec at a freshly built bootstrap when spec has a Go
// build; it does nothing otherwise. A failed build's error holds the
// compiler output.
func (s *launchSpec) buildBootstrap() error {
	if s.build == nil {
		return nil
	}
	path, err := s.build.bootstrap()
	if err != nil {
		return err
	}
	s.path = path
	return nil
}

// moduleDir returns the nearest folder at or above dir holding a go.mod, or
// dir itself when there is none (the build then fails with Go's own
// message).
func moduleDir(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// bootstrap returns the path of a bootstrap built from the current sources,
// building it if needed. Concurrent callers share one build.
func (b *goBuild) bootstrap() (string, error) {
	b.mu.Lock()
	if c := b.running; c != nil {
		b.mu.Unlock()
		<-c.done
		return c.path, c.err
	}
	c := &buildCall{done: make(chan struct{})}
	b.running = c
	b.mu.Unlock()

	c.path, c.err = b.ensure()

	b.mu.Lock()
	b.running = nil
	b.mu.Unlock()
	close(c.done)
	return c.path, c.err
}

// ensure builds the bootstrap for the sources' current hash unless it
// exists already.
func (b *goBuild) ensure() (string, error) {
	hash, err := b.sourceHash()
	if err != nil {
		return "", fmt.Errorf("reading Go sources: %w", err)
	}
	b.mu.Lock()
	failedHash, failedErr := b.failedHash, b.failedErr
	b.mu.Unlock()
	if hash == failedHash {
		return "", failedErr
	}
	dirName := safeFileName(b.function) + "-" + hash
	dir := filepath.Join(b.buildRoot, dirName)
	out := filepath.Join(dir, "bootstrap")
	if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("invoker: build folder: %w", err)
	}
	// Build beside the final name and rename, so a crash mid-build never
	// leaves a half-written bootstrap that a later run would trust.
	tmp := filepath.Join(dir, fmt.Sprintf("bootstrap.tmp-%d", os.Getpid()))
	if err := b.goBuild(tmp); err != nil {
		os.Remove(tmp)
		b.mu.Lock()
		b.failedHash, b.failedErr = hash, err
		b.mu.Unlock()
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("invoker: %w", err)
	}
	b.removeOlderBuilds(dirName)
	return out, nil
}

// goBuild runs go build for the function's main package into out.
func (b *goBuild) goBuild(out string) error {
	b.builds.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), goBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, ".")
	// go finds the governing go.mod from the package's folder upwards.
	cmd.Dir = b.codeDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	var output cappedBuffer
	output.max = goBuildOutputMax
	cmd.Stdout = &output
	cmd.Stderr = &output
	// The compiler and linker are children of go: kill them with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		text := strings.TrimSpace(output.String())
		if ctx.Err() != nil {
			return fmt.Errorf("go build did not finish within %v:\n%s", goBuildTimeout, text)
		}
		return fmt.Errorf("go build failed (%v):\n%s", err, text)
	}
	return nil
}

// sourceHash fingerprints what the build reads: the name, size and
// modification time of every .go file, go.mod, go.sum and go.work in the
// module, plus the toolchain and target. File metadata rather than contents
// keeps it cheap on large modules; an edit always changes the time.
func (b *goBuild) sourceHash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s/%s\x00%s\x00", b.goTool, runtime.GOOS, runtime.GOARCH, b.codeDir)
	var num [8]byte
	err := filepath.WalkDir(b.moduleDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == b.moduleDir {
				return err
			}
			return nil // a folder that vanished or cannot be read is not source
		}
		name := d.Name()
		if d.IsDir() {
			if path != b.moduleDir && (skippedDir(name) || ignoredByGo(name) || path == b.stateDir) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" && name != "go.work" && name != "go.work.sum" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(b.moduleDir, path)
		h.Write([]byte(rel))
		binary.LittleEndian.PutUint64(num[:], uint64(info.Size()))
		h.Write(num[:])
		binary.LittleEndian.PutUint64(num[:], uint64(info.ModTime().UnixNano()))
		h.Write(num[:])
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// removeOlderBuilds deletes the function's earlier builds. A running
// instance keeps its executable open, so removing it is safe on Unix.
func (b *goBuild) removeOlderBuilds(keep string) {
	entries, err := os.ReadDir(b.buildRoot)
	if err != nil {
		return
	}
	prefix := safeFileName(b.function) + "-"
	for _, e := range entries {
		name := e.Name()
		// <function>-<16 hex>: the exact length keeps "fn" from matching
		// "fn-other"'s builds.
		if name != keep && strings.HasPrefix(name, prefix) && len(name) == len(prefix)+16 {
			os.RemoveAll(filepath.Join(b.buildRoot, name))
		}
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

// ignoredByGo reports whether the go command leaves a folder out of
// ./... patterns, as it does testdata and names starting with . or _.
func ignoredByGo(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
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

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	bytes.Buffer
	max       int
	truncated bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room < len(p) {
		c.truncated = true
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func (c *cappedBuffer) String() string {
	if c.truncated {
		return c.Buffer.String() + "\n[output truncated]"
	}
	return c.Buffer.String()
}
