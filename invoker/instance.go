package invoker

import (
	"github.com/lambdadeck/lambdadeck/invoker/peer"

	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Log sizes kept per invocation: the head and the tail of the output.
const (
	logHeadBytes = 256 * 1024
	logTailBytes = 256 * 1024
)

// flushMark is written by lambdadeck into an instance's output pipe to learn
// when everything written before it has been read: pipes are FIFO, so when
// the reader meets the mark, all earlier output is in the log.
var flushMark = []byte("\x00\x1blambdadeck-flush\x1b\x00")

// instance is one execution environment: a runtime process with its own
// Runtime API listener, serving one invocation at a time.
type instance struct {
	fn        lambdadeck.Function
	launch    launchSpec
	logStream string
	// suppressed is set on an instance that replaces one reset by a timeout or
	// crash: its init runs inside the invocation, with no Init Duration
	// reported (reference §6.3).
	suppressed bool
	generation int // the pool's code generation it was started with

	ln      net.Listener
	srv     *http.Server
	cmd     *exec.Cmd
	pid     int
	started time.Time
	logR    *os.File
	logW    *os.File // lambdadeck keeps the write end too, to write flush marks

	mu          sync.Mutex
	state       runtimeState
	current     *pendingInvoke
	initDone    time.Time
	initErr     []byte
	initErrType string

	deliver    chan *pendingInvoke // a /next call takes the next event from here
	ready      chan struct{}       // closed by the first /next: init is done
	initFailed chan struct{}       // signalled by /init/error
	exited     chan struct{}       // closed when the process has exited
	exitState  *os.ProcessState
	stopping   chan struct{}
	stopOnce   sync.Once
	readerDone chan struct{}

	logMu   sync.Mutex
	sink    *logBuffer // where output goes now
	between *logBuffer // output outside any invocation (init, background timers)
	flushed chan struct{}

	lastUsed    time.Time
	invocations int
	// seen are the runtime's descendants the memory sampler met, with their
	// start times: if the runtime dies first, those that left its process
	// group (setsid) are orphans no group kill reaches, and are killed by
	// pid when the instance is stopped.
	seenMu sync.Mutex
	seen   map[int]uint64
	peak   *peakReader // the process's VmHWM, read after each invocation

	// reaper records the instance's processes (and gives it a cgroup where
	// it can) so that none outlives lambdadeck (reaper.go); rec is this
	// instance's record.
	reaper *reaper
	rec    *procRecord
	// idleWatch is set once the pool watches the instance for dying idle.
	idleWatch bool
}

func newInstance(fn lambdadeck.Function, spec launchSpec, suppressed bool, generation int) *instance {
	between := newLogBuffer(logHeadBytes, logTailBytes)
	return &instance{
		fn:         fn,
		launch:     spec,
		logStream:  logStreamName(),
		suppressed: suppressed,
		generation: generation,
		deliver:    make(chan *pendingInvoke),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}, 1),
		exited:     make(chan struct{}),
		stopping:   make(chan struct{}),
		readerDone: make(chan struct{}),
		sink:       between,
		between:    between,
		flushed:    make(chan struct{}, 1),
	}
}

// logStreamName is Lambda's YYYY/MM/DD/[$LATEST]<32 hex>.
func logStreamName() string {
	var b [16]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("2006/01/02") + "/[" + lambdadeck.LatestVersion + "]" + hex.EncodeToString(b[:])
}

