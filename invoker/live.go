package invoker

import (
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
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
	st := LiveState{RequestID: l.requestID, Function: l.function, StartedAt: l.startedAt, Changed: l.changed}
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
