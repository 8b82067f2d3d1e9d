package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// maxHTTPText bounds each of an exchange's request and response texts:
// the event and payload hold the whole bodies already.
const maxHTTPText = 64 << 10

// SaveHTTPExchange records the HTTP request and response of a front door
// invocation; saving again replaces it. An unknown request id is ENOTFOUND.
func (db *DB) SaveHTTPExchange(ctx context.Context, requestID string, ex lambdadeck.HTTPExchange) error {
	if ex.Method == "" || ex.Status < 100 || ex.Status > 599 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "an HTTP exchange needs a method and a status from 100 to 599")
	}
	var known int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM invocations WHERE request_id = ?`, requestID).Scan(&known); err != nil {
		return fmt.Errorf("store: save http exchange %s: %w", requestID, err)
	}
	if known == 0 {
		return notFound(requestID)
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO invocation_http (request_id, method, path, route, api, status, request, response)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET method = excluded.method, path = excluded.path, route = excluded.route,
			api = excluded.api, status = excluded.status, request = excluded.request, response = excluded.response`,
		requestID, ex.Method, ex.Path, ex.Route, ex.API, ex.Status, bound(ex.Request), bound(ex.Response))
	if err != nil {
		return fmt.Errorf("store: save http exchange %s: %w", requestID, err)
	}
	return nil
}

// bound cuts s to maxHTTPText bytes (on a UTF-8 boundary), saying so.
func bound(s string) string {
	if len(s) <= maxHTTPText {
		return s
	}
	cut := strings.ToValidUTF8(s[:maxHTTPText], "")
	return cut + fmt.Sprintf("\n… (%d more bytes not kept)", len(s)-len(cut))
}

// attachHTTP sets the HTTP exchange of each invocation that has one, in
// one query; full says whether to read the request and response texts.
func (db *DB) attachHTTP(ctx context.Context, invs []*lambdadeck.Invocation, full bool) error {
	if len(invs) == 0 {
		return nil
	}
	byID := make(map[string]*lambdadeck.Invocation, len(invs))
	ids := make([]string, 0, len(invs))
	for _, inv := range invs {
		byID[inv.RequestID] = inv
		ids = append(ids, inv.RequestID)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("store: http exchanges: %w", err)
	}
	texts := `'', ''`
	if full {
		texts = `request, response`
	}
	rows, err := db.read.QueryContext(ctx, `SELECT request_id, method, path, route, api, status, `+texts+`
		FROM invocation_http WHERE request_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return fmt.Errorf("store: http exchanges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ex lambdadeck.HTTPExchange
		if err := rows.Scan(&id, &ex.Method, &ex.Path, &ex.Route, &ex.API, &ex.Status, &ex.Request, &ex.Response); err != nil {
			return fmt.Errorf("store: http exchanges: %w", err)
		}
		byID[id].HTTP = &ex
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: http exchanges: %w", err)
	}
	return nil
}