// start launches the runtime process with its Runtime API listener.
func (in *instance) start(env []string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("invoker: runtime API listener: %w", err)
	}
	in.ln = ln
	in.srv = &http.Server{
		Handler:           (&runtimeAPI{in: in}).routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	// Only lambdadeck's own user (whose the runtime process is) and root
	// may reach the Runtime API: another local account could otherwise
	// take the next event or post its own response.
	go in.srv.Serve(&peer.Listener{Listener: ln, Owner: os.Getuid()})

	r, w, err := os.Pipe()
	if err != nil {
		ln.Close()
		return fmt.Errorf("invoker: output pipe: %w", err)
	}
	in.logR, in.logW = r, w

	env = append(env, "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "AWS_LAMBDA_LOG_STREAM_NAME="+in.logStream)
	command := func() *exec.Cmd {
		cmd := exec.Command(in.launch.path, in.launch.args...)
		cmd.Dir = in.fn.CodeDir
		cmd.Env = env
		cmd.Stdout = w
		cmd.Stderr = w
		// Its own process group, so a timeout kills everything the handler
		// started; Pdeathsig takes the runtime down if lambdadeck itself
		// dies; its cgroup, when it has one, holds all its descendants.
		cmd.SysProcAttr = in.rec.attrs(&syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL})
		return cmd
	}
	in.rec = in.reaper.prepare()
	cmd := command()
	go in.readOutput()
	in.started = time.Now()
	err = cmd.Start()
	if err != nil && in.rec != nil && in.rec.cgroup != "" {
		// The kernel refused the cgroup (too old for clone3 into one, or
		// not delegated): start without.
		in.reaper.withoutCgroup(in.rec, err)
		cmd = command()
		err = cmd.Start()
	}
	in.rec.startedCgroup()
	if err != nil {
		in.stop()
		return err
	}
	in.cmd = cmd
	in.pid = cmd.Process.Pid
	in.rec.add(in.pid)
	in.peak = openPeakReader(in.pid)
	go func() {
		state, _ := cmd.Process.Wait()
		in.mu.Lock()
		in.exitState = state
		in.mu.Unlock()
		close(in.exited)
	}()
	return nil
}

// readOutput copies the process's output into the current sink until the
// pipe is closed, answering flush marks as it meets them.
func (in *instance) readOutput() {
	defer close(in.readerDone)
	buf := make([]byte, 64*1024)
	var carry []byte
	for {
		n, err := in.logR.Read(buf)
		if n > 0 {
			data := buf[:n]
			if len(carry) > 0 {
				data = append(carry, data...)
				carry = nil
			}
			for {
				i := bytes.Index(data, flushMark)
				if i < 0 {
					break
				}
				in.writeLog(data[:i])
				data = data[i+len(flushMark):]
				select {
				case in.flushed <- struct{}{}:
				default:
				}
			}
			// Hold back a tail that could be the start of a mark split
			// across two reads.
			if k := partialMarkSuffix(data); k > 0 {
				carry = append([]byte(nil), data[len(data)-k:]...)
				data = data[:len(data)-k]
			}
			in.writeLog(data)
		}
		if err != nil {
			in.writeLog(carry)
			return
		}
	}
}

// partialMarkSuffix returns the length of the longest suffix of data that is
// a proper prefix of flushMark.
func partialMarkSuffix(data []byte) int {
	for k := min(len(flushMark)-1, len(data)); k > 0; k-- {
		if bytes.HasPrefix(flushMark, data[len(data)-k:]) {
			return k
		}
	}
	return 0
}

func (in *instance) writeLog(p []byte) {
	if len(p) == 0 {
		return
	}
	in.logMu.Lock()
	in.sink.Write(p)
	in.logMu.Unlock()
}

// noteLog adds one of lambdadeck's own lines to the output as it stands.
func (in *instance) noteLog(line string) {
	in.logMu.Lock()
	in.sink.WritePlatform(line + "\n")
	in.logMu.Unlock()
}

// flush waits until all output written so far has reached the log.
func (in *instance) flush() {
	select {
	case <-in.flushed: // a stale signal
	default:
	}
	if in.logW == nil {
		return
	}
	if _, err := in.logW.Write(flushMark); err != nil {
		return
	}
	select {
	case <-in.flushed:
	case <-in.readerDone:
	case <-time.After(2 * time.Second):
		// The reader is stuck behind a flood; what arrives later goes to the
		// next invocation instead of holding this one.
	}
}

// beginLog starts an invocation's log: the output since the last invocation
// (init, background timers), then the START line; output goes there until
// endLog.
func (in *instance) beginLog(startLine string) *logBuffer {
	in.flush()
	logs := newLogBuffer(logHeadBytes, logTailBytes)
	in.logMu.Lock()
	logs.Write([]byte(in.between.String()))
	in.between = newLogBuffer(logHeadBytes, logTailBytes)
	logs.WritePlatform(startLine)
	in.sink = logs
	in.logMu.Unlock()
	return logs
}

