package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// Masks of NormalizeErrorMessage, in the order they apply: a uuid before
// the hex and numbers inside it, quoted text before the numbers in it.
var (
	uuidPattern   = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	quotedPattern = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	hexPrefixed   = regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b`)
	hexRun        = regexp.MustCompile(`(?i)\b[0-9a-f]*[0-9][0-9a-f]*\b`)
	numberPattern = regexp.MustCompile(`\d+(?:\.\d+)?`)
	spacePattern  = regexp.MustCompile(`\s+`)
)

// maxFingerprintRunes bounds a normalised message: two messages alike in
// their first 300 characters are one group.
const maxFingerprintRunes = 300

// NormalizeErrorMessage masks what varies between two occurrences of one
// error: uuids become <uuid>, quoted values "…" '…' `…` become "<str>",
// hexadecimal (0x1f, or a run of hex digits of 8 or more with a digit in
// it, such as a request id's parts) <hex>, and every other number <n>.
// Runs of white space become one space, and the result is cut to 300
// characters.
func NormalizeErrorMessage(msg string) string {
	s := uuidPattern.ReplaceAllString(msg, "<uuid>")
	s = quotedPattern.ReplaceAllString(s, `"<str>"`)
	s = hexPrefixed.ReplaceAllString(s, "<hex>")
	s = hexRun.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) >= 8 && strings.ContainsAny(strings.ToLower(m), "abcdef") {
			return "<hex>"
		}
		return m // decimal digits alone: a number, masked next
	})
	s = numberPattern.ReplaceAllString(s, "<n>")
	s = strings.TrimSpace(spacePattern.ReplaceAllString(s, " "))
	if utf8.RuneCountInString(s) > maxFingerprintRunes {
		s = string([]rune(s)[:maxFingerprintRunes]) + "…"
	}
	return s
}

// errorIndexBatch is how many invocations one transaction of the error
// indexer files: small, so an invocation's write waits for it briefly.
const errorIndexBatch = 500

// IndexErrors files the failures recorded since its last call under their
// error groups (error_groups, invocation_errors), in short transactions of
// a few hundred rows, and returns how many invocations it read. Rows not
// finished yet are remembered and filed once they finish. It stops after
// limit rows (0: no limit), so a caller on a request path bounds its cost.
func (db *DB) IndexErrors(ctx context.Context, limit int) (int, error) {
	read := 0
	// Asked on the read pool first: nothing new costs no write
	// transaction (which waits for the write connection).
	var work bool
	if err := db.read.QueryRowContext(ctx, `SELECT coalesce((SELECT max(id) FROM invocations), -1) >= (SELECT next_id FROM error_index_state)
		OR EXISTS (SELECT 1 FROM error_index_pending)`).Scan(&work); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	if !work {
		return 0, nil
	}
	// Rows that were still running when last read.
	n, err := db.indexPending(ctx)
	if err != nil {
		return read, err
	}
	read += n
	for limit <= 0 || read < limit {
		n, err := db.indexErrorBatch(ctx)
		if err != nil {
			return read, err
		}
		if n == 0 {
			break
		}
		read += n
	}
	return read, nil
}

// failureRow is what the indexer reads of an invocation.
type failureRow struct {
	id                  int64
	function, status    string
	errorType, errorMsg sql.NullString
	startedAt           int64
	codeVersionID       sql.NullInt64
}

// indexErrorBatch files the next batch of invocations after the
// watermark, in one transaction, and returns how many it read.
func (db *DB) indexErrorBatch(ctx context.Context) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	defer tx.Rollback()
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT next_id FROM error_index_state WHERE id = 1`).Scan(&next); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, function, status, error_type, error_message, started_at, code_version_id
		FROM invocations WHERE id >= ? ORDER BY id LIMIT ?`, next, errorIndexBatch)
	if err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	var batch []failureRow
	for rows.Next() {
		var r failureRow
		if err := rows.Scan(&r.id, &r.function, &r.status, &r.errorType, &r.errorMsg, &r.startedAt, &r.codeVersionID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: index errors: %w", err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	for _, r := range batch {
		if !lambdadeck.Status(r.status).Finished() {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO error_index_pending (invocation_id) VALUES (?)`, r.id); err != nil {
				return 0, fmt.Errorf("store: index errors: %w", err)
			}
			continue
		}
		if err := fileFailure(ctx, tx, r); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE error_index_state SET next_id = ? WHERE id = 1`, batch[len(batch)-1].id+1); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	return len(batch), nil
}

// indexPending files the pending rows that have finished since.
func (db *DB) indexPending(ctx context.Context) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT i.id, i.function, i.status, i.error_type, i.error_message, i.started_at, i.code_version_id
		FROM error_index_pending AS p JOIN invocations AS i ON i.id = p.invocation_id
		WHERE i.status NOT IN ('running', 'queued') LIMIT ?`, errorIndexBatch)
	if err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	var batch []failureRow
	for rows.Next() {
		var r failureRow
		if err := rows.Scan(&r.id, &r.function, &r.status, &r.errorType, &r.errorMsg, &r.startedAt, &r.codeVersionID); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: index errors: %w", err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	for _, r := range batch {
		if err := fileFailure(ctx, tx, r); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM error_index_pending WHERE invocation_id = ?`, r.id); err != nil {
			return 0, fmt.Errorf("store: index errors: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: index errors: %w", err)
	}
	return len(batch), nil
}

// fileFailure files one finished invocation under its group if it failed.
func fileFailure(ctx context.Context, tx *sql.Tx, r failureRow) error {
	if !r.errorType.Valid {
		return nil
	}
	fingerprint := NormalizeErrorMessage(r.errorMsg.String)
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO error_groups (function, error_type, fingerprint) VALUES (?, ?, ?)`,
		r.function, r.errorType.String, fingerprint); err != nil {
		return fmt.Errorf("store: index errors: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO invocation_errors (invocation_id, group_id, started_at, code_version_id)
		SELECT ?, id, ?, ? FROM error_groups WHERE function = ? AND error_type = ? AND fingerprint = ?`,
		r.id, r.startedAt, r.codeVersionID, r.function, r.errorType.String, fingerprint); err != nil {
		return fmt.Errorf("store: index errors: %w", err)
	}
	return nil
}

// ErrorGroup is the failures of one function with one error type and one
// normalised message.
type ErrorGroup struct {
	ID          int64
	Function    string
	ErrorType   string
	Fingerprint string // the normalised message
	Count       int
	FirstSeen   time.Time
	LastSeen    time.Time
	// Latest is the newest failure of the group: its request id and its
	// message as it was.
	LatestRequestID string
	LatestMessage   string
	// CodeVersions are the keys (lambdadeck.CodeVersion.Key) of the code
	// versions the group's failures ran, the latest last; empty when none
	// recorded one.
	CodeVersions []string
	// StoppedAfter is set when the function has run a newer code version
	// since the group's latest failure, and the group has not happened in
	// it: that version's key.
	StoppedAfter string
}

// errorGroupsSQL sums each group from the (group_id, started_at) index and
// joins its latest failure.
const errorGroupsSQL = `SELECT g.id, g.function, g.error_type, g.fingerprint, s.n, s.first, s.last,
		i.request_id, coalesce(i.error_message, '')
	FROM (SELECT group_id, count(*) AS n, min(started_at) AS first, max(started_at) AS last
		FROM invocation_errors GROUP BY group_id) AS s
	JOIN error_groups AS g ON g.id = s.group_id
	JOIN invocations AS i ON i.id = (
		SELECT invocation_id FROM invocation_errors WHERE group_id = s.group_id ORDER BY started_at DESC LIMIT 1)
	ORDER BY s.last DESC, g.id DESC`

// ErrorGroups returns the error groups of function (every function when
// empty), the most recently seen first. It reads what IndexErrors filed.
func (db *DB) ErrorGroups(ctx context.Context, function string) ([]ErrorGroup, error) {
	// Two fixed queries rather than "? = '' OR function = ?", which the
	// planner cannot simplify for a bound value (it read every group's
	// latest invocation row in full: 0.7 s at 50,000 rows).
	query, args := errorGroupsSQL, []any{}
	if function != "" {
		query = strings.Replace(errorGroupsSQL, "\tORDER BY s.last", "\tWHERE g.function = ?\n\tORDER BY s.last", 1)
		args = append(args, function)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: error groups: %w", err)
	}
	defer rows.Close()
	var groups []ErrorGroup
	for rows.Next() {
		var g ErrorGroup
		var first, last int64
		if err := rows.Scan(&g.ID, &g.Function, &g.ErrorType, &g.Fingerprint, &g.Count, &first, &last,
			&g.LatestRequestID, &g.LatestMessage); err != nil {
			return nil, fmt.Errorf("store: error groups: %w", err)
		}
		g.FirstSeen, g.LastSeen = fromMicros(first), fromMicros(last)
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: error groups: %w", err)
	}
	rows.Close()
	if err := db.attachGroupVersions(ctx, groups); err != nil {
		return nil, err
	}
	return groups, nil
}

// groupVersionsSQL lists each group's code versions, each with its latest
// failure, from the filings alone.
const groupVersionsSQL = `SELECT e.group_id, v.key, max(e.started_at) AS last
	FROM invocation_errors AS e JOIN code_versions AS v ON v.id = e.code_version_id
	GROUP BY e.group_id, v.id ORDER BY e.group_id, last`

// latestVersionSQL is the code version of a function's newest invocation
// and when it started.
const latestVersionSQL = `SELECT v.key, i.started_at FROM invocations AS i JOIN code_versions AS v ON v.id = i.code_version_id
	WHERE i.id = (SELECT id FROM invocations WHERE function = ? ORDER BY started_at DESC, id DESC LIMIT 1)`

// attachGroupVersions fills the groups' CodeVersions and StoppedAfter.
func (db *DB) attachGroupVersions(ctx context.Context, groups []ErrorGroup) error {
	if len(groups) == 0 {
		return nil
	}
	byID := make(map[int64]*ErrorGroup, len(groups))
	for i := range groups {
		byID[groups[i].ID] = &groups[i]
	}
	rows, err := db.read.QueryContext(ctx, groupVersionsSQL)
	if err != nil {
		return fmt.Errorf("store: error group versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, last int64
		var key string
		if err := rows.Scan(&id, &key, &last); err != nil {
			return fmt.Errorf("store: error group versions: %w", err)
		}
		if g := byID[id]; g != nil {
			g.CodeVersions = append(g.CodeVersions, key)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: error group versions: %w", err)
	}
	rows.Close()
	type latest struct {
		key string
		at  int64
		ok  bool
	}
	current := make(map[string]latest)
	for i := range groups {
		g := &groups[i]
		if len(g.CodeVersions) == 0 {
			continue
		}
		cur, seen := current[g.Function]
		if !seen {
			err := db.read.QueryRowContext(ctx, latestVersionSQL, g.Function).Scan(&cur.key, &cur.at)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: latest code version of %s: %w", g.Function, err)
			}
			cur.ok = err == nil
			current[g.Function] = cur
		}
		if cur.ok && fromMicros(cur.at).After(g.LastSeen) && !slices.Contains(g.CodeVersions, cur.key) {
			g.StoppedAfter = cur.key
		}
	}
	return nil
}

// ErrorGroupByID returns one group's identity (no counts); an unknown id is
// ENOTFOUND.
func (db *DB) ErrorGroupByID(ctx context.Context, id int64) (ErrorGroup, error) {
	g := ErrorGroup{ID: id}
	err := db.read.QueryRowContext(ctx, `SELECT function, error_type, fingerprint FROM error_groups WHERE id = ?`, id).
		Scan(&g.Function, &g.ErrorType, &g.Fingerprint)
	if err == sql.ErrNoRows {
		return g, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no error group %d", id)
	} else if err != nil {
		return g, fmt.Errorf("store: error group %d: %w", id, err)
	}
	return g, nil
}
