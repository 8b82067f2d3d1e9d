package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// ImportOutcome is what ImportInvocations did.
type ImportOutcome struct {
	Added   []string // request ids recorded
	Present []string // request ids already in the history, left as they were
}

// ImportInvocations records invocations exported by another lambdadeck, all
// in one transaction, each marked as imported from origin (its Imported,
// when set, wins: an invocation imported twice keeps where it first ran). An
// invocation whose request id is already recorded, imported or run here, is
// left as it is: importing the same bundle again adds nothing. Each must be
// finished. Fixture links are dropped: fixture ids belong to the exporting
// database.
func (db *DB) ImportInvocations(ctx context.Context, invs []*lambdadeck.Invocation, origin lambdadeck.ImportOrigin) (ImportOutcome, error) {
	var out ImportOutcome
	if origin.Server == "" {
		return out, lambdadeck.Errorf(lambdadeck.EINVALID, "an import needs the server it came from")
	}
	if origin.ImportedAt.IsZero() {
		origin.ImportedAt = time.Now().UTC()
	}
	rows := make([][]any, len(invs))
	for i, inv := range invs {
		if !inv.Status.Finished() {
			return out, lambdadeck.Errorf(lambdadeck.EINVALID, "invocation %s is %s: only finished invocations can be imported", inv.RequestID, inv.Status)
		}
		inv.FixtureID = 0
		inv.Expectation = nil
		// Interned outside the transaction (see rowArgs).
		args, err := db.rowArgs(ctx, inv)
		if err != nil {
			return out, err
		}
		rows[i] = args
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("store: import invocations: %w", err)
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, db.insertInvocation)
	for i, inv := range invs {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invocations WHERE request_id = ?`, inv.RequestID).Scan(&exists); err != nil {
			return out, fmt.Errorf("store: import invocations: %w", err)
		}
		if exists > 0 {
			out.Present = append(out.Present, inv.RequestID)
			continue
		}
		res, err := insert.ExecContext(ctx, rows[i]...)
		if err != nil {
			return out, fmt.Errorf("store: import invocation %s: %w", inv.RequestID, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return out, fmt.Errorf("store: import invocation %s: %w", inv.RequestID, err)
		}
		o := origin
		if inv.Imported != nil && inv.Imported.Server != "" {
			o.Server, o.ExportedAt = inv.Imported.Server, inv.Imported.ExportedAt
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invocation_imports (invocation_id, server, exported_at, imported_at) VALUES (?, ?, ?, ?)`,
			id, o.Server, o.ExportedAt.UnixMicro(), origin.ImportedAt.UnixMicro()); err != nil {
			return out, fmt.Errorf("store: import invocation %s: %w", inv.RequestID, err)
		}
		inv.ID = id
		inv.Imported = &lambdadeck.ImportOrigin{Server: o.Server, ExportedAt: o.ExportedAt, ImportedAt: origin.ImportedAt}
		out.Added = append(out.Added, inv.RequestID)
	}
	if err := tx.Commit(); err != nil {
		return out, fmt.Errorf("store: import invocations: %w", err)
	}
	return out, nil
}
