package invoker

// Event (asynchronous) invocations, as Lambda runs them: an accepted event
// is first stored in the durable queue (Config.Queue, the store), and only
// then answered 202. The dispatcher takes queued events as the function's
// concurrency frees up — never through the synchronous callers' bounded
// waiting queue, so an event is never throttled away — and retries an
// attempt that ended in a function error after RetryDelay, then twice
// RetryDelay (Lambda's 1 and 2 minutes), up to the function's
// MaximumRetryAttempts, while the event is younger than its
// MaximumEventAge. Each attempt is an invocation row of its own, linked to
// the event. What happens to the outcome (destinations, dead-letter queue)
// is in async_destination.go.

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lambdadeck/lambdadeck"
)

// AsyncQueue is the durable queue of Event invocations; the store
// implements it (store/queue.go).
type AsyncQueue interface {
	// EnqueueEvent stores an accepted event with its first attempt's
	// invocation row (queued); nil means it is durable.
	EnqueueEvent(ctx context.Context, inv *lambdadeck.Invocation) error
	// DueEvents returns up to limit of function's queued events whose
	// time has come, earliest first.
	DueEvents(ctx context.Context, function string, now time.Time, limit int) ([]lambdadeck.QueuedEvent, error)
	// NextDue is when the earliest queued event becomes due.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// ClaimEvent marks ev dispatched and records attempt as running, at
	// once; an event taken meanwhile is ECONFLICT.
	ClaimEvent(ctx context.Context, ev lambdadeck.QueuedEvent, attempt *lambdadeck.Invocation) error
	// RetryEvent queues a dispatched event again, due at next.
	RetryEvent(ctx context.Context, eventID, attemptRequestID string, next time.Time, failed bool, note string) error
	// FinishEvent takes the event out of the queue with its condition.
	FinishEvent(ctx context.Context, eventID, attemptRequestID, condition, note string) error
}

// Defaults of the dispatcher.
const (
	// DefaultRetryDelay is Lambda's wait before retrying an event whose
	// attempt failed: 1 minute, then 2 minutes before the third attempt.
	DefaultRetryDelay = time.Minute
	// dispatchPoll bounds how long the dispatcher sleeps with events
	// queued: a slot freed by a synchronous invocation wakes it too, so
	// this is only a safety net.
	dispatchPoll = time.Second
	// storeRetryMin and storeRetryMax bound the backoff between attempts
	// to write to a failing store.
	storeRetryMin = 100 * time.Millisecond
	storeRetryMax = 5 * time.Second
)

// invokeAsync accepts an Event invocation: it is checked, stored in the
// durable queue with its first attempt's row (queued), and only then
// acknowledged. The dispatcher runs it.
func (iv *Invoker) invokeAsync(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error) {
	fn, _, _, inv, err := iv.prepare(&req)
	if err != nil {
		return nil, err
	}
	if iv.cfg.Queue == nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "Event invocations need lambdadeck's durable queue: invoke asynchronously through lambdadeck serve")
	}
	// No check for Close: the queue is durable, so an event accepted while
	// lambdadeck stops (a destination's record) runs at the next start.
	inv.Status = lambdadeck.StatusQueued
	inv.Async = &lambdadeck.AsyncAttempt{EventID: inv.RequestID, Attempt: 1, MaxAttempts: 1 + fn.EventInvoke.RetryAttempts()}
	if err := iv.cfg.Queue.EnqueueEvent(context.WithoutCancel(ctx), inv); err != nil {
		if lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL {
			return nil, err
		}
		return nil, storeFailure(err, "the event was not accepted")
	}
	iv.wakeDispatcher()
	queued := *inv
	return &queued, nil
}

// storeFailure is the error for a write to the store that failed, with
// what it means for the caller (the handler did not run, the event was not
// accepted) and the database's own reason, which is safe to show.
func storeFailure(err error, consequence string) error {
	return lambdadeck.Errorf(lambdadeck.EINTERNAL, "lambdadeck cannot write to its database, so %s: %s", consequence, rootCause(err))
}

