package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lambdadeck/lambdadeck"
)

// Limits of one page of ListInvocations.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// typicalDurationSample is how many of a function's latest finished
// invocations FunctionStats takes the median duration of.
const typicalDurationSample = 50

// The columns of an invocation row, in the order the statements bind and
// scan them.
const invocationColumns = `request_id, function, source, user_agent, fixture_id,
	event, context, client_context, identity, env_overrides,
	payload, content_type, error_type, error_message, error_stack,
	logs, logs_truncated, status, cold,
	init_duration_us, duration_us, billed_duration_us,
	memory_size_mb, max_memory_used_mb, out_of_memory,
	started_at, ended_at, chunks`

// The statements that write a row are built from the columns rowArgs binds
// (invocationColumns, then versionColumns), so that a new column is one
// line there (and its value in invocationArgs, its field in
// scanInvocation).
var (
	writtenColumns        = invocationColumns + ", " + versionColumns
	invocationColumnNames = splitColumns(writtenColumns)

	insertInvocationSQL = `INSERT INTO invocations (` + writtenColumns + `)
	VALUES (` + strings.Repeat("?, ", len(invocationColumnNames)-1) + `?)`

	// updateInvocationSQL sets every column but id from the invocation,
	// found by its request id (the first argument, bound again as the last).
	updateInvocationSQL = `UPDATE invocations SET ` + setList(invocationColumnNames) + ` WHERE request_id = ?`

	// finishInvocationSQL sets every column but the ones that identify an
	// invocation and never change once it began (beginColumns): leaving
	// them out of the SET list spares SQLite rewriting the entries of every
	// index on them (started_at, function, source, request_id).
	finishColumnIndexes = finishColumns()
	finishInvocationSQL = `UPDATE invocations SET ` + setList(pick(invocationColumnNames, finishColumnIndexes)) + ` WHERE request_id = ?`
)

// beginColumns are written by BeginInvocation only: the indexed columns
// that identify an invocation.
var beginColumns = map[string]bool{"request_id": true, "function": true, "source": true, "started_at": true}

func splitColumns(list string) []string {
	var names []string
	for _, c := range strings.Split(list, ",") {
		names = append(names, strings.TrimSpace(c))
	}
	return names
}

func setList(names []string) string {
	return strings.Join(names, " = ?, ") + " = ?"
}

func finishColumns() []int {
	var idx []int
	for i, name := range invocationColumnNames {
		if !beginColumns[name] {
			idx = append(idx, i)
		}
	}
	return idx
}

// pick returns the elements of s at the indexes idx, in that order.
func pick[T any](s []T, idx []int) []T {
	out := make([]T, len(idx), len(idx)+1)
	for i, j := range idx {
		out[i] = s[j]
	}
	return out
}

var selectInvocationSQL = `SELECT id, ` + invocationColumns + ` FROM invocations WHERE request_id = ?`

// summaryColumns are what lists show: no event, payload, logs or context,
// which can be megabytes each.
const summaryColumns = `id, request_id, function, source, fixture_id,
	error_type, error_message, status, cold,
	init_duration_us, duration_us, billed_duration_us,
	memory_size_mb, max_memory_used_mb, out_of_memory,
	started_at, ended_at`

// BeginInvocation records inv before its event is delivered and sets inv.ID.
// The status is running unless inv says queued (an async invocation); a zero
// StartedAt becomes now. A request id already recorded is ECONFLICT.
func (db *DB) BeginInvocation(ctx context.Context, inv *lambdadeck.Invocation) (err error) {
	defer func() { db.health.note(err) }()
	if inv.Status == "" {
		inv.Status = lambdadeck.StatusRunning
	}
	if inv.StartedAt.IsZero() {
		inv.StartedAt = time.Now()
	}
	args, err := db.rowArgs(ctx, inv)
	if err != nil {
		return err
	}
	op := &writeOp{insert: true, args: args, requestID: inv.RequestID}
	err = db.submit(op)
	if errors.Is(err, errDuplicate) {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "an invocation with request id %q already exists", inv.RequestID)
	} else if err != nil {
		return fmt.Errorf("store: begin invocation %s: %w", inv.RequestID, err)
	}
	inv.ID = op.id
	return nil
}

