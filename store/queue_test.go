package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func queuedInvocation(id, function, event string) *lambdadeck.Invocation {
	return &lambdadeck.Invocation{RequestID: id, Function: function, Source: lambdadeck.SourceAPI, Event: json.RawMessage(event),
		EnvOverrides: map[string]string{"MODE": "x"},
		Async:        &lambdadeck.AsyncAttempt{EventID: id, Attempt: 1, MaxAttempts: 3}}
}

func TestQueueLifecycle(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	inv := queuedInvocation("ev-1", "f", `{"a":1}`)
	if err := db.EnqueueEvent(ctx, inv); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Invocation(ctx, "ev-1")
	if err != nil || stored.Status != lambdadeck.StatusQueued || stored.Async == nil || *stored.Async != (lambdadeck.AsyncAttempt{EventID: "ev-1", Attempt: 1, MaxAttempts: 3}) {
		t.Fatalf("queued row: %+v %v", stored, err)
	}
	if err := db.EnqueueEvent(ctx, queuedInvocation("ev-1", "f", `{}`)); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("a second event with the same id: %v", err)
	}
	stats, err := db.QueueStats(ctx)
	if err != nil || stats["f"].Depth != 1 {
		t.Fatalf("queue stats %+v %v", stats, err)
	}

	due, err := db.DueEvents(ctx, "f", time.Now(), 10)
	if err != nil || len(due) != 1 || string(due[0].Event) != `{"a":1}` || due[0].Env["MODE"] != "x" || due[0].Dispatches != 0 {
		t.Fatalf("due %+v %v", due, err)
	}
	first := *inv
	first.Status = lambdadeck.StatusRunning
	if err := db.ClaimEvent(ctx, due[0], &first); err != nil {
		t.Fatal(err)
	}
	// A second claim of the same read loses: it was taken.
	if err := db.ClaimEvent(ctx, due[0], &first); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("claiming twice: %v", err)
	}
	if due, _ := db.DueEvents(ctx, "f", time.Now(), 10); len(due) != 0 {
		t.Errorf("a dispatched event is still due: %+v", due)
	}
	next := time.Now().Add(time.Hour)
	if err := db.RetryEvent(ctx, "ev-1", "ev-1", next, true, "failed; retry 1 of 2"); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueEvents(ctx, "f", time.Now(), 10); len(due) != 0 {
		t.Errorf("an event due in an hour is due now")
	}
	due, _ = db.DueEvents(ctx, "f", next, 10)
	if len(due) != 1 || due[0].Dispatches != 1 || due[0].Failures != 1 || due[0].CurrentRequestID != "ev-1" {
		t.Fatalf("the retry: %+v", due)
	}
	second := lambdadeck.Invocation{RequestID: "att-2", Function: "f", Status: lambdadeck.StatusRunning, Event: json.RawMessage(`{"a":1}`),
		Async: &lambdadeck.AsyncAttempt{EventID: "ev-1", Attempt: 2, MaxAttempts: 3}}
	if err := db.ClaimEvent(ctx, due[0], &second); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishEvent(ctx, "ev-1", "att-2", lambdadeck.ConditionSuccess, "done"); err != nil {
		t.Fatal(err)
	}
	st, err := db.EventState(ctx, "ev-1")
	if err != nil || st != (QueuedEventState{State: "done", Condition: "Success", Dispatches: 2, Failures: 1}) {
		t.Errorf("final state %+v %v", st, err)
	}
	refs, err := db.EventAttempts(ctx, "ev-1")
	if err != nil || len(refs) != 2 || refs[0].RequestID != "ev-1" || refs[1].RequestID != "att-2" || refs[1].Attempt != 2 {
		t.Errorf("attempts %+v %v", refs, err)
	}
	page, err := db.ListInvocations(ctx, InvocationFilter{Function: "f"})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("list %v %v", page.Items, err)
	}
	for _, item := range page.Items {
		if item.Async == nil || item.Async.EventID != "ev-1" {
			t.Errorf("listed %s without its attempt: %+v", item.RequestID, item.Async)
		}
	}
	one, _ := db.Invocation(ctx, "ev-1")
	if one.Async.Note != "failed; retry 1 of 2" {
		t.Errorf("note %q", one.Async.Note)
	}
	if stats, _ := db.QueueStats(ctx); stats["f"].Depth != 0 {
		t.Errorf("a done event still counts in the queue: %+v", stats)
	}
}

func TestOpenPutsDispatchedEventsBackInTheQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"waiting", "running"} {
		if err := db.EnqueueEvent(ctx, queuedInvocation(id, "f", `{}`)); err != nil {
			t.Fatal(err)
		}
	}
	due, _ := db.DueEvents(ctx, "f", time.Now(), 10)
	for _, ev := range due {
		if ev.RequestID == "running" {
			attempt := *queuedInvocation("running", "f", `{}`)
			attempt.Status = lambdadeck.StatusRunning
			if err := db.ClaimEvent(ctx, ev, &attempt); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close() // as if the process died: nothing finished

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Recovered() != 1 {
		t.Errorf("recovered %d, want the 1 running attempt", db.Recovered())
	}
	due, err = db.DueEvents(ctx, "f", time.Now(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("after reopening, due %+v %v; want both events", due, err)
	}
	waiting, _ := db.Invocation(ctx, "waiting")
	running, _ := db.Invocation(ctx, "running")
	if waiting.Status != lambdadeck.StatusQueued || running.Status != lambdadeck.StatusInterrupted {
		t.Errorf("rows after reopening: waiting %s, running %s", waiting.Status, running.Status)
	}
}

// TestFullDatabaseFailsWritesAndRecovers fills the database for real:
// max_page_count caps the file at its current size, so a write that needs
// a new page fails with SQLITE_FULL, as on a full disk.
func TestFullDatabaseFailsWritesAndRecovers(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	var pages int
	if err := db.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `PRAGMA max_page_count = `+strconv.Itoa(pages)); err != nil {
		t.Fatal(err)
	}
	big := `"` + strings.Repeat("x", 64*1024) + `"`
	err := db.EnqueueEvent(ctx, queuedInvocation("full-1", "f", big))
	if err == nil || !strings.Contains(Describe(err), "full") {
		t.Fatalf("enqueue into a full database: %v", err)
	}
	if _, reason := db.WriteFailure(); reason == nil || !strings.Contains(reason.Error(), "full") {
		t.Errorf("write failure = %v", reason)
	}
	if _, err := db.Invocation(ctx, "full-1"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("a refused event left a row: %v", err)
	}
	if _, err := db.EventState(ctx, "full-1"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("a refused event left a queue entry: %v", err)
	}
	if err := db.BeginInvocation(ctx, &lambdadeck.Invocation{RequestID: "full-2", Function: "f", Event: json.RawMessage(big)}); err == nil {
		t.Error("begin into a full database succeeded")
	}
	if _, err := db.write.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := db.EnqueueEvent(ctx, queuedInvocation("full-1", "f", big)); err != nil {
		t.Fatalf("after making room: %v", err)
	}
	if _, reason := db.WriteFailure(); reason != nil {
		t.Errorf("still failing after a successful write: %v", reason)
	}
}
