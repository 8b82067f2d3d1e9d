package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Group commit. BeginInvocation and FinishInvocation hand their row to one
// writer goroutine, which writes every row waiting at that moment in one
// transaction and releases each caller once that transaction has
// committed: so an invocation is still stored before its event is
// delivered and before its answer is sent, but sixteen concurrent
// invocations cost one commit (one WAL append of the touched pages)
// instead of sixteen. The writer never waits for more rows to come: a
// lone caller's row is written at once, and rows arriving meanwhile form
// the next batch.

// maxWriteBatch bounds one transaction, so that other writers (fixtures,
// the async queue, the indexers) get the connection between batches.
const maxWriteBatch = 256

// writeOp is one row waiting for the writer.
type writeOp struct {
	insert    bool
	args      []any
	requestID string
	// Results, set by the writer before done is closed.
	id   int64 // the new row's id (insert)
	err  error
	done chan struct{}
}

type groupWriter struct {
	ops     chan *writeOp
	mu      sync.RWMutex // held (read) while sending; Close takes it to stop sends
	closed  bool
	stopped chan struct{} // closed when the writer goroutine has returned
	quit    chan struct{}
}

func (db *DB) startWriter() {
	db.writer = &groupWriter{
		ops:     make(chan *writeOp, maxWriteBatch),
		stopped: make(chan struct{}),
		quit:    make(chan struct{}),
	}
	go db.writeLoop()
}

// submit hands op to the writer and waits until its batch has committed
// (or failed).
func (db *DB) submit(op *writeOp) error {
	w := db.writer
	op.done = make(chan struct{})
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errors.New("store: the database is closed")
	}
	w.ops <- op
	w.mu.RUnlock()
	<-op.done
	return op.err
}

// stopWriter lets the writer finish every row already handed to it, then
// stops it; later submits fail.
func (db *DB) stopWriter() {
	w := db.writer
	if w == nil {
		return
	}
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.quit)
	}
	w.mu.Unlock()
	<-w.stopped
}

