package store

import (
	"context"
	"time"
)

// DefaultMaintainInterval is how often Maintain runs when not told.
const DefaultMaintainInterval = time.Minute

// Maintain runs the history's background work until ctx ends: every
// interval it files new failures under their error groups (IndexErrors)
// and applies the retention policy returns (Prune), each in short
// transactions that let invocations be recorded in between. Errors go to
// report (nil ignores them) and the loop goes on.
func (db *DB) Maintain(ctx context.Context, interval time.Duration, policy func(context.Context) (Retention, error), report func(error)) {
	if interval <= 0 {
		interval = DefaultMaintainInterval
	}
	if report == nil {
		report = func(error) {}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := db.IndexErrors(ctx, 0); err != nil && ctx.Err() == nil {
			report(err)
		}
		if r, err := policy(ctx); err != nil {
			if ctx.Err() == nil {
				report(err)
			}
		} else if _, err := db.Prune(ctx, r); err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
