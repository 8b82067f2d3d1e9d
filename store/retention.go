package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Retention bounds the invocation history. Zero fields set no bound; all
// set bounds apply (an invocation goes when it is beyond any of them).
// Pinned invocations, each fixture's latest run and invocations not yet
// finished are always kept.
type Retention struct {
	MaxAge         time.Duration // --keep 30d: invocations that started longer ago go
	MaxInvocations int           // --keep-invocations 1000000: the oldest beyond that many go
	MaxBytes       int64         // --keep-bytes 5GB: the oldest go until the database uses no more
}

// IsZero reports whether r sets no bound.
func (r Retention) IsZero() bool { return r == Retention{} }

// String is r in the flags' syntax, "no limit" when zero.
func (r Retention) String() string {
	var parts []string
	if r.MaxAge > 0 {
		parts = append(parts, "keep "+FormatAge(r.MaxAge))
	}
	if r.MaxInvocations > 0 {
		parts = append(parts, "keep "+strconv.Itoa(r.MaxInvocations)+" invocations")
	}
	if r.MaxBytes > 0 {
		parts = append(parts, "keep "+FormatBytes(r.MaxBytes))
	}
	if len(parts) == 0 {
		return "no limit"
	}
	return strings.Join(parts, ", ")
}

// ParseAge reads an age such as 30d, 12h, 90m or 2w (days, hours,
// minutes, weeks; also anything time.ParseDuration reads). Empty or "0" is
// no limit; a negative or malformed age is EINVALID.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	bad := lambdadeck.Errorf(lambdadeck.EINVALID, "age %q: use a number and a unit, such as 30d, 12h, 90m or 2w", s)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || n <= 0 || math.IsInf(n, 0) || n*float64(u) > math.MaxInt64/2 {
			return 0, bad
		}
		return time.Duration(n * float64(u)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, bad
	}
	return d, nil
}

// FormatAge writes d as ParseAge reads it, in whole days when it is some.
func FormatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}

// ParseCount reads a number of invocations: digits, with optional _ or ,
// separators, or a k/M suffix (1000000, 1_000_000, 1M, 250k). Empty or "0"
// is no limit.
func ParseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	bad := lambdadeck.Errorf(lambdadeck.EINVALID, "invocation count %q: use a whole number such as 1000000, 1_000_000 or 1M", s)
	mult := 1
	switch s[len(s)-1] {
	case 'k', 'K':
		mult, s = 1000, s[:len(s)-1]
	case 'm', 'M':
		mult, s = 1_000_000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(strings.NewReplacer("_", "", ",", "").Replace(s))
	if err != nil || n <= 0 || n > math.MaxInt32 {
		return 0, bad
	}
	return n * mult, nil
}

// byteUnits are the sizes ParseBytes reads: decimal (KB, MB, GB, TB, as
// disks are sold) and binary (KiB, MiB, GiB, TiB).
var byteUnits = []struct {
	suffix string
	n      int64
}{
	{"tib", 1 << 40}, {"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"tb", 1e12}, {"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"b", 1},
}

// ParseBytes reads a size such as 5GB, 500MB, 2GiB or 1.5GB. Empty or "0"
// is no limit; a size without a unit, or under 1 MB, is EINVALID (a
// database is never that small).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" || t == "0" {
		return 0, nil
	}
	bad := lambdadeck.Errorf(lambdadeck.EINVALID, "size %q: use a number and a unit, such as 5GB, 500MB or 2GiB", s)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) || f*float64(u.n) > 1<<62 {
				return 0, bad
			}
			n := int64(f * float64(u.n))
			if n < 1e6 {
				return 0, lambdadeck.Errorf(lambdadeck.EINVALID, "size %q is under 1 MB, smaller than an empty database: use at least 1MB", s)
			}
			return n, nil
		}
	}
	return 0, bad
}

