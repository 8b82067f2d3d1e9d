package invoker

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// pool holds one function's execution environments: idle warm instances are
// reused (most recently used first, as Lambda routes to the warmest), new ones
// are started while fewer than the concurrency limit exist, and beyond that
// callers wait in a bounded queue.
type pool struct {
	fn       lambdadeck.Function
	queueMax int
	reaper   *reaper // set by the Invoker before first use

	mu         sync.Mutex
	idle       []*instance // most recently used last
	live       int         // instances busy, idle, or about to start
	waiters    []chan *instance
	resets     int // instances lost to timeouts or crashes: their replacements do a suppressed init
	generation int // bumped when the code changes; older instances are retired
	closed     bool
}

func newPool(fn lambdadeck.Function, queueMax int) *pool {
	return &pool{fn: fn, queueMax: queueMax}
}

func (p *pool) limit() int {
	if p.fn.Concurrency > 0 {
		return p.fn.Concurrency
	}
	return lambdadeck.DefaultConcurrency
}

// newInstanceLocked reserves a slot for a new instance. p.mu is held.
func (p *pool) newInstanceLocked(spec launchSpec) *instance {
	p.live++
	suppressed := false
	if p.resets > 0 {
		p.resets--
		suppressed = true
	}
	in := newInstance(p.fn, spec, suppressed, p.generation)
	in.reaper = p.reaper
	return in
}

// acquire returns an instance to run one invocation on. fresh asks for a new
// instance (per-invocation environment overrides need a process started with
// them). Beyond the concurrency limit the caller waits in the queue; a full
// queue is ETHROTTLED, as Lambda's TooManyRequestsException.
func (p *pool) acquire(ctx context.Context, spec launchSpec, fresh bool) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, lambdadeck.Errorf(lambdadeck.EINTERNAL, "lambdadeck is shutting down")
	}
	for n := len(p.idle); n > 0 && !fresh; n = len(p.idle) {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if !in.alive() {
			// It died while idle (its own timer exited it, or it was
			// killed): its slot goes to a new instance.
			p.live--
			go in.stop()
			continue
		}
		p.mu.Unlock()
		in.thaw()
		return in, nil
	}
	if fresh && p.live >= p.limit() && len(p.idle) > 0 {
		// Make room by stopping the least recently used idle instance.
		old := p.idle[0]
		p.idle = p.idle[1:]
		p.live--
		go old.stop()
	}
	if p.live < p.limit() {
		in := p.newInstanceLocked(spec)
		p.mu.Unlock()
		return in, nil
	}
	if queued := len(p.waiters); queued >= p.queueMax {
		p.mu.Unlock()
		return nil, lambdadeck.Errorf(lambdadeck.ETHROTTLED,
			"Rate Exceeded: function %s is running %d concurrent invocations (its limit) and %d more are queued", p.fn.Name, p.limit(), queued)
	}
	ch := make(chan *instance, 1)
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()

	select {
	case in := <-ch:
		if in == nil {
			return nil, lambdadeck.Errorf(lambdadeck.EINTERNAL, "lambdadeck is shutting down")
		}
		return in, nil
	case <-ctx.Done():
		p.mu.Lock()
		for i, w := range p.waiters {
			if w == ch {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				break
			}
		}
		p.mu.Unlock()
		// An instance may have been handed over just before we left.
		select {
		case in := <-ch:
			if in != nil {
				p.release(in, !fresh, spec)
			}
		default:
		}
		return nil, ctx.Err()
	}
}

// release returns an instance after an invocation. A healthy instance goes to
// the first waiter or back to the idle list; a dead one frees its slot, and a
// waiter gets a fresh instance in its place.
func (p *pool) release(in *instance, healthy bool, spec launchSpec) {
	p.mu.Lock()
	if in.generation != p.generation || p.closed {
		healthy = false
	}
	if healthy {
		in.lastUsed = time.Now()
		if len(p.waiters) > 0 {
			w := p.waiters[0]
			p.waiters = p.waiters[1:]
			p.mu.Unlock()
			w <- in
			return
		}
		// Frozen until the next event, as Lambda freezes an environment:
		// background timers and threads resume in the next invocation.
		in.freeze()
		p.idle = append(p.idle, in)
		if !in.idleWatch {
			in.idleWatch = true
			go p.watchIdle(in)
		}
		p.mu.Unlock()
		return
	}
	p.live--
	var handoff chan *instance
	var next *instance
	if len(p.waiters) > 0 && !p.closed {
		handoff = p.waiters[0]
		p.waiters = p.waiters[1:]
		next = p.newInstanceLocked(spec)
	}
	p.mu.Unlock()
	go in.stop()
	if handoff != nil {
		handoff <- next
	}
}

// watchIdle drops in from the idle list if it dies there, so that no
// caller is handed a dead instance; one watcher per instance, for its life.
func (p *pool) watchIdle(in *instance) {
	<-in.exited
	p.mu.Lock()
	i := slices.Index(p.idle, in)
	if i >= 0 {
		p.idle = slices.Delete(p.idle, i, i+1)
		p.live--
	}
	p.mu.Unlock()
	if i >= 0 {
		in.stop()
	}
}

// replacement is a new instance in the slot of one that died before it
// took its event; it inherits the slot, so live does not change.
func (p *pool) replacement(spec launchSpec) *instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := newInstance(p.fn, spec, false, p.generation)
	in.reaper = p.reaper
	return in
}

// markReset notes that an instance was lost to a timeout or crash.
func (p *pool) markReset() {
	p.mu.Lock()
	p.resets++
	p.mu.Unlock()
}

// reapIdle stops instances idle for longer than maxIdle.
func (p *pool) reapIdle(maxIdle time.Duration) {
	p.mu.Lock()
	var stale []*instance
	kept := p.idle[:0]
	for _, in := range p.idle {
		if time.Since(in.lastUsed) > maxIdle || !in.alive() {
			stale = append(stale, in)
			p.live--
		} else {
			kept = append(kept, in)
		}
	}
	p.idle = kept
	p.mu.Unlock()
	for _, in := range stale {
		in.stop()
	}
}

// retire stops idle instances and marks busy ones to be stopped when they
// finish, so the next invocation runs the current code.
func (p *pool) retire() {
	p.mu.Lock()
	p.generation++
	idle := p.idle
	p.idle = nil
	p.live -= len(idle)
	p.resets = 0
	p.mu.Unlock()
	for _, in := range idle {
		in.stop()
	}
}

// close stops every idle instance and refuses new work; busy instances are
// stopped by the caller's kill in Invoker.Close.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	waiters := p.waiters
	p.waiters = nil
	p.mu.Unlock()
	for _, w := range waiters {
		w <- nil
	}
	for _, in := range idle {
		in.stop()
	}
}

// stats reports how many instances exist and how many are idle.
func (p *pool) stats() (live, idle, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live, len(p.idle), len(p.waiters)
}
