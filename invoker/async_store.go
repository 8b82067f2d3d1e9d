package invoker

// Writes that must not be lost when the store fails. A handler's outcome is
// written after it ran; if that write fails (disk full, database locked),
// the caller still gets the response, and the write is kept here, in
// memory and in order, and retried with backoff until the store takes it.
// Close tries once more. StoreHealth reports the backlog for /healthz and
// the dashboard's banner.

import (
	"context"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// pendingWrite is one write the store refused, kept to try again.
type pendingWrite struct {
	what  string
	write func(ctx context.Context) error
}

// StoreHealth is how lambdadeck's writes to its store are going.
type StoreHealth struct {
	// Pending is how many writes (invocation outcomes, queue moves) wait in
	// memory for the store to recover.
	Pending int
	// Failure is why the latest of them failed; nil when none waits.
	Failure error
	Since   time.Time // when the writes began to fail
}

// StoreHealth reports the writes waiting for the store.
func (iv *Invoker) StoreHealth() StoreHealth {
	iv.pendingMu.Lock()
	defer iv.pendingMu.Unlock()
	return StoreHealth{Pending: len(iv.pending), Failure: iv.pendingErr, Since: iv.pendingSince}
}

// persist writes now, or, if the store fails, keeps the write and retries
// it in the background. Writes queue behind one another, so that one
// invocation's writes land in the order they were made.
func (iv *Invoker) persist(what string, write func(ctx context.Context) error) {
	ctx := context.Background()
	iv.pendingMu.Lock()
	if len(iv.pending) > 0 {
		iv.pending = append(iv.pending, pendingWrite{what, write})
		iv.pendingMu.Unlock()
		return
	}
	iv.pendingMu.Unlock()
	err := write(ctx)
	if err == nil {
		return
	}
	if lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL {
		// Refused for what it says (an unknown id): trying again would not help.
		iv.log.Error("write refused", "what", what, "err", err)
		return
	}
	iv.log.Error("the store failed; keeping the write to retry", "what", what, "err", err)
	iv.pendingMu.Lock()
	defer iv.pendingMu.Unlock()
	if len(iv.pending) == 0 {
		iv.pendingSince = time.Now().UTC()
	}
	iv.pendingErr = err
	iv.pending = append(iv.pending, pendingWrite{what, write})
	if !iv.retrying {
		iv.retrying = true
		go iv.retryPending()
	}
}

// retryPending retries the kept writes, oldest first, backing off while
// the store fails, until none is left or lambdadeck closes.
func (iv *Invoker) retryPending() {
	backoff := storeRetryMin
	for {
		select {
		case <-iv.done:
			iv.pendingMu.Lock()
			iv.retrying = false
			iv.pendingMu.Unlock()
			return
		case <-time.After(backoff):
		}
		if iv.flushPending() {
			return
		}
		backoff = min(2*backoff, storeRetryMax)
	}
}

// flushPending tries the kept writes in order, stopping at the first that
// fails. It reports true when none is left (and the retry loop ended).
func (iv *Invoker) flushPending() bool {
	iv.flushMu.Lock() // the retry loop and Close never pop the same write
	defer iv.flushMu.Unlock()
	ctx := context.Background()
	for {
		iv.pendingMu.Lock()
		if len(iv.pending) == 0 {
			iv.retrying = false
			iv.pendingErr = nil
			iv.pendingMu.Unlock()
			return true
		}
		w := iv.pending[0]
		iv.pendingMu.Unlock()
		err := w.write(ctx)
		if err != nil && lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
			iv.pendingMu.Lock()
			iv.pendingErr = err
			iv.pendingMu.Unlock()
			return false
		}
		if err != nil {
			iv.log.Error("write refused", "what", w.what, "err", err)
		} else {
			iv.log.Info("the store took a kept write", "what", w.what)
		}
		iv.pendingMu.Lock()
		iv.pending = iv.pending[1:]
		iv.pendingMu.Unlock()
	}
}

// flushOnClose is Close's last try; what still fails is lost, and logged.
func (iv *Invoker) flushOnClose() {
	iv.pendingMu.Lock()
	n := len(iv.pending)
	iv.pendingMu.Unlock()
	if n == 0 {
		return
	}
	if !iv.flushPending() {
		iv.pendingMu.Lock()
		for _, w := range iv.pending {
			iv.log.Error("lambdadeck is stopping and the store still fails: a write is lost", "what", w.what, "err", iv.pendingErr)
		}
		iv.pendingMu.Unlock()
	}
}
