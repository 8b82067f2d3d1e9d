package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestGroupCommitConcurrent: many invocations begun and finished at once
// (written in shared transactions) are each stored when their call returns
// — readable at once from the read pool — and a duplicate request id
// among them fails alone.
func TestGroupCommitConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := newInvocation(fmt.Sprintf("group-%02d", i), "f", t0.Add(time.Duration(i)*time.Millisecond))
			if err := db.BeginInvocation(ctx, inv); err != nil {
				errs <- err
				return
			}
			if inv.ID == 0 {
				errs <- fmt.Errorf("%s: no id", inv.RequestID)
			}
			got, err := db.Invocation(ctx, inv.RequestID)
			if err != nil || got.Status != lambdadeck.StatusRunning {
				errs <- fmt.Errorf("%s right after BeginInvocation: %v %v", inv.RequestID, got, err)
				return
			}
			// The same request id again, racing with the others.
			dup := newInvocation(inv.RequestID, "f", inv.StartedAt)
			if err := db.BeginInvocation(ctx, dup); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
				errs <- fmt.Errorf("%s twice: %v, want ECONFLICT", inv.RequestID, err)
			}
			inv.Status, inv.Payload, inv.EndedAt = lambdadeck.StatusSucceeded, []byte(`{"ok":true}`), inv.StartedAt.Add(time.Millisecond)
			if err := db.FinishInvocation(ctx, inv); err != nil {
				errs <- err
				return
			}
			if got, err := db.Invocation(ctx, inv.RequestID); err != nil || got.Status != lambdadeck.StatusSucceeded {
				errs <- fmt.Errorf("%s right after FinishInvocation: %v %v", inv.RequestID, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c, err := db.CountInvocations(ctx, InvocationFilter{Status: "succeeded"}); err != nil || c != n {
		t.Fatalf("%d succeeded rows (%v), want %d", c, err, n)
	}
	unknown := newInvocation("never-begun", "f", t0)
	wantCode(t, db.FinishInvocation(ctx, unknown), lambdadeck.ENOTFOUND)
}

// TestSearchQueueSurvivesCrash: rows written by a process that died before
// its indexer ran (written here through a bare connection, which fires the
// queue's triggers and nothing else) are in the durable queue; the next
// Open indexes them, and a search finds them.
func TestSearchQueueSurvivesCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := raw.Exec(`INSERT INTO invocations (request_id, function, status, started_at, event) VALUES (?, 'f', 'succeeded', ?, ?)`,
			fmt.Sprintf("crashed-%d", i), t0.UnixMicro()+int64(i), fmt.Sprintf(`{"order":"lost-order-%d"}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	var queued, indexed int
	raw.QueryRow(`SELECT count(*) FROM invocation_search_queue`).Scan(&queued)
	raw.QueryRow(`SELECT count(*) FROM invocation_search`).Scan(&indexed)
	raw.Close()
	if queued != 3 || indexed != 0 {
		t.Fatalf("after the writes: %d queued, %d indexed; want 3 and 0", queued, indexed)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, InvocationFilter{Query: "LOST-ORDER"}); !slices.Equal(got, []string{"crashed-2", "crashed-1", "crashed-0"}) {
		t.Errorf("search after the restart found %v", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.QueryRow(`SELECT count(*) FROM invocation_search_queue`).Scan(&queued)
	raw.QueryRow(`SELECT count(*) FROM invocation_search`).Scan(&indexed)
	if queued != 0 || indexed != 3 {
		t.Fatalf("after Open and Close: %d queued, %d indexed; want 0 and 3", queued, indexed)
	}
}

// TestSearchIndexedInBackground: without any search, the indexer empties
// the queue by itself once writes stop; the index then matches the rows.
func TestSearchIndexedInBackground(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	for i := range 20 {
		inv := newInvocation(fmt.Sprintf("bg-%02d", i), "f", t0.Add(time.Duration(i)*time.Second))
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the indexer (no timing asserted: only that it gets there).
	for {
		var queued int
		if err := db.read.QueryRow(`SELECT count(*) FROM invocation_search_queue`).Scan(&queued); err != nil {
			t.Fatal(err)
		}
		if queued == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var indexed int
	if err := db.read.QueryRow(`SELECT count(*) FROM invocation_search`).Scan(&indexed); err != nil || indexed != 20 {
		t.Fatalf("%d rows indexed (%v), want 20", indexed, err)
	}
}