// endLog moves output back to the between-invocations buffer, once all the
// invocation's output has been read.
func (in *instance) endLog() {
	in.flush()
	in.logMu.Lock()
	in.sink = in.between
	in.logMu.Unlock()
}

// kill ends the whole process group at once, as Lambda does with no
// extensions running (SIGKILL, no grace). Descendants that left the group
// (setsid, as headless browsers' helpers do) die too: on Lambda nothing
// outlives its sandbox. They are found through /proc while the runtime is
// still their ancestor, before the group dies and they are reparented.
func (in *instance) kill() {
	if in.pid <= 0 {
		return
	}
	var escaped []int
	select {
	case <-in.exited:
		// Reaped: the pid may already belong to another process.
	default:
		escaped = descendants(in.pid)
	}
	in.rec.killCgroup()
	syscall.Kill(-in.pid, syscall.SIGKILL)
	for _, pid := range escaped {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	in.seenMu.Lock()
	for pid, started := range in.seen {
		if now, ok := startTime(pid); ok && now == started {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	in.seenMu.Unlock()
}

// observe records descendants of the runtime, with their start times.
func (in *instance) observe(pids []int) {
	if len(pids) == 0 {
		return
	}
	in.seenMu.Lock()
	defer in.seenMu.Unlock()
	if in.seen == nil {
		in.seen = map[int]uint64{}
	}
	var added []int
	for _, pid := range pids {
		if _, ok := in.seen[pid]; ok || len(in.seen) >= 1024 {
			continue
		}
		if started, ok := startTime(pid); ok {
			in.seen[pid] = started
			added = append(added, pid)
		}
	}
	// Recorded on disk too, for the watchdog and the next start, should
	// lambdadeck die without stopping the instance.
	in.rec.add(added...)
}

// freeze stops the process group between invocations (SIGSTOP), as Lambda
// freezes an idle execution environment (reference §6.5).
func (in *instance) freeze() {
	if in.pid > 0 && in.alive() {
		if in.rec == nil || in.rec.cgroup == "" {
			// Without a cgroup, the records are how processes that left
			// the group are found if lambdadeck dies: note what the
			// invocation started.
			in.observe(descendants(in.pid))
		}
		// Where its main thread waits for the next event, if it waits
		// in the kernel (epoll, a socket read): thaw waits to see it there.
		syscall.Kill(-in.pid, syscall.SIGSTOP)
	}
}

// thaw lets a frozen instance run again before it gets an event.
func (in *instance) thaw() {
	if in.pid > 0 {
		syscall.Kill(-in.pid, syscall.SIGCONT)
	}
}

// stop kills the process group and releases the listener and pipe. It waits
// for the process to be reaped, so no orphan or zombie is left.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		close(in.stopping)
		in.kill()
		if in.cmd != nil {
			select {
			case <-in.exited:
			case <-time.After(5 * time.Second):
			}
		}
		if in.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			in.srv.Shutdown(ctx)
			cancel()
			in.srv.Close()
		}
		if in.logW != nil {
			in.logW.Close()
		}
		in.peak.close()
		in.rec.remove()
		if in.logR != nil {
			// Closing the read end ends the reader even if a grandchild
			// that escaped the group still holds the write end.
			select {
			case <-in.readerDone:
			case <-time.After(200 * time.Millisecond):
			}
			in.logR.Close()
		}
	})
}

// alive reports whether the process is still running.
func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return in.cmd != nil
	}
}

// exitDescription is the process's end as Lambda words it after "Runtime
// exited": "with error: exit status 1", "with error: signal: killed", or
// "without providing a reason" for status 0.
func (in *instance) exitDescription() string {
	in.mu.Lock()
	st := in.exitState
	in.mu.Unlock()
	if st == nil {
		return "Runtime exited without providing a reason"
	}
	if st.Success() {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + st.String()
}

var errInitTimeout = errors.New("init timed out")