// FormatBytes writes n in the largest decimal unit it has at least one of.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if n >= u.n {
			return strconv.FormatFloat(float64(n)/float64(u.n), 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// The settings keys of the retention limits.
const (
	settingKeep            = "keep"
	settingKeepInvocations = "keep_invocations"
	settingKeepBytes       = "keep_bytes"
)

// StoredRetention returns the retention limits saved on the dashboard
// (SetStoredRetention); zero fields where none is saved.
func (db *DB) StoredRetention(ctx context.Context) (Retention, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?)`,
		settingKeep, settingKeepInvocations, settingKeepBytes)
	if err != nil {
		return Retention{}, fmt.Errorf("store: read settings: %w", err)
	}
	defer rows.Close()
	var r Retention
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return Retention{}, fmt.Errorf("store: read settings: %w", err)
		}
		// Values were checked when saved; a value that no longer parses
		// (edited by hand) sets no limit rather than stopping retention.
		switch key {
		case settingKeep:
			r.MaxAge, _ = ParseAge(value)
		case settingKeepInvocations:
			r.MaxInvocations, _ = ParseCount(value)
		case settingKeepBytes:
			r.MaxBytes, _ = ParseBytes(value)
		}
	}
	return r, rows.Err()
}

// SetStoredRetention saves r's limits as the dashboard's; a zero field
// removes that limit.
func (db *DB) SetStoredRetention(ctx context.Context, r Retention) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save settings: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	for _, kv := range []struct {
		key, value string
		set        bool
	}{
		{settingKeep, FormatAge(r.MaxAge), r.MaxAge > 0},
		{settingKeepInvocations, strconv.Itoa(r.MaxInvocations), r.MaxInvocations > 0},
		{settingKeepBytes, strconv.FormatInt(r.MaxBytes, 10) + "B", r.MaxBytes > 0},
	} {
		if kv.set {
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, kv.key, kv.value, now)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, kv.key)
		}
		if err != nil {
			return fmt.Errorf("store: save settings: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save settings: %w", err)
	}
	return nil
}

// EffectiveRetention is flags where they set a limit, else the dashboard's
// saved limit: a command-line flag wins over the settings page, limit by
// limit.
func (db *DB) EffectiveRetention(ctx context.Context, flags Retention) (Retention, error) {
	stored, err := db.StoredRetention(ctx)
	if err != nil {
		return Retention{}, err
	}
	if flags.MaxAge > 0 {
		stored.MaxAge = flags.MaxAge
	}
	if flags.MaxInvocations > 0 {
		stored.MaxInvocations = flags.MaxInvocations
	}
	if flags.MaxBytes > 0 {
		stored.MaxBytes = flags.MaxBytes
	}
	return stored, nil
}

// PinInvocation pins (or with pinned false unpins) the invocation with
// the request id: retention keeps a pinned one. An unknown id is
// ENOTFOUND.
func (db *DB) PinInvocation(ctx context.Context, requestID string, pinned bool) error {
	var res sql.Result
	var err error
	if pinned {
		res, err = db.write.ExecContext(ctx, `INSERT INTO invocation_pins (invocation_id, pinned_at)
			SELECT id, ? FROM invocations WHERE request_id = ? ON CONFLICT DO NOTHING`, time.Now().UnixMicro(), requestID)
	} else {
		res, err = db.write.ExecContext(ctx, `DELETE FROM invocation_pins
			WHERE invocation_id = (SELECT id FROM invocations WHERE request_id = ?)`, requestID)
	}
	if err != nil {
		return fmt.Errorf("store: pin %s: %w", requestID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Nothing changed: already so, or no such invocation.
		var one int
		if err := db.read.QueryRowContext(ctx, `SELECT 1 FROM invocations WHERE request_id = ?`, requestID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return notFound(requestID)
		} else if err != nil {
			return fmt.Errorf("store: pin %s: %w", requestID, err)
		}
	}
	return nil
}

// Pinned reports whether the invocation with the request id is pinned.
func (db *DB) Pinned(ctx context.Context, requestID string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocation_pins
		WHERE invocation_id = (SELECT id FROM invocations WHERE request_id = ?)`, requestID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: pinned %s: %w", requestID, err)
	}
	return n > 0, nil
}

// PruneResult says what one Prune removed.
type PruneResult struct {
	Deleted        int
	PagesReclaimed int64 // file pages given back by the incremental vacuum
}

// keptSQL is the condition on an invocation row i that retention keeps it
// whatever its age: pinned, the latest run of a fixture, or not finished.
const keptSQL = `(i.status IN ('running', 'queued')
	OR i.id IN (SELECT invocation_id FROM invocation_pins)
	OR i.id IN (SELECT max(id) FROM invocations WHERE fixture_id IS NOT NULL GROUP BY fixture_id))`

// Prune batch sizes: a batch is one transaction, sized so that it holds the
// write connection for about pruneBatchTarget; an invocation's write
// waits for it at most that long.
const (
	pruneBatchMin    = 10
	pruneBatchMax    = 500
	pruneBatchTarget = 20 * time.Millisecond
	pruneYield       = 5 * time.Millisecond // between batches, for waiting writers
)

