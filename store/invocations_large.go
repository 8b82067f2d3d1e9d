package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// Pages show invocations whose event, response and log can be megabytes
// each. Reading them whole costs several copies of each (the row, a string,
// a pretty-printed and an escaped one) per page view; these reads keep a
// page's cost bounded: InvocationHead takes the first bytes of each large
// column and their sizes, and CopyInvocationPart streams one column whole
// in chunks, never holding more than a chunk in Go.

// InvocationPart names a large column of an invocation.
type InvocationPart string

// The large parts of an invocation.
const (
	PartEvent    InvocationPart = "event"
	PartResponse InvocationPart = "response" // the payload column
	PartLogs     InvocationPart = "logs"
)

// column is the part's column; only these fixed names reach SQL.
func (p InvocationPart) column() (string, bool) {
	switch p {
	case PartEvent:
		return "event", true
	case PartResponse:
		return "payload", true
	case PartLogs:
		return "logs", true
	}
	return "", false
}

// InvocationSizes are the whole sizes in bytes of an invocation's large
// parts, whatever InvocationHead cut them to.
type InvocationSizes struct {
	Event, Payload, Logs int
}

// headColumns are invocationColumns with the event, payload and logs cut to
// their first ? bytes (bound three times), followed by their sizes.
// substr() of a BLOB counts bytes; the text columns are cast to BLOB so a
// multi-byte character never shifts the cut.
const headColumns = `request_id, function, source, user_agent, fixture_id,
	substr(CAST(event AS BLOB), 1, ?), context, client_context, identity, env_overrides,
	substr(CAST(payload AS BLOB), 1, ?), content_type, error_type, error_message, error_stack,
	coalesce(CAST(substr(CAST(logs AS BLOB), 1, ?) AS TEXT), ''), logs_truncated, status, cold,
	init_duration_us, duration_us, billed_duration_us,
	memory_size_mb, max_memory_used_mb, out_of_memory,
	started_at, ended_at, chunks,
	coalesce(octet_length(event), 0), coalesce(octet_length(payload), 0), coalesce(octet_length(logs), 0)`

const selectInvocationHeadSQL = `SELECT id, ` + headColumns + ` FROM invocations WHERE request_id = ?`

// InvocationHead returns the invocation with the given request id with its
// event, payload and logs cut to at most limit bytes each (a text cut never
// splits a UTF-8 character), and the whole sizes of those three. Everything
// else is whole, as Invocation returns it. An unknown id is ENOTFOUND.
func (db *DB) InvocationHead(ctx context.Context, requestID string, limit int) (*lambdadeck.Invocation, InvocationSizes, error) {
	var sizes InvocationSizes
	if limit <= 0 {
		return nil, sizes, lambdadeck.Errorf(lambdadeck.EINVALID, "the head limit must be positive")
	}
	row := db.read.QueryRowContext(ctx, selectInvocationHeadSQL, limit, limit, limit, requestID)
	inv, err := scanInvocation(row, &sizes.Event, &sizes.Payload, &sizes.Logs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sizes, notFound(requestID)
	} else if err != nil {
		return nil, sizes, fmt.Errorf("store: invocation %s: %w", requestID, err)
	}
	if sizes.Event > len(inv.Event) {
		inv.Event = trimPartialRune(inv.Event)
	}
	if sizes.Logs > len(inv.Logs) {
		inv.Logs = string(trimPartialRune([]byte(inv.Logs)))
	}
	if sizes.Payload > len(inv.Payload) && utf8.Valid(trimPartialRune(inv.Payload)) {
		inv.Payload = trimPartialRune(inv.Payload)
	}
	if err := db.attachRelated(ctx, []*lambdadeck.Invocation{inv}, true); err != nil {
		return nil, sizes, err
	}
	return inv, sizes, nil
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b, left
// by a cut at a byte count.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b // ASCII: nothing partial after it
		}
		if utf8.RuneStart(c) {
			if r, size := utf8.DecodeRune(b[len(b)-i:]); r == utf8.RuneError && size <= 1 {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}

// partChunkBytes is how much of a part CopyInvocationPart reads at a time.
const partChunkBytes = 1 << 20

// InvocationPartSize returns the size in bytes of one large part of an
// invocation, and its content type (the response's own; JSON for the event;
// plain text for the logs). An unknown id is ENOTFOUND; an unknown part
// EINVALID.
func (db *DB) InvocationPartSize(ctx context.Context, requestID string, part InvocationPart) (size int, contentType string, err error) {
	col, ok := part.column()
	if !ok {
		return 0, "", lambdadeck.Errorf(lambdadeck.EINVALID, "unknown invocation part %q; use event, response or logs", part)
	}
	err = db.read.QueryRowContext(ctx,
		`SELECT coalesce(octet_length(`+col+`), 0), content_type FROM invocations WHERE request_id = ?`, requestID).
		Scan(&size, &contentType)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", notFound(requestID)
	} else if err != nil {
		return 0, "", fmt.Errorf("store: invocation %s %s: %w", requestID, part, err)
	}
	switch part {
	case PartEvent:
		contentType = "application/json"
	case PartLogs:
		contentType = "text/plain; charset=utf-8"
	}
	return size, contentType, nil
}

// CopyInvocationPart writes one large part of an invocation to w, whole,
// a chunk at a time: memory stays at a chunk however large the part is.
// It returns the bytes written. An unknown id is ENOTFOUND; an unknown
// part EINVALID.
func (db *DB) CopyInvocationPart(ctx context.Context, w io.Writer, requestID string, part InvocationPart) (int64, error) {
	col, ok := part.column()
	if !ok {
		return 0, lambdadeck.Errorf(lambdadeck.EINVALID, "unknown invocation part %q; use event, response or logs", part)
	}
	query := `SELECT substr(CAST(` + col + ` AS BLOB), ?, ?) FROM invocations WHERE request_id = ?`
	var written int64
	buf := make([]byte, 0, partChunkBytes)
	for {
		var chunk sql.RawBytes
		rows, err := db.read.QueryContext(ctx, query, written+1, partChunkBytes, requestID)
		if err != nil {
			return written, fmt.Errorf("store: read invocation %s %s: %w", requestID, part, err)
		}
		found := rows.Next()
		if found {
			if err := rows.Scan(&chunk); err != nil {
				rows.Close()
				return written, fmt.Errorf("store: read invocation %s %s: %w", requestID, part, err)
			}
			buf = append(buf[:0], chunk...) // RawBytes lives only until Close
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return written, fmt.Errorf("store: read invocation %s %s: %w", requestID, part, err)
		}
		if !found {
			if written == 0 {
				return 0, notFound(requestID)
			}
			return written, nil
		}
		if len(buf) > 0 {
			n, err := w.Write(buf)
			written += int64(n)
			if err != nil {
				return written, err
			}
		}
		if len(buf) < partChunkBytes {
			return written, nil
		}
	}
}
