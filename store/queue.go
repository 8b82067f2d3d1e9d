package store

// The durable queue of Event invocations (migration 0006). The invoker's
// dispatcher (invoker/async.go) drives it: EnqueueEvent when an event is
// accepted, DueEvents and ClaimEvent to start an attempt, RetryEvent or
// FinishEvent once the attempt has ended.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/lambdadeck/lambdadeck"
)

// EnqueueEvent stores an accepted Event invocation: its queue entry and its
// first attempt's invocation row (status queued, inv.Async set by the
// caller), in one transaction. When it returns nil the event is durable.
func (db *DB) EnqueueEvent(ctx context.Context, inv *lambdadeck.Invocation) (err error) {
	defer func() { db.health.note(err) }()
	if inv.Async == nil || inv.Async.EventID != inv.RequestID {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %s is not the first attempt of an event", inv.RequestID)
	}
	inv.Status = lambdadeck.StatusQueued
	if inv.StartedAt.IsZero() {
		inv.StartedAt = time.Now()
	}
	args, err := db.rowArgs(ctx, inv)
	if err != nil {
		return err
	}
	env, err := encodeEnv(inv.EnvOverrides)
	if err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	defer tx.Rollback()
	res, err := tx.StmtContext(ctx, db.insertInvocation).ExecContext(ctx, args...)
	if isUniqueViolation(err) {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "an invocation with request id %q already exists", inv.RequestID)
	} else if err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	var fixtureID any
	if inv.FixtureID != 0 {
		fixtureID = inv.FixtureID
	}
	at := inv.StartedAt.UnixMicro()
	if _, err := tx.ExecContext(ctx, `INSERT INTO async_events
		(request_id, function, state, accepted_at, next_at, source, user_agent, fixture_id, identity, env_overrides, event)
		VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.RequestID, inv.Function, at, at, string(inv.Source), inv.UserAgent, fixtureID,
		nullText(inv.Identity), env, string(inv.Event)); err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO invocation_attempts (invocation_id, event_id, attempt, max_attempts)
		VALUES (?, ?, ?, ?)`, id, inv.RequestID, inv.Async.Attempt, inv.Async.MaxAttempts); err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: enqueue event %s: %w", inv.RequestID, err)
	}
	inv.ID = id
	return nil
}

// DueEvents returns up to limit of function's queued events whose time has
// come, the earliest due first.
func (db *DB) DueEvents(ctx context.Context, function string, now time.Time, limit int) ([]lambdadeck.QueuedEvent, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT request_id, function, accepted_at, next_at, dispatches, failures,
		current_request_id, source, user_agent, fixture_id, identity, env_overrides, event
		FROM async_events WHERE function = ? AND state = 'queued' AND next_at <= ?
		ORDER BY next_at, id LIMIT ?`, function, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due events: %w", err)
	}
	defer rows.Close()
	var out []lambdadeck.QueuedEvent
	for rows.Next() {
		var (
			ev                     lambdadeck.QueuedEvent
			accepted, next         int64
			current, env, identity sql.NullString
			fixtureID              sql.NullInt64
			source, event          string
		)
		if err := rows.Scan(&ev.RequestID, &ev.Function, &accepted, &next, &ev.Dispatches, &ev.Failures,
			&current, &source, &ev.UserAgent, &fixtureID, &identity, &env, &event); err != nil {
			return nil, fmt.Errorf("store: due events: %w", err)
		}
		ev.AcceptedAt, ev.NextAt = fromMicros(accepted), fromMicros(next)
		ev.CurrentRequestID, ev.Source, ev.FixtureID = current.String, lambdadeck.Source(source), fixtureID.Int64
		ev.Event = json.RawMessage(event)
		if identity.Valid {
			ev.Identity = json.RawMessage(identity.String)
		}
		if env.Valid {
			if err := json.Unmarshal([]byte(env.String), &ev.Env); err != nil {
				return nil, fmt.Errorf("store: due events: decode env overrides: %w", err)
			}
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due events: %w", err)
	}
	return out, nil
}

// NextDue returns when the earliest queued event of any of the functions
// becomes due; ok is false when none is queued.
func (db *DB) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var next sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT min(next_at) FROM async_events WHERE state = 'queued'`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next due event: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(next.Int64), true, nil
}