// FinishInvocation writes inv's outcome and final status (every field but
// those BeginInvocation wrote that identify the invocation: its request
// id, function, source and start time) to the invocation with its request
// id. It also moves a queued invocation to running. An unknown request id
// is ENOTFOUND.
func (db *DB) FinishInvocation(ctx context.Context, inv *lambdadeck.Invocation) (err error) {
	defer func() { db.health.note(err) }()
	args, err := db.rowArgs(ctx, inv)
	if err != nil {
		return err
	}
	err = db.submit(&writeOp{args: append(pick(args, finishColumnIndexes), inv.RequestID), requestID: inv.RequestID})
	if errors.Is(err, errUnknownRow) {
		return notFound(inv.RequestID)
	} else if err != nil {
		return fmt.Errorf("store: finish invocation %s: %w", inv.RequestID, err)
	}
	return nil
}

// Invocation returns the whole recorded invocation with the given request
// id; an unknown one is ENOTFOUND.
func (db *DB) Invocation(ctx context.Context, requestID string) (*lambdadeck.Invocation, error) {
	inv, err := scanInvocation(db.selectInvocation.QueryRowContext(ctx, requestID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(requestID)
	} else if err != nil {
		return nil, fmt.Errorf("store: invocation %s: %w", requestID, err)
	}
	if err := db.attachRelated(ctx, []*lambdadeck.Invocation{inv}, true); err != nil {
		return nil, err
	}
	return inv, nil
}

// attachRelated fills what other tables keep about invocations: the
// expectation verdicts, the Event attempts they belong to and their HTTP
// exchanges (whole ones when detail is set, as one invocation's page shows
// them).
func (db *DB) attachRelated(ctx context.Context, items []*lambdadeck.Invocation, detail bool) error {
	if err := db.attachExpectationResults(ctx, items); err != nil {
		return err
	}
	if err := db.attachAttempts(ctx, items); err != nil {
		return err
	}
	if err := db.attachImports(ctx, items); err != nil {
		return err
	}
	if detail {
		if err := db.attachVersions(ctx, items); err != nil {
			return err
		}
	}
	return db.attachHTTP(ctx, items, detail)
}

func notFound(requestID string) error {
	return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no invocation with request id %q", requestID)
}

// InvocationFilter selects invocations for ListInvocations and
// CountInvocations. Empty fields select everything.
type InvocationFilter struct {
	Function string
	Status   string // one of lambdadeck.Statuses
	Source   string
	// Query matches a substring of the request id, the error message or the
	// event text, ignoring ASCII case (as SQL LIKE does). A query of three
	// characters or more is answered by a trigram index, which holds only
	// the first 65,536 characters of each event: text further into an event
	// is not found. Shorter queries scan every event whole.
	Query string
	// ErrorGroup selects the failures filed under one error group
	// (ErrorGroups); 0 for any.
	ErrorGroup int64
	// Pinned selects the invocations a user pinned (PinInvocation).
	Pinned bool
	// From and To select invocations that started at or after From and
	// before To; zero times leave that end open.
	From, To time.Time
	// Code selects invocations of one code version, by its
	// lambdadeck.CodeVersion.Key.
	Code string
	// Before is the cursor of the page to return: InvocationPage.Next of
	// the previous page. Empty for the first page.
	Before string
	// Limit is the page size: DefaultListLimit when zero, at most
	// MaxListLimit.
	Limit int
}

// InvocationPage is one page of invocations, newest first.
type InvocationPage struct {
	// Items carry summary fields only: no event, context, payload, logs or
	// error stack. Fetch one with Invocation for those.
	Items []lambdadeck.Invocation
	// Next is the cursor of the following page (InvocationFilter.Before);
	// empty on the last page.
	Next string
}

// ListInvocations returns one page of invocations matching f, newest first
// (by start time, then row id; a text search of three characters or more
// newest recorded first, see search.go). Pages are cut by a cursor, not an offset,
// so a page costs the same however deep it is and rows recorded meanwhile
// do not shift it. A malformed cursor or an unknown status is EINVALID.
func (db *DB) ListInvocations(ctx context.Context, f InvocationFilter) (InvocationPage, error) {
	limit := f.Limit
	switch {
	case limit < 0:
		return InvocationPage{}, lambdadeck.Errorf(lambdadeck.EINVALID, "limit must not be negative")
	case limit == 0:
		limit = DefaultListLimit
	case limit > MaxListLimit:
		limit = MaxListLimit
	}
	if err := db.flushSearchFor(ctx, f); err != nil {
		return InvocationPage{}, err
	}
	if indexedSearch(f) {
		return db.listSearch(ctx, f, limit)
	}
	where, args, err := filterClause(f, true)
	if err != nil {
		return InvocationPage{}, err
	}
	query := `SELECT ` + summaryColumns + ` FROM invocations` + where +
		` ORDER BY started_at DESC, id DESC LIMIT ?`
	// One row more than the page tells whether another page follows.
	rows, err := db.read.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return InvocationPage{}, fmt.Errorf("store: list invocations: %w", err)
	}
	defer rows.Close()

	page := InvocationPage{Items: make([]lambdadeck.Invocation, 0, min(limit, 64))}
	for rows.Next() {
		inv, err := scanSummary(rows)
		if err != nil {
			return InvocationPage{}, fmt.Errorf("store: list invocations: %w", err)
		}
		page.Items = append(page.Items, inv)
	}
	if err := rows.Err(); err != nil {
		return InvocationPage{}, fmt.Errorf("store: list invocations: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(last.StartedAt.UnixMicro(), last.ID)
	}
	items := make([]*lambdadeck.Invocation, len(page.Items))
	for i := range page.Items {
		items[i] = &page.Items[i]
	}
	if err := db.attachRelated(ctx, items, false); err != nil {
		return InvocationPage{}, err
	}
	return page, nil
}

// CountInvocations returns how many invocations match f; its cursor and
// limit are ignored.
func (db *DB) CountInvocations(ctx context.Context, f InvocationFilter) (int, error) {
	if err := db.flushSearchFor(ctx, f); err != nil {
		return 0, err
	}
	where, args, err := filterClause(f, false)
	if err != nil {
		return 0, err
	}
	if where == "" {
		return db.countAllRows(ctx)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocations`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count invocations: %w", err)
	}
	return n, nil
}

// filterClause builds the WHERE clause (with a leading space, or empty) and
// its arguments for f, from fixed fragments only. withCursor adds f.Before.
func filterClause(f InvocationFilter, withCursor bool) (string, []any, error) {
	var conds []string
	var args []any
	if f.Function != "" {
		conds = append(conds, `function = ?`)
		args = append(args, f.Function)
	}
	if f.Status != "" {
		if !lambdadeck.Status(f.Status).Valid() {
			return "", nil, lambdadeck.Errorf(lambdadeck.EINVALID, "unknown status %q", f.Status)
		}
		conds = append(conds, `status = ?`)
		args = append(args, f.Status)
	}
	if f.Source != "" {
		conds = append(conds, `source = ?`)
		args = append(args, f.Source)
	}
	if f.ErrorGroup != 0 {
		conds = append(conds, `id IN (SELECT invocation_id FROM invocation_errors WHERE group_id = ?)`)
		args = append(args, f.ErrorGroup)
	}
	if f.Pinned {
		conds = append(conds, `id IN (SELECT invocation_id FROM invocation_pins)`)
	}
	if !f.From.IsZero() {
		conds = append(conds, `started_at >= ?`)
		args = append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		conds = append(conds, `started_at < ?`)
		args = append(args, f.To.UnixMicro())
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if utf8.RuneCountInString(q) >= minSearchTermRunes {
			// The trigram index (migration 0005) holds the searched text
			// with ASCII lower-cased, as lower() and LIKE fold it, so it
			// matches exactly what the LIKE below would. The unary + keeps
			// the planner from driving the query by the matches, which would
			// fetch and sort every matching row: it walks the order's index
			// instead and looks each id up in the matches, so a query that
			// matches everything costs one page.
			conds = append(conds, `+id IN (SELECT rowid FROM invocation_search WHERE invocation_search MATCH lower(?))`)
			args = append(args, searchPhrase(q))
		} else {
			pattern := "%" + escapeLike(q) + "%"
			conds = append(conds, `(request_id LIKE ? ESCAPE '\' OR error_message LIKE ? ESCAPE '\' OR event LIKE ? ESCAPE '\')`)
			args = append(args, pattern, pattern, pattern)
		}
	}
	if f.Code != "" {
		conds = append(conds, `code_version_id IN (SELECT id FROM code_versions WHERE key = ?)`)
		args = append(args, f.Code)
	}
	if withCursor && f.Before != "" {
		startedAt, id, err := decodeCursor(f.Before)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `(started_at, id) < (?, ?)`)
		args = append(args, startedAt, id)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args, nil
}

// flushSearchFor indexes the rows still queued for the search index
// (writer.go) before a query that reads the index.
func (db *DB) flushSearchFor(ctx context.Context, f InvocationFilter) error {
	if utf8.RuneCountInString(strings.TrimSpace(f.Query)) < minSearchTermRunes {
		return nil
	}
	return db.flushSearchIndex(ctx)
}

// minSearchTermRunes is the shortest query the trigram index can answer:
// shorter ones have no trigram and scan every event instead.
const minSearchTermRunes = 3

// searchPhrase quotes q as one FTS5 phrase, so that the index reads it as
// literal text rather than query syntax (AND, NEAR, *, column filters...).
// With the trigram tokenizer a phrase matches wherever q is a substring.
func searchPhrase(q string) string {
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

// escapeLike escapes the LIKE wildcards in s, with \ as the escape
// character, so s matches only itself.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// encodeCursor makes the opaque cursor of the position after the row with
// the given start time (unix µs) and id.
func encodeCursor(startedAt, id int64) string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte(strconv.FormatInt(startedAt, 10) + "." + strconv.FormatInt(id, 10)))
}

