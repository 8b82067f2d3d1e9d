package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// A text search of three characters or more is answered from the trigram
// index (migration 0005) newest match first, a chunk of matching row ids
// at a time, LIMIT first: a word found in most events costs one small
// chunk, not the millions of matches the index holds. The other filters
// are applied to each chunk's rows. The index orders matches by row id,
// which is the order invocations were recorded in, so a search lists its
// matches newest recorded first (an imported invocation, recorded here
// later than it ran, sorts by when it was imported).

// Search chunks grow from the first to the largest; a page stops looking
// after searchScanLimit candidates and offers the next page from there.
const (
	searchFirstChunk = 200
	searchMaxChunk   = 5000
	searchScanLimit  = 50_000
)

// indexedSearch reports whether f's text query is answered by the index.
func indexedSearch(f InvocationFilter) bool {
	return utf8.RuneCountInString(strings.TrimSpace(f.Query)) >= minSearchTermRunes
}

// otherFilters is f's conditions but the text query and cursor, as SQL
// to follow a WHERE clause's first condition (" AND ...", or empty).
func otherFilters(f InvocationFilter) (string, []any, error) {
	rest := f
	rest.Query, rest.Before = "", ""
	where, args, err := filterClause(rest, false)
	if err != nil || where == "" {
		return "", args, err
	}
	return " AND " + strings.TrimPrefix(where, " WHERE "), args, nil
}

// listSearch is ListInvocations for an indexed text search.
func (db *DB) listSearch(ctx context.Context, f InvocationFilter, limit int) (InvocationPage, error) {
	and, args, err := otherFilters(f)
	if err != nil {
		return InvocationPage{}, err
	}
	upper := int64(math.MaxInt64)
	if f.Before != "" {
		_, id, err := decodeCursor(f.Before)
		if err != nil {
			return InvocationPage{}, err
		}
		upper = id
	}
	phrase := searchPhrase(strings.TrimSpace(f.Query))
	page := InvocationPage{Items: make([]lambdadeck.Invocation, 0, min(limit, 64))}
	chunk, scanned, exhausted := searchFirstChunk, 0, false
	for len(page.Items) <= limit && scanned < searchScanLimit {
		ids, err := db.searchIDs(ctx, phrase, upper, chunk)
		if err != nil {
			return InvocationPage{}, err
		}
		if len(ids) < chunk {
			exhausted = true
		}
		if len(ids) == 0 {
			break
		}
		upper = ids[len(ids)-1]
		scanned += len(ids)
		placeholders := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		qargs := make([]any, 0, len(ids)+len(args))
		for _, id := range ids {
			qargs = append(qargs, id)
		}
		rows, err := db.read.QueryContext(ctx, `SELECT `+summaryColumns+` FROM invocations WHERE id IN (`+placeholders+`)`+and+
			` ORDER BY id DESC`, append(qargs, args...)...)
		if err != nil {
			return InvocationPage{}, fmt.Errorf("store: search invocations: %w", err)
		}
		for rows.Next() {
			inv, err := scanSummary(rows)
			if err != nil {
				rows.Close()
				return InvocationPage{}, fmt.Errorf("store: search invocations: %w", err)
			}
			page.Items = append(page.Items, inv)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return InvocationPage{}, fmt.Errorf("store: search invocations: %w", err)
		}
		if exhausted {
			break
		}
		chunk = min(chunk*4, searchMaxChunk)
	}
	switch {
	case len(page.Items) > limit:
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(last.StartedAt.UnixMicro(), last.ID)
	case !exhausted && scanned > 0:
		// Stopped looking: the next page goes on after the last candidate.
		page.Next = encodeCursor(0, upper)
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

// searchIDs returns up to n ids below upper whose indexed text matches
// phrase, the largest first.
func (db *DB) searchIDs(ctx context.Context, phrase string, upper int64, n int) ([]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT rowid FROM invocation_search
		WHERE invocation_search MATCH lower(?) AND rowid < ? ORDER BY rowid DESC LIMIT ?`, phrase, upper, n)
	if err != nil {
		return nil, fmt.Errorf("store: search invocations: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: search invocations: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// exactSearchCount is how many matches of a text search are counted one
// by one; beyond it the count is estimated.
const exactSearchCount = 1000

// EstimateInvocations returns how many invocations match f, and whether
// the number is an estimate. It is exact but for a text search with more
// than 1,000 matches: those are estimated from how densely the newest
// 1,000 matches lie among the newest rows (counting a word found in most
// of a million events would read the whole index). The history shows an
// estimate as "about N".
func (db *DB) EstimateInvocations(ctx context.Context, f InvocationFilter) (int, bool, error) {
	if !indexedSearch(f) {
		n, err := db.CountInvocations(ctx, f)
		return n, false, err
	}
	phrase := searchPhrase(strings.TrimSpace(f.Query))
	ids, err := db.searchIDs(ctx, phrase, math.MaxInt64, exactSearchCount+1)
	if err != nil {
		return 0, false, err
	}
	and, args, err := otherFilters(f)
	if err != nil {
		return 0, false, err
	}
	if len(ids) <= exactSearchCount {
		var n int
		err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocations
			WHERE id IN (SELECT rowid FROM invocation_search WHERE invocation_search MATCH lower(?))`+and,
			append([]any{phrase}, args...)...).Scan(&n)
		if err != nil {
			return 0, false, fmt.Errorf("store: count invocations: %w", err)
		}
		return n, false, nil
	}
	// The share of rows matching among those recorded since the
	// 1,000th newest match, times the rows the other filters select.
	newest, oldest := ids[0], ids[len(ids)-1]
	var span int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocations WHERE id BETWEEN ? AND ?`, oldest, newest).Scan(&span); err != nil {
		return 0, false, fmt.Errorf("store: count invocations: %w", err)
	}
	rest := f
	rest.Query = ""
	total, err := db.CountInvocations(ctx, rest)
	if err != nil {
		return 0, false, err
	}
	share := float64(len(ids)) / float64(max(span, len(ids)))
	return int(math.Round(share * float64(total))), true, nil
}

// rowCount keeps the number of invocations, so that an unfiltered count
// costs the rows recorded since it was taken rather than a scan of every
// row: count(*) over a million rows reads the whole started_at index. Only
// Prune deletes invocations, and it drops the cache.
type rowCount struct {
	mu    sync.Mutex
	valid bool
	n     int   // rows with id <= maxID
	maxID int64 // the largest id when n was taken
}

func (c *rowCount) invalidate() {
	c.mu.Lock()
	c.valid = false
	c.mu.Unlock()
}

// countAllRows returns the exact number of invocations.
func (db *DB) countAllRows(ctx context.Context) (int, error) {
	c := &db.rows
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid {
		var maxID *int64
		if err := db.read.QueryRowContext(ctx, `SELECT count(*), max(id) FROM invocations`).Scan(&c.n, &maxID); err != nil {
			return 0, fmt.Errorf("store: count invocations: %w", err)
		}
		c.maxID = 0
		if maxID != nil {
			c.maxID = *maxID
		}
		c.valid = true
		return c.n, nil
	}
	var more int
	var maxID *int64
	if err := db.read.QueryRowContext(ctx, `SELECT count(*), max(id) FROM invocations WHERE id > ?`, c.maxID).Scan(&more, &maxID); err != nil {
		return 0, fmt.Errorf("store: count invocations: %w", err)
	}
	if maxID != nil {
		c.n, c.maxID = c.n+more, *maxID
	}
	return c.n, nil
}
