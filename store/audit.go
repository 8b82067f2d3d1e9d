package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AuditEntry is one line of the audit log: who did what to what, when.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // the principal as the history names it: "local", "alice", "alice (key ci)"
	Action string // a dotted verb: auth.login, invocation.start, fixture.update, user.role ...
	Target string // what it acted on: a request id, a fixture, an account, a key id
	Detail string // a short free text; never a secret
	Client string // the client address, when known
}

// Audit actions lambdadeck writes.
const (
	AuditLogin          = "auth.login"
	AuditLoginFailed    = "auth.login_failed"
	AuditLogout         = "auth.logout"
	AuditLogoutAll      = "auth.logout_all"
	AuditPasswordChange = "auth.password_change"
	AuditInvocation     = "invocation.start"
	AuditFixtureCreate  = "fixture.create"
	AuditFixtureUpdate  = "fixture.update"
	AuditFixtureDelete  = "fixture.delete"
	AuditFixtureRestore = "fixture.restore"
	AuditEnvSave        = "environment.save"
	AuditEnvDelete      = "environment.delete"
	AuditUserCreate     = "user.create"
	AuditUserRole       = "user.role"
	AuditUserDisable    = "user.disable"
	AuditUserEnable     = "user.enable"
	AuditUserPassword   = "user.password_reset"
	AuditKeyCreate      = "key.create"
	AuditKeyRevoke      = "key.revoke"
)

// maxAuditField bounds each text field of an audit entry, in bytes.
const maxAuditField = 1024

func clipAudit(s string) string {
	if len(s) <= maxAuditField {
		return s
	}
	s = s[:maxAuditField]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// AppendAudit adds e to the audit log (its At is now when zero). The log
// is append-only: lambdadeck has no code that changes or deletes an entry,
// and the table's triggers refuse it.
func (db *DB) AppendAudit(ctx context.Context, e AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return fmt.Errorf("store: an audit entry needs an actor and an action")
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO audit_log (at, actor, action, target, detail, client) VALUES (?, ?, ?, ?, ?, ?)`,
		at.UnixMicro(), clipAudit(e.Actor), clipAudit(e.Action), clipAudit(e.Target), clipAudit(e.Detail), clipAudit(e.Client))
	if err != nil {
		return fmt.Errorf("store: append audit entry: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Actor  string // exact, any case
	Action string // exact, or a prefix ending in "." (auth.)
	Target string // exact
	Before int64  // entries with a smaller id (the next page's cursor)
	Limit  int    // default and cap 500
}

// AuditEntries returns the entries f selects, newest first.
func (db *DB) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, `actor = ? COLLATE NOCASE`), append(args, f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, `substr(action, 1, ?) = ?`), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, `action = ?`), append(args, f.Action)
		}
	}
	if f.Target != "" {
		where, args = append(where, `target = ?`), append(args, f.Target)
	}
	if f.Before > 0 {
		where, args = append(where, `id < ?`), append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q := `SELECT id, at, actor, action, target, detail, client FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Client); err != nil {
			return nil, fmt.Errorf("store: read audit log: %w", err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read audit log: %w", err)
	}
	return out, nil
}