// rootCause is the innermost error of a chain: SQLite's own message under
// the store's wrapping.
func rootCause(err error) string {
	for {
		next := unwrapOne(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func unwrapOne(err error) error {
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		return e.Unwrap()
	case interface{ Unwrap() []error }:
		if errs := e.Unwrap(); len(errs) > 0 {
			return errs[0]
		}
	}
	return nil
}

// wakeDispatcher tells the dispatcher to look at the queue now (an event
// arrived, or an instance became free).
func (iv *Invoker) wakeDispatcher() {
	select {
	case iv.wake <- struct{}{}:
	default:
	}
}

// wakeForSlot wakes the dispatcher when an instance slot frees, if events
// may be waiting for one: the dispatcher's latest look found some, or it
// is more than a second old (another process may have queued events).
// Most invocations finish with nothing queued, and asking the store after
// each one cost a query on every invocation's path.
func (iv *Invoker) wakeForSlot() {
	if iv.cfg.Queue == nil {
		return
	}
	if iv.asyncWaiting.Load() || time.Since(time.Unix(0, iv.asyncLooked.Load())) > time.Second {
		iv.wakeDispatcher()
	}
}

// dispatchLoop runs queued events until Close.
func (iv *Invoker) dispatchLoop() {
	defer close(iv.dispatcherDone)
	ctx := context.Background()
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := storeRetryMin
	for {
		select {
		case <-iv.done:
			return
		case <-iv.wake:
		case <-timer.C:
		}
		wait, err := iv.dispatchDue(ctx)
		if err != nil {
			// The store failed: nothing ran. Try again, backing off.
			iv.log.Error("async queue: the store failed; retrying", "err", err, "in", backoff)
			wait = backoff
			backoff = min(2*backoff, storeRetryMax)
		} else {
			backoff = storeRetryMin
		}
		timer.Reset(wait)
	}
}

// dispatchDue starts every due event that a free instance slot can take,
// and says how long to sleep before looking again.
func (iv *Invoker) dispatchDue(ctx context.Context) (time.Duration, error) {
	// One cheap question first: most wake-ups (every finished invocation
	// sends one) find nothing due.
	next, ok, err := iv.cfg.Queue.NextDue(ctx)
	if err != nil {
		iv.asyncWaiting.Store(true) // unknown: look again at the next slot
		return 0, err
	}
	now := time.Now()
	iv.asyncLooked.Store(now.UnixNano())
	// An event queued meanwhile sent its own wake-up (buffered), so the
	// loop looks again even if this says none.
	iv.asyncWaiting.Store(ok)
	if !ok {
		return time.Hour, nil // woken by the next event
	}
	if next.After(now) {
		return min(next.Sub(now), dispatchPoll), nil
	}
	cat := iv.cat.Load()
	for _, name := range cat.names {
		fn, p := cat.funcs[name], cat.pools[name]
		spec, runnable := cat.specs[name]
		if !fn.Runnable() || !runnable {
			continue // its events wait until it can run (a template change)
		}
		free := p.freeSlots()
		if free == 0 {
			continue
		}
		evs, err := iv.cfg.Queue.DueEvents(ctx, name, now, free)
		if err != nil {
			return 0, err
		}
		for _, ev := range evs {
			if age := now.Sub(ev.AcceptedAt); age > fn.EventInvoke.MaxAge() {
				iv.expire(ctx, fn, ev)
				continue
			}
			in := p.tryAcquire(spec, len(ev.Env) > 0)
			if in == nil {
				break // busy again: a synchronous invocation took the slot
			}
			if err := iv.dispatch(ctx, fn, p, spec, in, ev); err != nil {
				return 0, err
			}
		}
	}
	// Events left due wait for a slot: a finished invocation wakes the
	// dispatcher, and the poll is the safety net.
	return dispatchPoll, nil
}

// dispatch records the event's next attempt as running (with the event
// marked dispatched) and runs it on in. When that write fails, the handler
// does not run and the event stays queued.
func (iv *Invoker) dispatch(ctx context.Context, fn lambdadeck.Function, p *pool, spec launchSpec, in *instance, ev lambdadeck.QueuedEvent) error {
	fresh := len(ev.Env) > 0
	if !iv.enter() {
		p.release(in, !fresh && in.cmd != nil, spec)
		return nil
	}
	requestID := ev.RequestID
	if ev.Dispatches > 0 {
		requestID = uuid.NewString()
	}
	inv := &lambdadeck.Invocation{
		RequestID:    requestID,
		Function:     fn.Name,
		Source:       ev.Source,
		UserAgent:    ev.UserAgent,
		FixtureID:    ev.FixtureID,
		Event:        ev.Event,
		Identity:     ev.Identity,
		EnvOverrides: ev.Env,
		Status:       lambdadeck.StatusRunning,
		MemorySizeMB: fn.MemoryMB,
		StartedAt:    time.Now().UTC(),
		Config:       iv.runSnapshot(fn),
		Code:         iv.codeVersion(fn),
		Async: &lambdadeck.AsyncAttempt{
			EventID:     ev.RequestID,
			Attempt:     ev.Dispatches + 1,
			MaxAttempts: 1 + fn.EventInvoke.RetryAttempts(),
		},
	}
	if err := iv.cfg.Queue.ClaimEvent(ctx, ev, inv); err != nil {
		p.release(in, !fresh && in.cmd != nil, spec)
		iv.inflight.Done()
		if lambdadeck.ErrorCode(err) == lambdadeck.ECONFLICT {
			return nil // another dispatcher took it
		}
		return err
	}
	req := lambdadeck.InvokeRequest{
		Function: fn.Name, Event: ev.Event, Env: ev.Env, Source: ev.Source,
		UserAgent: ev.UserAgent, FixtureID: ev.FixtureID, Async: true,
	}
	live := iv.trackLive(inv)
	go func() {
		defer iv.inflight.Done()
		_ = iv.run(ctx, p, spec, in, fn, inv, req)
		iv.untrackLive(live)
		iv.afterAttempt(ctx, fn, ev, inv)
		iv.wakeDispatcher()
	}()
	return nil
}

// afterAttempt decides what becomes of the event once an attempt has
// ended: done (and its record sent on), retried later, or, when lambdadeck
// stopped it, queued again to run at the next start.
func (iv *Invoker) afterAttempt(ctx context.Context, fn lambdadeck.Function, ev lambdadeck.QueuedEvent, inv *lambdadeck.Invocation) {
	eventID, attemptID := ev.RequestID, inv.RequestID
	switch inv.Status {
	case lambdadeck.StatusSucceeded:
		note := iv.sendRecord(ctx, fn, ev, inv, lambdadeck.ConditionSuccess)
		iv.persist("finish event "+eventID, func(ctx context.Context) error {
			return iv.cfg.Queue.FinishEvent(ctx, eventID, attemptID, lambdadeck.ConditionSuccess, note)
		})
		return
	case lambdadeck.StatusInterrupted:
		// lambdadeck stopped while it ran: it runs again (at least once).
		iv.persist("requeue event "+eventID, func(ctx context.Context) error {
			return iv.cfg.Queue.RetryEvent(ctx, eventID, attemptID, time.Now(), false,
				"lambdadeck stopped during this attempt; the event runs again")
		})
		return
	}
	failures := ev.Failures + 1
	retries := fn.EventInvoke.RetryAttempts()
	if failures > retries {
		note := iv.sendRecord(ctx, fn, ev, inv, lambdadeck.ConditionRetriesExhausted)
		note = joinNotes(fmt.Sprintf("%s after %d attempts: no retry left (MaximumRetryAttempts %d)", inv.Status, inv.Async.Attempt, retries), note)
		iv.persist("finish event "+eventID, func(ctx context.Context) error {
			return iv.cfg.Queue.FinishEvent(ctx, eventID, attemptID, lambdadeck.ConditionRetriesExhausted, note)
		})
		return
	}
	delay := iv.cfg.RetryDelay * time.Duration(failures)
	next := time.Now().Add(delay)
	if next.Sub(ev.AcceptedAt) > fn.EventInvoke.MaxAge() {
		note := iv.sendRecord(ctx, fn, ev, inv, lambdadeck.ConditionEventAgeExceeded)
		note = joinNotes(fmt.Sprintf("%s; the retry would come after the event's maximum age (%s)", inv.Status, fn.EventInvoke.MaxAge()), note)
		iv.persist("finish event "+eventID, func(ctx context.Context) error {
			return iv.cfg.Queue.FinishEvent(ctx, eventID, attemptID, lambdadeck.ConditionEventAgeExceeded, note)
		})
		return
	}
	note := fmt.Sprintf("%s; retry %d of %d in %s", inv.Status, failures, retries, delay)
	iv.persist("retry event "+eventID, func(ctx context.Context) error {
		return iv.cfg.Queue.RetryEvent(ctx, eventID, attemptID, next, true, note)
	})
}

// expire ends an event that waited longer than its maximum age (its
// function was busy all along) without running it again.
func (iv *Invoker) expire(ctx context.Context, fn lambdadeck.Function, ev lambdadeck.QueuedEvent) {
	note := iv.sendRecord(ctx, fn, ev, nil, lambdadeck.ConditionEventAgeExceeded)
	note = joinNotes(fmt.Sprintf("the event waited longer than its maximum age (%s)", fn.EventInvoke.MaxAge()), note)
	iv.persist("expire event "+ev.RequestID, func(ctx context.Context) error {
		return iv.cfg.Queue.FinishEvent(ctx, ev.RequestID, ev.CurrentRequestID, lambdadeck.ConditionEventAgeExceeded, note)
	})
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ". " + b
}

// freeSlots is how many more invocations the pool could start now without
// anyone waiting: none while synchronous callers wait in its queue (they go
// first) or once it is closed.
func (p *pool) freeSlots() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.waiters) > 0 {
		return 0
	}
	return max(0, p.limit()-(p.live-len(p.idle)))
}

// tryAcquire is acquire without waiting: an idle instance, or a new one
// while the function is under its concurrency limit, else nil. The
// dispatcher uses it so that an event waits in the durable queue, never in
// the synchronous callers' bounded one.
func (p *pool) tryAcquire(spec launchSpec, fresh bool) *instance {
	p.mu.Lock()
	if p.closed || len(p.waiters) > 0 {
		p.mu.Unlock()
		return nil
	}
	if n := len(p.idle); n > 0 && !fresh {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		in.thaw()
		return in
	}
	if fresh && p.live >= p.limit() && len(p.idle) > 0 {
		old := p.idle[0]
		p.idle = p.idle[1:]
		p.live--
		go old.stop()
	}
	if p.live < p.limit() {
		in := p.newInstanceLocked(spec)
		p.mu.Unlock()
		return in
	}
	p.mu.Unlock()
	return nil
}
