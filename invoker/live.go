package invoker

import (
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// liveInvocation lets callers watch an invocation while it runs: its log so
// far and, for a response streaming handler, the chunks as they arrive.
type liveInvocation struct {
	requestID string
	function  string
	startedAt time.Time

	mu      sync.Mutex
	in      *instance
	logs    *logBuffer
	pi      *pendingInvoke
	changed chan struct{} // closed (and replaced) on every change
	// building is set while the function is being built for this
	// invocation's cold start; buildLog is what the build printed so far.
	building bool
	buildLog *logBuffer
	sub      chan []byte // gets the streamed chunks (StartStream); nil for none
}

// LiveState is a snapshot of a running invocation.
type LiveState struct {
	RequestID string
	Function  string
	StartedAt time.Time
	Logs      string // the log so far
	// Streaming is set once the runtime started a streamed response; Body
	// holds the bytes so far and Chunks when each arrived.
	Streaming bool
	Body      []byte
	Chunks    []lambdadeck.Chunk
	// Building is set while the function's code is being built for this
	// invocation's cold start; BuildLog holds the build's steps and output
	// so far (kept once the build ended, until the invocation does).
	Building bool
	BuildLog string
	// Changed is closed at the next change (a chunk arrives, the invocation
	// ends), so a watcher need not poll.
	Changed <-chan struct{}
}

func (iv *Invoker) trackLive(inv *lambdadeck.Invocation) *liveInvocation {
	l := &liveInvocation{requestID: inv.RequestID, function: inv.Function, startedAt: inv.StartedAt, changed: make(chan struct{})}
	iv.liveMu.Lock()
	iv.live[inv.RequestID] = l
	iv.liveMu.Unlock()
	return l
}

func (iv *Invoker) untrackLive(l *liveInvocation) {
	iv.liveMu.Lock()
	delete(iv.live, l.requestID)
	iv.liveMu.Unlock()
	l.notify()
}

func (iv *Invoker) liveFor(requestID string) *liveInvocation {
	iv.liveMu.Lock()
	defer iv.liveMu.Unlock()
	return iv.live[requestID]
}

// attach tells watchers where the invocation's log and response are.
func (l *liveInvocation) attach(in *instance, logs *logBuffer, pi *pendingInvoke) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.in, l.logs = in, logs
	if pi != nil {
		l.pi = pi
		pi.onChunk = l.notify
		pi.sub = l.sub
	}
	l.mu.Unlock()
	l.notify()
}

func (l *liveInvocation) notify() {
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// Live returns a snapshot of the running invocation with the request id, or
// false when it is not running (finished, queued, or unknown): its record in
// the store is then the truth.
func (iv *Invoker) Live(requestID string) (LiveState, bool) {
	l := iv.liveFor(requestID)
	if l == nil {
		return LiveState{}, false
	}
	l.mu.Lock()
	in, logs, pi := l.in, l.logs, l.pi
	st := LiveState{RequestID: l.requestID, Function: l.function, StartedAt: l.startedAt, Changed: l.changed, Building: l.building}
	if l.buildLog != nil {
		st.BuildLog = l.buildLog.String()
	}
	l.mu.Unlock()
	if in != nil && logs != nil {
		in.logMu.Lock()
		st.Logs = logs.String()
		in.logMu.Unlock()
	}
	if in != nil && pi != nil {
		in.mu.Lock()
		st.Streaming = pi.streamed
		st.Body = append([]byte(nil), pi.body...)
		st.Chunks = append([]lambdadeck.Chunk(nil), pi.chunks...)
		in.mu.Unlock()
	}
	return st, true
}

// buildProgress is the Progress of a build run for the invocation with the
// request id: its steps go to the live view (the function page shows them
// while they run). Config.OnBuild gets them from the Builder.
func (iv *Invoker) buildProgress(requestID string) build.Progress {
	l := iv.liveFor(requestID)
	if l == nil {
		return nil
	}
	return func(e build.Event) {
		l.mu.Lock()
		if l.buildLog == nil {
			l.buildLog = newLogBuffer(64*1024, 64*1024)
		}
		l.building = true
		l.buildLog.Write([]byte(build.FormatEvent(e) + "\n"))
		l.mu.Unlock()
		l.notify()
	}
}

// endBuild marks the invocation's build as over (it succeeded or failed).
func (l *liveInvocation) endBuild() {
	if l == nil {
		return
	}
	l.mu.Lock()
	was := l.building
	l.building = false
	l.mu.Unlock()
	if was {
		l.notify()
	}
}