// ClaimEvent marks ev dispatched and records attempt (status running, its
// Async set) in one transaction, so an attempt runs only once it is in the
// history. The first attempt (attempt.RequestID == ev.RequestID) updates the
// row EnqueueEvent wrote; later ones add a row. An event another dispatcher
// took meanwhile is ECONFLICT.
func (db *DB) ClaimEvent(ctx context.Context, ev lambdadeck.QueuedEvent, attempt *lambdadeck.Invocation) (err error) {
	defer func() { db.health.note(err) }()
	if attempt.Async == nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %s is not an attempt of an event", attempt.RequestID)
	}
	args, err := db.rowArgs(ctx, attempt)
	if err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE async_events SET state = 'dispatched', dispatches = dispatches + 1, current_request_id = ?
		WHERE request_id = ? AND state = 'queued' AND dispatches = ?`, attempt.RequestID, ev.RequestID, ev.Dispatches)
	if err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	} else if n == 0 {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "event %s is no longer queued", ev.RequestID)
	}
	n := int64(0)
	if attempt.RequestID == ev.RequestID {
		res, err := tx.StmtContext(ctx, db.updateInvocation).ExecContext(ctx, append(args, attempt.RequestID)...)
		if err != nil {
			return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
		}
	}
	if n == 0 { // a later attempt, or the first one's row was purged
		if _, err := tx.StmtContext(ctx, db.insertInvocation).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
		}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM invocations WHERE request_id = ?`, attempt.RequestID).Scan(&id); err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO invocation_attempts (invocation_id, event_id, attempt, max_attempts, note)
		VALUES (?, ?, ?, ?, '') ON CONFLICT (invocation_id) DO UPDATE SET attempt = excluded.attempt, max_attempts = excluded.max_attempts`,
		id, ev.RequestID, attempt.Async.Attempt, attempt.Async.MaxAttempts); err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: claim event %s: %w", ev.RequestID, err)
	}
	attempt.ID = id
	return nil
}

// RetryEvent puts a dispatched event back in the queue, due at next;
// failed counts the attempt that just ended as a function error (a throttle
// or an interruption does not count). note goes on that attempt's row.
func (db *DB) RetryEvent(ctx context.Context, eventID, attemptRequestID string, next time.Time, failed bool, note string) (err error) {
	defer func() { db.health.note(err) }()
	inc := 0
	if failed {
		inc = 1
	}
	return db.moveEvent(ctx, eventID, attemptRequestID, note,
		`UPDATE async_events SET state = 'queued', next_at = ?, failures = failures + ? WHERE request_id = ? AND state <> 'done'`,
		next.UnixMicro(), inc, eventID)
}

// FinishEvent takes an event out of the queue for good, with the condition
// Lambda's invocation record names; note goes on the latest attempt's row
// (attemptRequestID; empty when the event never ran).
func (db *DB) FinishEvent(ctx context.Context, eventID, attemptRequestID, condition, note string) (err error) {
	defer func() { db.health.note(err) }()
	return db.moveEvent(ctx, eventID, attemptRequestID, note,
		`UPDATE async_events SET state = 'done', condition = ?, done_at = ? WHERE request_id = ?`,
		condition, time.Now().UnixMicro(), eventID)
}

func (db *DB) moveEvent(ctx context.Context, eventID, attemptRequestID, note, query string, args ...any) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", eventID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: event %s: %w", eventID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: event %s: %w", eventID, err)
	} else if n == 0 {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no queued event with request id %q", eventID)
	}
	if attemptRequestID != "" && note != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE invocation_attempts SET note = ?
			WHERE invocation_id = (SELECT id FROM invocations WHERE request_id = ?)`, note, attemptRequestID); err != nil {
			return fmt.Errorf("store: event %s: %w", eventID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: event %s: %w", eventID, err)
	}
	return nil
}

// QueueStat is the state of one function's async queue.
type QueueStat struct {
	Depth  int       // events accepted and not finished (queued or running)
	Oldest time.Time // when the oldest of them was accepted
}