// decodeCursor reverses encodeCursor; anything else is EINVALID.
func decodeCursor(cursor string) (startedAt, id int64, err error) {
	malformed := lambdadeck.Errorf(lambdadeck.EINVALID, "malformed page cursor %q", cursor)
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, 0, malformed
	}
	startedText, idText, ok := strings.Cut(string(raw), ".")
	if !ok {
		return 0, 0, malformed
	}
	if startedAt, err = strconv.ParseInt(startedText, 10, 64); err != nil {
		return 0, 0, malformed
	}
	if id, err = strconv.ParseInt(idText, 10, 64); err != nil || id <= 0 {
		return 0, 0, malformed
	}
	return startedAt, id, nil
}

// FunctionStats summarises the recorded invocations of one function.
type FunctionStats struct {
	Count         int
	LastStatus    lambdadeck.Status
	LastAt        time.Time // when the latest invocation started
	LastRequestID string
	// TypicalDuration is the median duration of the function's latest 50
	// invocations that ran to an end (succeeded, failed, timed out or
	// crashed); zero if there are none.
	TypicalDuration time.Duration
}

// The statuses of invocations whose duration was measured to their end.
const endedStatuses = `('succeeded', 'failed', 'timed_out', 'crashed')`

// functionCountsSQL counts each function's invocations (from the function
// index alone) and joins its latest one.
const functionCountsSQL = `SELECT c.function, c.n, l.status, l.started_at, l.request_id
	FROM (SELECT function, count(*) AS n FROM invocations GROUP BY function) AS c
	JOIN invocations AS l ON l.id = (
		SELECT id FROM invocations WHERE function = c.function
		ORDER BY started_at DESC, id DESC LIMIT 1)`