// Prune deletes the invocations beyond r's limits, oldest first, in small
// transactions with a pause between them, so that invocations keep being
// recorded meanwhile. Deleting an invocation deletes what other tables
// keep about it (expectation verdicts, attempts, HTTP exchanges, error
// filings, its search index entry). Then it gives the freed pages back to
// the file system (incremental vacuum) and checkpoints the WAL, so the
// file shrinks. A zero r deletes nothing.
//
// The byte limit is met by estimate: the history keeps the share of its
// newest rows that fits (rows' sizes taken as even), then measures again,
// up to three rounds.
func (db *DB) Prune(ctx context.Context, r Retention) (PruneResult, error) {
	p := pruner{db: db, batch: 100}
	if r.MaxAge > 0 {
		if err := p.deleteOldest(ctx, time.Now().Add(-r.MaxAge).UnixMicro(), -1); err != nil {
			return p.result(), err
		}
	}
	if r.MaxInvocations > 0 {
		n, err := db.countAll(ctx)
		if err != nil {
			return p.result(), err
		}
		if excess := n - r.MaxInvocations; excess > 0 {
			if err := p.deleteOldest(ctx, math.MaxInt64, excess); err != nil {
				return p.result(), err
			}
		}
	}
	if p.deleted > 0 {
		if err := p.reclaim(ctx); err != nil {
			return p.result(), err
		}
	}
	for round := 0; r.MaxBytes > 0 && round < 3; round++ {
		used, err := db.usedBytes(ctx)
		if err != nil || used <= r.MaxBytes {
			return p.result(), err
		}
		n, err := db.countAll(ctx)
		if err != nil || n == 0 {
			return p.result(), err
		}
		keep := int(float64(n) * float64(r.MaxBytes) / float64(used) * 0.95)
		before := p.deleted
		if err := p.deleteOldest(ctx, math.MaxInt64, n-keep); err != nil {
			return p.result(), err
		}
		if p.deleted == before {
			break // what is left is kept
		}
		if err := p.reclaim(ctx); err != nil {
			return p.result(), err
		}
	}
	return p.result(), nil
}

// pruner is one Prune's progress: its adaptive batch size and counts.
type pruner struct {
	db       *DB
	batch    int
	deleted  int
	reclaims int64
}

func (p *pruner) result() PruneResult {
	return PruneResult{Deleted: p.deleted, PagesReclaimed: p.reclaims}
}

func (db *DB) countAll(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocations`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return n, nil
}

// deleteOldest deletes, oldest first, up to limit (-1: any number) of the
// invocations that started before cutoff (unix µs) and that retention does
// not keep, a batch per transaction. A batch is sized to hold the write
// connection for about pruneBatchTarget, and a pause follows each.
func (p *pruner) deleteOldest(ctx context.Context, cutoff int64, limit int) error {
	for done := 0; limit < 0 || done < limit; {
		n := p.batch
		if limit >= 0 {
			n = min(n, limit-done)
		}
		ids, err := p.db.pruneCandidates(ctx, cutoff, n)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		start := time.Now()
		p.db.rows.invalidate()
		err = p.db.deleteInvocations(ctx, ids)
		p.db.rows.invalidate()
		if err != nil {
			return err
		}
		done += len(ids)
		p.deleted += len(ids)
		switch took := time.Since(start); {
		case took > pruneBatchTarget && p.batch > pruneBatchMin:
			p.batch = max(pruneBatchMin, p.batch/2)
		case took < pruneBatchTarget/2 && p.batch < pruneBatchMax:
			p.batch = min(pruneBatchMax, p.batch*2)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pruneYield):
		}
	}
	return nil
}

func (p *pruner) reclaim(ctx context.Context) error {
	n, err := p.db.reclaim(ctx)
	p.reclaims += n
	return err
}

// pruneCandidates returns up to limit ids of the oldest invocations that
// started before cutoff (unix µs) and that retention does not keep.
func (db *DB) pruneCandidates(ctx context.Context, cutoff int64, limit int) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT i.id FROM invocations AS i
		WHERE i.started_at < ? AND NOT `+keptSQL+` ORDER BY i.started_at, i.id LIMIT ?`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("store: prune: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: prune: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// deleteInvocations deletes the rows with the given ids in one
// transaction; the schema's cascades and triggers delete what hangs off
// them.
func (db *DB) deleteInvocations(ctx context.Context, ids []int64) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `DELETE FROM invocations WHERE id = ? AND status NOT IN ('running', 'queued')`)
	if err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	defer stmt.Close()
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("store: prune: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	return nil
}

// reclaimStep is how many free pages one incremental_vacuum statement
// gives back (4 MB of 4 KiB pages): each is a short write.
const reclaimStep = 1000

// reclaim gives the free pages back to the file system, a step at a time,
// and checkpoints the WAL so the database file itself shrinks. With
// auto_vacuum off (a database created before lambdadeck set it, too large
// to convert at Open) it does nothing: the free pages are reused by later
// writes instead.
func (db *DB) reclaim(ctx context.Context) (int64, error) {
	var mode int
	if err := db.write.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return 0, fmt.Errorf("store: reclaim: %w", err)
	}
	if err := db.mergeSearchIndex(ctx); err != nil {
		return 0, err
	}
	if mode != autoVacuumIncremental {
		return 0, nil
	}
	var total int64
	for {
		var free int64
		if err := db.write.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return total, fmt.Errorf("store: reclaim: %w", err)
		}
		if free == 0 {
			break
		}
		step := min(free, reclaimStep)
		if _, err := db.write.ExecContext(ctx, `PRAGMA incremental_vacuum(`+strconv.FormatInt(step, 10)+`)`); err != nil {
			return total, fmt.Errorf("store: reclaim: %w", err)
		}
		total += step
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(pruneYield):
		}
	}
	// A checkpoint copies the shrunk database into the file and truncates
	// it; readers in the middle of a read may hold it back (it then
	// happens at a later checkpoint).
	if _, err := db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return total, fmt.Errorf("store: reclaim: %w", err)
	}
	return total, nil
}