// QueueStats returns the queue of every function with unfinished events.
func (db *DB) QueueStats(ctx context.Context) (map[string]QueueStat, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT function, count(*), min(accepted_at) FROM async_events
		WHERE state <> 'done' GROUP BY function`)
	if err != nil {
		return nil, fmt.Errorf("store: queue stats: %w", err)
	}
	defer rows.Close()
	stats := map[string]QueueStat{}
	for rows.Next() {
		var name string
		var n int
		var oldest int64
		if err := rows.Scan(&name, &n, &oldest); err != nil {
			return nil, fmt.Errorf("store: queue stats: %w", err)
		}
		stats[name] = QueueStat{Depth: n, Oldest: fromMicros(oldest)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue stats: %w", err)
	}
	return stats, nil
}

// QueuedEventState is where one event stands in the queue.
type QueuedEventState struct {
	State      string // queued, dispatched or done
	Condition  string // once done: Success, RetriesExhausted or EventAgeExceeded
	Dispatches int
	Failures   int
}

// EventState returns the queue state of the event with the given request
// id; an unknown one is ENOTFOUND.
func (db *DB) EventState(ctx context.Context, eventID string) (QueuedEventState, error) {
	var s QueuedEventState
	err := db.read.QueryRowContext(ctx, `SELECT state, condition, dispatches, failures FROM async_events WHERE request_id = ?`,
		eventID).Scan(&s.State, &s.Condition, &s.Dispatches, &s.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return s, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no queued event with request id %q", eventID)
	} else if err != nil {
		return s, fmt.Errorf("store: event %s: %w", eventID, err)
	}
	return s, nil
}

// AttemptRef is one attempt of an event, for the permalink's list.
type AttemptRef struct {
	RequestID string
	Attempt   int
	Status    lambdadeck.Status
}

// EventAttempts lists the recorded attempts of the event, in order.
func (db *DB) EventAttempts(ctx context.Context, eventID string) ([]AttemptRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT i.request_id, a.attempt, i.status
		FROM invocation_attempts AS a JOIN invocations AS i ON i.id = a.invocation_id
		WHERE a.event_id = ? ORDER BY a.attempt, i.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: attempts of %s: %w", eventID, err)
	}
	defer rows.Close()
	var out []AttemptRef
	for rows.Next() {
		var r AttemptRef
		var status string
		if err := rows.Scan(&r.RequestID, &r.Attempt, &status); err != nil {
			return nil, fmt.Errorf("store: attempts of %s: %w", eventID, err)
		}
		r.Status = lambdadeck.Status(status)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: attempts of %s: %w", eventID, err)
	}
	return out, nil
}

// attachAttempts fills the Async of the invocations that are attempts of
// an event, in one query.
func (db *DB) attachAttempts(ctx context.Context, invs []*lambdadeck.Invocation) error {
	if len(invs) == 0 {
		return nil
	}
	byID := make(map[int64]*lambdadeck.Invocation, len(invs))
	ids := make([]int64, 0, len(invs))
	for _, inv := range invs {
		byID[inv.ID] = inv
		ids = append(ids, inv.ID)
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("store: attempts: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT invocation_id, event_id, attempt, max_attempts, note
		FROM invocation_attempts WHERE invocation_id IN (SELECT value FROM json_each(?))`, string(idList))
	if err != nil {
		return fmt.Errorf("store: attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a lambdadeck.AsyncAttempt
		if err := rows.Scan(&id, &a.EventID, &a.Attempt, &a.MaxAttempts, &a.Note); err != nil {
			return fmt.Errorf("store: attempts: %w", err)
		}
		byID[id].Async = &a
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: attempts: %w", err)
	}
	return nil
}

// recoverQueue runs at Open when no other process has the database open:
// events left dispatched by a process that died go back to the queue, due
// now, and the first attempts of events that never ran, which
// recoverInterrupted has just marked interrupted, are queued again. It
// returns how many of those rows it set back to queued. A database whose
// schema predates the queue (a test's partial migrations) has nothing to do.
func recoverQueue(ctx context.Context, write *sql.DB) (int, error) {
	var tables int
	if err := write.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'async_events'`).Scan(&tables); err != nil {
		return 0, fmt.Errorf("store: recover the async queue: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	if _, err := write.ExecContext(ctx, `UPDATE async_events SET state = 'queued', next_at = ? WHERE state = 'dispatched'`,
		time.Now().UnixMicro()); err != nil {
		return 0, fmt.Errorf("store: recover the async queue: %w", err)
	}
	res, err := write.ExecContext(ctx, `UPDATE invocations SET status = 'queued' WHERE status = 'interrupted'
		AND request_id IN (SELECT request_id FROM async_events WHERE state = 'queued' AND dispatches = 0)`)
	if err != nil {
		return 0, fmt.Errorf("store: recover the async queue: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: recover the async queue: %w", err)
	}
	return int(n), nil
}

func encodeEnv(env map[string]string) (any, error) {
	if env == nil {
		return nil, nil
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("store: encode env overrides: %w", err)
	}
	return string(b), nil
}

// writeHealth remembers the failure of the latest write of an invocation or
// of the queue, until a write succeeds again.
type writeHealth struct {
	mu    sync.Mutex
	err   error
	since time.Time
}

// note records the outcome of a write. Refusals with a code (a duplicate
// id, an unknown one, bad input) are answers, not store failures.
func (h *writeHealth) note(err error) {
	var le *lambdadeck.Error
	if errors.As(err, &le) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.err = nil
		return
	}
	if h.err == nil {
		h.since = time.Now().UTC()
	}
	h.err = err
}

// WriteFailure reports since when writes of invocations or of the async
// queue have been failing, and why the latest failed; a nil reason once a
// write has succeeded again.
func (db *DB) WriteFailure() (since time.Time, reason error) {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	if db.health.err == nil {
		return time.Time{}, nil
	}
	return db.health.since, errors.New(Describe(db.health.err))
}

// Describe says in a few words what went wrong with the database in err:
// SQLite's own message ("database or disk is full", "database is locked")
// when err comes from SQLite, else err's text.
func Describe(err error) string {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// ProbeWrite checks whether the store takes writes again after a failure:
// it commits a real write (64 KiB into store_probe, removed in the same
// transaction), which needs the write lock and room in the file as an
// invocation's row does. A success clears WriteFailure. It does nothing
// while writes are not failing.
func (db *DB) ProbeWrite(ctx context.Context) (err error) {
	if _, reason := db.WriteFailure(); reason == nil {
		return nil
	}
	defer func() { db.health.note(err) }()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: probe write: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO store_probe (data) VALUES (zeroblob(65536))`); err != nil {
		return fmt.Errorf("store: probe write: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM store_probe`); err != nil {
		return fmt.Errorf("store: probe write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: probe write: %w", err)
	}
	return nil
}