func (db *DB) writeLoop() {
	w := db.writer
	defer close(w.stopped)
	batch := make([]*writeOp, 0, maxWriteBatch)
	for {
		var first *writeOp
		select {
		case first = <-w.ops:
		case <-w.quit:
			// No send can start any more (closed is set under the lock
			// every sender holds): what is in the channel is all there is.
			for {
				select {
				case op := <-w.ops:
					db.commitBatch([]*writeOp{op})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxWriteBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break more
			}
		}
		db.commitBatch(batch)
		db.wakeSearchIndexer()
	}
}

// commitBatch writes ops in one transaction. A row refused on its own (a
// duplicate request id, an unknown one) fails alone: SQLite undoes only
// that statement. Any other failure, and a failed commit, fails the whole
// batch, whose rows are then not stored.
func (db *DB) commitBatch(ops []*writeOp) {
	ctx := context.Background()
	fail := func(err error) {
		for _, op := range ops {
			op.err = err
			close(op.done)
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	insert := tx.StmtContext(ctx, db.insertInvocation)
	update := tx.StmtContext(ctx, db.finishInvocation)
	own := make([]error, len(ops))
	for i, op := range ops {
		if op.insert {
			res, err := insert.ExecContext(ctx, op.args...)
			if isUniqueViolation(err) {
				own[i] = errDuplicate
				continue
			} else if err != nil {
				tx.Rollback()
				fail(err)
				return
			}
			if op.id, err = res.LastInsertId(); err != nil {
				tx.Rollback()
				fail(err)
				return
			}
			continue
		}
		res, err := update.ExecContext(ctx, op.args...)
		if err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		n, err := res.RowsAffected()
		if err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		if n == 0 {
			own[i] = errUnknownRow
		}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, op := range ops {
		op.err = own[i]
		close(op.done)
	}
}

// The writer's per-row refusals, turned into lambdadeck errors by the
// callers, which know the request id.
var (
	errDuplicate  = errors.New("duplicate request id")
	errUnknownRow = errors.New("no such request id")
)

// Search indexing. The history's text search (migration 0005) reads an FTS5
// index; maintaining it inside the invocation's own transaction tokenized
// up to 64 KiB of event on the caller's path and wrote a new FTS segment
// per commit. Since migration 0019 the row's transaction only queues its
// id in invocation_search_queue (durable with the row), and the indexer
// below fills the index from that queue in the background, a few hundred
// rows a transaction, about searchIndexDelay after a write. A search first
// indexes whatever is still queued (flushSearchIndex), so it never misses
// a recorded invocation; after a crash the queue is still there and Open
// indexes it.

// searchIndexDelay is how long the indexer lets rows gather before it
// indexes them: one index transaction per batch of rows rather than per row.
const searchIndexDelay = 50 * time.Millisecond

// searchIndexBatch bounds one index transaction.
const searchIndexBatch = 500

type searchIndexer struct {
	wake    chan struct{}
	quit    chan struct{}
	stopped chan struct{}
	stop    sync.Once
	mu      sync.Mutex // one indexing pass at a time
}

func (db *DB) startSearchIndexer() {
	db.indexer = &searchIndexer{wake: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	go db.indexLoop()
	db.wakeSearchIndexer() // rows queued before a crash
}

func (db *DB) wakeSearchIndexer() {
	if db.indexer == nil {
		return
	}
	select {
	case db.indexer.wake <- struct{}{}:
	default:
	}
}

func (db *DB) indexLoop() {
	ix := db.indexer
	defer close(ix.stopped)
	for {
		select {
		case <-ix.quit:
			return
		case <-ix.wake:
		}
		select {
		case <-ix.quit:
			return
		case <-time.After(searchIndexDelay):
		}
		// A failure leaves the rows queued: the next write wakes the
		// indexer again, and a search indexes them itself.
		_, _ = db.IndexSearch(context.Background())
	}
}

// stopSearchIndexer stops the background indexer and indexes what is
// still queued, so that a database closed cleanly has nothing queued.
func (db *DB) stopSearchIndexer() {
	ix := db.indexer
	if ix == nil {
		return
	}
	ix.stop.Do(func() {
		close(ix.quit)
		<-ix.stopped
		_, _ = db.IndexSearch(context.Background())
	})
}

// IndexSearch adds every invocation queued for the search index (recorded
// or changed since the last pass) to it, and returns how many it indexed.
func (db *DB) IndexSearch(ctx context.Context) (int, error) {
	if db.indexer != nil {
		db.indexer.mu.Lock()
		defer db.indexer.mu.Unlock()
	}
	total := 0
	for {
		n, err := db.indexSearchBatch(ctx)
		total += n
		if err != nil || n < searchIndexBatch {
			return total, err
		}
	}
}

// The queued ids of one pass, oldest first; the transaction's write lock
// keeps the queue still between its two statements.
const queuedForSearch = `SELECT invocation_id FROM invocation_search_queue ORDER BY invocation_id LIMIT ?`

func (db *DB) indexSearchBatch(ctx context.Context) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: index search: %w", err)
	}
	defer tx.Rollback()
	// A queued id whose row is gone (deleted meanwhile) indexes nothing;
	// the row's delete trigger removed its index entry.
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO invocation_search (rowid, request_id, error_message, event)
		SELECT id, lower(request_id), lower(error_message), lower(substr(event, 1, 65536))
		FROM invocations WHERE id IN (`+queuedForSearch+`)`, searchIndexBatch); err != nil {
		return 0, fmt.Errorf("store: index search: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM invocation_search_queue WHERE invocation_id IN (`+queuedForSearch+`)`, searchIndexBatch)
	if err != nil {
		return 0, fmt.Errorf("store: index search: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: index search: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: index search: %w", err)
	}
	return int(n), nil
}

// flushSearchIndex indexes what is still queued before a search reads the
// index: one small read when nothing is.
func (db *DB) flushSearchIndex(ctx context.Context) error {
	var queued bool
	if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM invocation_search_queue)`).Scan(&queued); err != nil {
		return fmt.Errorf("store: search queue: %w", err)
	}
	if !queued {
		return nil
	}
	_, err := db.IndexSearch(ctx)
	return err
}