// searchMergeSteps bounds the merge work of one reclaim: each step is one
// short write of a few hundred index pages.
const searchMergeSteps = 200

// mergeSearchIndex merges the full-text index's segments a step at a
// time: a deleted row leaves a deletion marker in the index, and only
// merging drops the marker and the entries it cancels, which frees their
// pages.
func (db *DB) mergeSearchIndex(ctx context.Context) error {
	for range searchMergeSteps {
		var before, after int64
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: merge search index: %w", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO invocation_search (invocation_search, rank) VALUES ('merge', -200)`)
		}
		if err == nil {
			err = tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return fmt.Errorf("store: merge search index: %w", err)
		}
		if after-before <= 1 { // the merge found nothing to do
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pruneYield):
		}
	}
	return nil
}

// usedBytes is the size of the database's pages in use: the file's pages
// less the free ones (retention's byte limit counts what the history
// takes, not free space waiting to be reclaimed).
func (db *DB) usedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	if err := db.read.QueryRowContext(ctx, `SELECT page_count, freelist_count, page_size
		FROM pragma_page_count, pragma_freelist_count, pragma_page_size`).Scan(&pages, &free, &size); err != nil {
		return 0, fmt.Errorf("store: database size: %w", err)
	}
	return (pages - free) * size, nil
}

// autoVacuumIncremental is PRAGMA auto_vacuum's value for INCREMENTAL.
const autoVacuumIncremental = 2

// maxConvertBytes is the largest database Open converts to incremental
// auto-vacuum: converting rewrites the whole file (VACUUM) while holding
// the write lock, a few seconds at this size.
const maxConvertBytes = 256 << 20

// setAutoVacuum makes the database reclaim space incrementally: a new or
// existing one is converted by a VACUUM at Open when it
// is under maxConvertBytes. A larger one is left as it is (its freed pages
// are reused, and the file does not shrink); DatabaseInfo reports it.
func setAutoVacuum(ctx context.Context, write *sql.DB, path string) error {
	var mode int
	if err := write.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return fmt.Errorf("store: auto_vacuum: %w", err)
	}
	if mode == autoVacuumIncremental {
		return nil
	}
	// Switching WAL on has written the file's first page already, so even
	// a new database takes the setting only through a VACUUM (instant
	// while it is empty).
	if _, err := write.ExecContext(ctx, `PRAGMA auto_vacuum = INCREMENTAL`); err != nil {
		return fmt.Errorf("store: auto_vacuum: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() > maxConvertBytes {
		return nil
	}
	if _, err := write.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("store: convert to incremental auto_vacuum: %w", err)
	}
	return nil
}

// DatabaseInfo is what /healthz and the dashboard show of the database.
type DatabaseInfo struct {
	FileBytes int64 // the database file
	WALBytes  int64 // its write-ahead log
	// OldestAt is when the oldest kept invocation started; zero with none.
	OldestAt time.Time
	// Reclaims says whether freed space goes back to the file system
	// (incremental auto-vacuum); false for a large database created before
	// lambdadeck set it, until someone runs VACUUM on it once.
	Reclaims bool
}

// Info returns the database's size and oldest invocation.
func (db *DB) Info(ctx context.Context) (DatabaseInfo, error) {
	var info DatabaseInfo
	if st, err := os.Stat(db.path); err == nil {
		info.FileBytes = st.Size()
	}
	if st, err := os.Stat(db.path + "-wal"); err == nil {
		info.WALBytes = st.Size()
	}
	oldest, ok, err := db.OldestInvocation(ctx, "")
	if err != nil {
		return info, err
	}
	if ok {
		info.OldestAt = oldest
	}
	var mode int
	if err := db.read.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return info, fmt.Errorf("store: database info: %w", err)
	}
	info.Reclaims = mode == autoVacuumIncremental
	return info, nil
}
