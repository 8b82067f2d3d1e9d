package build

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Limits on one build command: how long it may run (a first install may
// download a lot) and how many of its last lines an error keeps.
const (
	stepTimeout = 10 * time.Minute
	tailLines   = 20
)

// step is one command of a build.
type step struct {
	name string   // what people read: "npm ci"
	argv []string // the command; argv[0] is a path or a name on PATH
	dir  string
	env  []string // added to lambdadeck's own environment
}

func (s step) commandLine() string {
	parts := make([]string, len(s.argv))
	for i, a := range s.argv {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// run runs s, reporting its start, each line of its output and its end to
// progress. A failure is an *Error with the command's last lines. The
// command runs in its own process group, killed whole when ctx ends.
func (b *Builder) run(ctx context.Context, target string, s step, progress Progress) error {
	b.builds.Add(1)
	cmdLine := s.commandLine()
	progress.send(Event{Target: target, Kind: StepStarted, Step: s.name, Command: cmdLine, Dir: s.dir})
	start := time.Now()
	fail := func(err error, tail []string) error {
		e := &Error{Target: target, Step: s.name, Command: cmdLine, Dir: s.dir, Tail: tail, Err: err}
		progress.send(Event{Target: target, Kind: StepFailed, Step: s.name, Command: cmdLine, Dir: s.dir, Elapsed: time.Since(start), Err: e})
		return e
	}
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdin = nil
	r, w, err := os.Pipe()
	if err != nil {
		return fail(err, nil)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return fail(err, nil)
	}
	w.Close()
	tail := make([]string, 0, tailLines)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if len(tail) == tailLines {
				copy(tail, tail[1:])
				tail = tail[:tailLines-1]
			}
			tail = append(tail, line)
			progress.send(Event{Target: target, Kind: StepOutput, Step: s.name, Line: line, Elapsed: time.Since(start)})
		}
		io.Copy(io.Discard, r)
	}()
	err = cmd.Wait()
	<-read
	r.Close()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("did not finish within %v", stepTimeout)
		} else if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fail(err, tail)
	}
	progress.send(Event{Target: target, Kind: StepFinished, Step: s.name, Command: cmdLine, Dir: s.dir, Elapsed: time.Since(start)})
	return nil
}

// fail reports a step that is not a command (copying, reading a manifest)
// outside a shared build: to the caller's progress and Config.OnEvent.
func (b *Builder) fail(target, stepName, dir string, err error, progress Progress) error {
	return fail(target, stepName, dir, err, b.tee(progress))
}

// tee sends events to progress and to Config.OnEvent.
func (b *Builder) tee(progress Progress) Progress {
	if b.onEvent == nil {
		return progress
	}
	return func(e Event) {
		b.onEvent(e)
		progress.send(e)
	}
}

// fail reports a step that is not a command (copying, reading a manifest).
func fail(target, stepName, dir string, err error, progress Progress) error {
	e := &Error{Target: target, Step: stepName, Dir: dir, Err: err}
	progress.send(Event{Target: target, Kind: StepFailed, Step: stepName, Dir: dir, Err: e})
	return e
}

// toolVersion asks a tool for its version once per Builder: it is part of
// every build hash that uses it.
func (b *Builder) toolVersion(ctx context.Context, argv ...string) string {
	key := strings.Join(argv, "\x00")
	b.mu.Lock()
	v, ok := b.tools[key]
	b.mu.Unlock()
	if ok {
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	v = strings.TrimSpace(string(out))
	if err != nil {
		v = "unknown: " + err.Error()
	}
	b.mu.Lock()
	b.tools[key] = v
	b.mu.Unlock()
	return v
}