// recentDurationsSQL returns the durations of each function's latest ended
// invocations, walking the function index newest first.
const recentDurationsSQL = `SELECT f.function, i.duration_us
	FROM (SELECT DISTINCT function FROM invocations) AS f
	JOIN invocations AS i ON i.id IN (
		SELECT id FROM invocations
		WHERE function = f.function AND status IN ` + endedStatuses + `
		ORDER BY started_at DESC, id DESC LIMIT ?)`

// FunctionStats returns the statistics of every function with at least one
// recorded invocation, by function name, in two queries.
func (db *DB) FunctionStats(ctx context.Context) (map[string]FunctionStats, error) {
	stats := make(map[string]FunctionStats)
	rows, err := db.read.QueryContext(ctx, functionCountsSQL)
	if err != nil {
		return nil, fmt.Errorf("store: function stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, status, requestID string
		var count int
		var startedAt int64
		if err := rows.Scan(&name, &count, &status, &startedAt, &requestID); err != nil {
			return nil, fmt.Errorf("store: function stats: %w", err)
		}
		stats[name] = FunctionStats{
			Count:         count,
			LastStatus:    lambdadeck.Status(status),
			LastAt:        fromMicros(startedAt),
			LastRequestID: requestID,
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: function stats: %w", err)
	}
	rows.Close()

	durations := make(map[string][]int64)
	rows, err = db.read.QueryContext(ctx, recentDurationsSQL, typicalDurationSample)
	if err != nil {
		return nil, fmt.Errorf("store: function durations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var us int64
		if err := rows.Scan(&name, &us); err != nil {
			return nil, fmt.Errorf("store: function durations: %w", err)
		}
		durations[name] = append(durations[name], us)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: function durations: %w", err)
	}
	for name, us := range durations {
		s := stats[name]
		s.TypicalDuration = median(us)
		stats[name] = s
	}
	return stats, nil
}

// median returns the median of durations in microseconds (the mean of the
// middle two for an even count), as a time.Duration.
func median(us []int64) time.Duration {
	if len(us) == 0 {
		return 0
	}
	slices.Sort(us)
	mid := len(us) / 2
	m := us[mid]
	if len(us)%2 == 0 {
		m = (us[mid-1] + us[mid]) / 2
	}
	return time.Duration(m) * time.Microsecond
}

// invocationArgs returns the values of inv in invocationColumns order,
// after checking the fields the schema relies on.
func invocationArgs(inv *lambdadeck.Invocation) ([]any, error) {
	if inv.RequestID == "" {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation has no request id")
	}
	if inv.Function == "" {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %s has no function", inv.RequestID)
	}
	if !inv.Status.Valid() {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %s has unknown status %q", inv.RequestID, inv.Status)
	}
	var env any
	if inv.EnvOverrides != nil {
		b, err := json.Marshal(inv.EnvOverrides)
		if err != nil {
			return nil, fmt.Errorf("store: encode env overrides: %w", err)
		}
		env = string(b)
	}
	var errorType, errorMessage, errorStack any
	if e := inv.Error; e != nil {
		errorType, errorMessage = e.Type, e.Message
		if e.Stack != nil {
			b, err := json.Marshal(e.Stack)
			if err != nil {
				return nil, fmt.Errorf("store: encode error stack: %w", err)
			}
			errorStack = string(b)
		}
	}
	var fixtureID any
	if inv.FixtureID != 0 {
		fixtureID = inv.FixtureID
	}
	var payload any
	if inv.Payload != nil {
		payload = inv.Payload
	}
	var endedAt any
	if !inv.EndedAt.IsZero() {
		endedAt = inv.EndedAt.UnixMicro()
	}
	var chunks any
	if inv.Chunks != nil {
		b, err := json.Marshal(inv.Chunks)
		if err != nil {
			return nil, fmt.Errorf("store: encode chunks: %w", err)
		}
		chunks = string(b)
	}
	return []any{
		inv.RequestID, inv.Function, string(inv.Source), inv.UserAgent, fixtureID,
		nullText(inv.Event), nullText(inv.Context), nullText(inv.ClientContext), nullText(inv.Identity), env,
		payload, inv.ContentType, errorType, errorMessage, errorStack,
		inv.Logs, inv.LogsTruncated, string(inv.Status), inv.Cold,
		inv.InitDuration.Microseconds(), inv.Duration.Microseconds(), inv.BilledDuration.Microseconds(),
		inv.MemorySizeMB, inv.MaxMemoryUsedMB, inv.OutOfMemory,
		inv.StartedAt.UnixMicro(), endedAt, chunks,
	}, nil
}

// nullText binds b as TEXT, or NULL when it is nil.
func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// scanInvocation reads a row of selectInvocationSQL, and into extra any
// columns that follow those.
func scanInvocation(row *sql.Row, extra ...any) (*lambdadeck.Invocation, error) {
	var (
		inv                                    lambdadeck.Invocation
		source, status                         string
		fixtureID, endedAt                     sql.NullInt64
		event, invContext, clientCtx, identity []byte
		env, errorType, errorMessage, stack    sql.NullString
		chunks                                 sql.NullString
		initUS, durationUS, billedUS, startUS  int64
	)
	err := row.Scan(append([]any{&inv.ID,
		&inv.RequestID, &inv.Function, &source, &inv.UserAgent, &fixtureID,
		&event, &invContext, &clientCtx, &identity, &env,
		&inv.Payload, &inv.ContentType, &errorType, &errorMessage, &stack,
		&inv.Logs, &inv.LogsTruncated, &status, &inv.Cold,
		&initUS, &durationUS, &billedUS,
		&inv.MemorySizeMB, &inv.MaxMemoryUsedMB, &inv.OutOfMemory,
		&startUS, &endedAt, &chunks}, extra...)...)
	if err != nil {
		return nil, err
	}
	if chunks.Valid {
		if err := json.Unmarshal([]byte(chunks.String), &inv.Chunks); err != nil {
			return nil, fmt.Errorf("decode chunks: %w", err)
		}
	}
	inv.Source, inv.Status = lambdadeck.Source(source), lambdadeck.Status(status)
	inv.FixtureID = fixtureID.Int64
	inv.Event, inv.Context, inv.ClientContext, inv.Identity = event, invContext, clientCtx, identity
	if env.Valid {
		if err := json.Unmarshal([]byte(env.String), &inv.EnvOverrides); err != nil {
			return nil, fmt.Errorf("decode env overrides: %w", err)
		}
	}
	if errorType.Valid {
		inv.Error = &lambdadeck.FunctionError{Type: errorType.String, Message: errorMessage.String}
		if stack.Valid {
			if err := json.Unmarshal([]byte(stack.String), &inv.Error.Stack); err != nil {
				return nil, fmt.Errorf("decode error stack: %w", err)
			}
		}
	}
	inv.InitDuration = time.Duration(initUS) * time.Microsecond
	inv.Duration = time.Duration(durationUS) * time.Microsecond
	inv.BilledDuration = time.Duration(billedUS) * time.Microsecond
	inv.StartedAt = fromMicros(startUS)
	if endedAt.Valid {
		inv.EndedAt = fromMicros(endedAt.Int64)
	}
	return &inv, nil
}

// scanSummary reads a row of summaryColumns.
func scanSummary(rows *sql.Rows) (lambdadeck.Invocation, error) {
	var (
		inv                                   lambdadeck.Invocation
		source, status                        string
		fixtureID, endedAt                    sql.NullInt64
		errorType, errorMessage               sql.NullString
		initUS, durationUS, billedUS, startUS int64
	)
	err := rows.Scan(&inv.ID, &inv.RequestID, &inv.Function, &source, &fixtureID,
		&errorType, &errorMessage, &status, &inv.Cold,
		&initUS, &durationUS, &billedUS,
		&inv.MemorySizeMB, &inv.MaxMemoryUsedMB, &inv.OutOfMemory,
		&startUS, &endedAt)
	if err != nil {
		return inv, err
	}
	inv.Source, inv.Status = lambdadeck.Source(source), lambdadeck.Status(status)
	inv.FixtureID = fixtureID.Int64
	if errorType.Valid {
		inv.Error = &lambdadeck.FunctionError{Type: errorType.String, Message: errorMessage.String}
	}
	inv.InitDuration = time.Duration(initUS) * time.Microsecond
	inv.Duration = time.Duration(durationUS) * time.Microsecond
	inv.BilledDuration = time.Duration(billedUS) * time.Microsecond
	inv.StartedAt = fromMicros(startUS)
	if endedAt.Valid {
		inv.EndedAt = fromMicros(endedAt.Int64)
	}
	return inv, nil
}

// fromMicros converts stored unix microseconds to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// isUniqueViolation reports whether err is SQLite refusing a duplicate key.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) &&
		(e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
