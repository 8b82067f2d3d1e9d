package invoker

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// asyncJS is the Node.js code of the async tests: ok answers, flaky fails
// while its event says so, record appends every event it gets to a file.
const asyncJS = `const fs = require('fs');
exports.ok = async (event) => ({ ok: event });
exports.fail = async () => { throw new Error('always fails'); };
exports.record = async (event) => { fs.appendFileSync(process.env.RECORD_FILE, JSON.stringify(event) + '\n'); return 'recorded'; };
exports.hold = async (event) => {
  fs.writeFileSync(process.env.RECORD_FILE + '.started', '1');
  while (!fs.existsSync(process.env.RELEASE_FILE)) await new Promise(r => setTimeout(r, 10));
  return { released: event };
};
`

// asyncRig is an invoker with the durable queue, on a real store, in one
// folder that a second rig can reopen (a restart).
type asyncRig struct {
	dir    string
	dbPath string
	db     *store.DB
	iv     *Invoker
	fns    []lambdadeck.Function
}

func asyncFunctions(t *testing.T) (fns []lambdadeck.Function, record, release string) {
	t.Helper()
	requireTools(t, "node")
	dir := t.TempDir()
	record, release = filepath.Join(dir, "record.jsonl"), filepath.Join(dir, "release")
	env := map[string]string{"RECORD_FILE": record, "RELEASE_FILE": release}
	files := map[string]string{"index.js": asyncJS}
	retries := 2
	fns = []lambdadeck.Function{
		nodeFunction(t, "ok", "index.ok", files, func(f *lambdadeck.Function) { f.Concurrency = 2 }),
		nodeFunction(t, "fail", "index.fail", files, func(f *lambdadeck.Function) {
			f.EventInvoke = lambdadeck.EventInvokeConfig{MaximumRetryAttempts: &retries,
				OnFailure:  lambdadeck.Destination{Type: "Lambda", Target: "record"},
				DeadLetter: lambdadeck.Destination{Type: "SQS", Target: "arn:aws:sqs:us-east-1:123456789012:dlq"}}
		}),
		nodeFunction(t, "record", "index.record", files, func(f *lambdadeck.Function) { f.Environment = env; f.Concurrency = 1 }),
		nodeFunction(t, "hold", "index.hold", files, func(f *lambdadeck.Function) { f.Environment = env; f.Concurrency = 1; f.Timeout = 60 * time.Second }),
	}
	return fns, record, release
}

func newAsyncRig(t *testing.T, dir string, fns []lambdadeck.Function, opts store.Options) *asyncRig {
	t.Helper()
	r := &asyncRig{dir: dir, dbPath: filepath.Join(dir, "lambdadeck.db"), fns: fns}
	var err error
	if r.db, err = store.OpenWith(context.Background(), r.dbPath, opts); err != nil {
		t.Fatal(err)
	}
	r.iv, err = New(Config{Functions: fns, Recorder: r.db, Queue: r.db, StateDir: filepath.Join(dir, "state"),
		QueueSize: 1, RetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	return r
}

// close stops the invoker, then the store (a clean stop).
func (r *asyncRig) close() {
	if r.iv != nil {
		r.iv.Close()
		r.iv = nil
	}
	if r.db != nil {
		r.db.Close()
		r.db = nil
	}
}

func (r *asyncRig) invokeAsync(t *testing.T, function, event string) string {
	t.Helper()
	inv, err := r.iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: function, Event: []byte(event), Async: true, Source: lambdadeck.SourceTest})
	if err != nil {
		t.Fatalf("async invoke %s: %v", function, err)
	}
	if inv.Status != lambdadeck.StatusQueued || inv.Async == nil || inv.Async.EventID != inv.RequestID {
		t.Fatalf("accepted invocation: status %s, async %+v", inv.Status, inv.Async)
	}
	return inv.RequestID
}

// awaitEvent waits until the event is done and returns its state.
func (r *asyncRig) awaitEvent(t *testing.T, eventID string) store.QueuedEventState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := r.db.EventState(context.Background(), eventID)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == "done" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s is still %s after %d dispatches", eventID, st.State, st.Dispatches)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func awaitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAsyncEventsAreNeverThrottledAway(t *testing.T) {
	fns, _, _ := asyncFunctions(t)
	r := newAsyncRig(t, t.TempDir(), fns, store.Options{})
	// ok has 2 instances and the synchronous waiting queue holds 1: 40
	// events at once would be throttled 37 times through it. From the
	// durable queue, every one runs.
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = r.invokeAsync(t, "ok", `{"i":`+strconv.Itoa(i)+`}`)
	}
	for _, id := range ids {
		if st := r.awaitEvent(t, id); st.Condition != lambdadeck.ConditionSuccess || st.Dispatches != 1 {
			t.Errorf("event %s: %+v, want Success after 1 attempt", id, st)
		}
	}
	inv, err := r.db.Invocation(context.Background(), ids[7])
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `{"ok":{"i":7}}` || inv.Async == nil || inv.Async.Attempt != 1 || inv.Async.MaxAttempts != 3 {
		t.Errorf("first attempt: status %s payload %s async %+v", inv.Status, inv.Payload, inv.Async)
	}
}

func TestAsyncRetriesThenSendsTheRecordToTheFailureDestination(t *testing.T) {
	fns, record, _ := asyncFunctions(t)
	r := newAsyncRig(t, t.TempDir(), fns, store.Options{})
	ctx := context.Background()
	id := r.invokeAsync(t, "fail", `{"order":42}`)
	st := r.awaitEvent(t, id)
	if st.Condition != lambdadeck.ConditionRetriesExhausted || st.Dispatches != 3 || st.Failures != 2 {
		t.Fatalf("event state %+v, want RetriesExhausted after 3 attempts (2 retried)", st)
	}
	refs, err := r.db.EventAttempts(ctx, id)
	if err != nil || len(refs) != 3 {
		t.Fatalf("attempts %v (%v), want 3", refs, err)
	}
	for i, ref := range refs {
		inv, err := r.db.Invocation(ctx, ref.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != lambdadeck.StatusFailed || inv.Async.Attempt != i+1 || inv.Async.MaxAttempts != 3 || string(inv.Event) != `{"order":42}` {
			t.Errorf("attempt %d: status %s async %+v event %s", i+1, inv.Status, inv.Async, inv.Event)
		}
		// Every attempt runs with the accepted request id, as Lambda's
		// retries do (handlers' idempotency checks key on it), while each
		// attempt keeps its own record.
		if !strings.Contains(inv.Logs, "START RequestId: "+id+" ") || !strings.Contains(inv.Logs, "REPORT RequestId: "+id+"\t") {
			t.Errorf("attempt %d logs do not name the event's request id %s:\n%s", i+1, id, inv.Logs)
		}
		var lambdaCtx struct {
			AwsRequestID string `json:"awsRequestId"`
		}
		if err := json.Unmarshal(inv.Context, &lambdaCtx); err != nil || lambdaCtx.AwsRequestID != id {
			t.Errorf("attempt %d context awsRequestId = %q (%v), want %s", i+1, lambdaCtx.AwsRequestID, err, id)
		}
		if i < 2 && !strings.Contains(inv.Async.Note, "retry") {
			t.Errorf("attempt %d note %q says nothing of the retry", i+1, inv.Async.Note)
		}
	}
	if refs[0].RequestID != id {
		t.Errorf("the first attempt is %s, want the accepted request id %s", refs[0].RequestID, id)
	}
	last, _ := r.db.Invocation(ctx, refs[2].RequestID)
	if !strings.Contains(last.Async.Note, "sent to function record") || !strings.Contains(last.Async.Note, "would be sent to SQS arn:aws:sqs:us-east-1:123456789012:dlq") {
		t.Errorf("last attempt's note: %q", last.Async.Note)
	}

	// The record function got Lambda's invocation record, as an Event.
	line := strings.TrimSpace(string(awaitFile(t, record)))
	var rec struct {
		Version         string          `json:"version"`
		Timestamp       string          `json:"timestamp"`
		RequestContext  map[string]any  `json:"requestContext"`
		RequestPayload  json.RawMessage `json:"requestPayload"`
		ResponseContext struct {
			StatusCode      int    `json:"statusCode"`
			ExecutedVersion string `json:"executedVersion"`
			FunctionError   string `json:"functionError"`
		} `json:"responseContext"`
		ResponsePayload map[string]any `json:"responsePayload"`
	}
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("record %s: %v", line, err)
	}
	if rec.Version != "1.0" || rec.RequestContext["requestId"] != id || rec.RequestContext["condition"] != "RetriesExhausted" ||
		rec.RequestContext["approximateInvokeCount"] != float64(3) ||
		rec.RequestContext["functionArn"] != "arn:aws:lambda:us-east-1:123456789012:function:fail:$LATEST" ||
		string(rec.RequestPayload) != `{"order":42}` || rec.ResponseContext.StatusCode != 200 ||
		rec.ResponseContext.ExecutedVersion != "$LATEST" || rec.ResponseContext.FunctionError != "Unhandled" ||
		rec.ResponsePayload["errorMessage"] != "always fails" {
		t.Errorf("record = %s", line)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", rec.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", rec.Timestamp, err)
	}
}

func TestAsyncEventInterruptedByACrashRunsAfterRestart(t *testing.T) {
	fns, _, _ := asyncFunctions(t)
	dir := t.TempDir()
	ctx := context.Background()
	// A process that died mid-attempt leaves its event dispatched and the
	// attempt running: here a store claims it, as a dispatcher does, and
	// is closed without finishing it.
	db, err := store.Open(ctx, filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &lambdadeck.Invocation{RequestID: "11111111-2222-3333-4444-555555555555", Function: "ok", Event: json.RawMessage(`{"crash":1}`),
		Source: lambdadeck.SourceAPI, Async: &lambdadeck.AsyncAttempt{EventID: "11111111-2222-3333-4444-555555555555", Attempt: 1, MaxAttempts: 3}}
	if err := db.EnqueueEvent(ctx, inv); err != nil {
		t.Fatal(err)
	}
	evs, err := db.DueEvents(ctx, "ok", time.Now(), 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("due: %v %v", evs, err)
	}
	attempt := *inv
	attempt.Status = lambdadeck.StatusRunning
	if err := db.ClaimEvent(ctx, evs[0], &attempt); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The restart: the event goes back to the queue and runs again.
	r := newAsyncRig(t, dir, fns, store.Options{})
	st := r.awaitEvent(t, inv.RequestID)
	if st.Condition != lambdadeck.ConditionSuccess || st.Dispatches != 2 {
		t.Fatalf("after restart: %+v, want Success on the 2nd attempt", st)
	}
	refs, _ := r.db.EventAttempts(ctx, inv.RequestID)
	if len(refs) != 2 || refs[0].Status != lambdadeck.StatusInterrupted || refs[1].Status != lambdadeck.StatusSucceeded {
		t.Errorf("attempts %+v, want interrupted then succeeded", refs)
	}
}

func TestAsyncEventStoppedByCloseRunsAtTheNextStart(t *testing.T) {
	fns, record, release := asyncFunctions(t)
	dir := t.TempDir()
	r := newAsyncRig(t, dir, fns, store.Options{})
	id := r.invokeAsync(t, "hold", `{"n":1}`)
	queued := r.invokeAsync(t, "hold", `{"n":2}`) // waits: hold runs one at a time
	awaitFile(t, record+".started")
	r.close()

	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r2 := newAsyncRig(t, dir, fns, store.Options{})
	for _, ev := range []string{id, queued} {
		if st := r2.awaitEvent(t, ev); st.Condition != lambdadeck.ConditionSuccess {
			t.Errorf("event %s after restart: %+v", ev, st)
		}
	}
	first, err := r2.db.Invocation(context.Background(), queued)
	if err != nil || first.Status != lambdadeck.StatusSucceeded || first.Async.Attempt != 1 {
		t.Errorf("the event that never ran before the stop: %+v %v", first, err)
	}
}

// lockDatabase holds the database's write lock from a connection of its
// own, as another process would, until the returned func releases it:
// every write of the store then fails with "database is locked" once its
// busy timeout passes.
func lockDatabase(t *testing.T, path string) (unlock func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock = func() {
		once.Do(func() {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			other.Close()
		})
	}
	t.Cleanup(unlock)
	return unlock
}

func TestStoreFailureBeforeTheRunRunsNothing(t *testing.T) {
	fns, record, _ := asyncFunctions(t)
	r := newAsyncRig(t, t.TempDir(), fns, store.Options{BusyTimeout: 100 * time.Millisecond})
	unlock := lockDatabase(t, r.dbPath)
	ctx := context.Background()

	_, err := r.iv.Invoke(ctx, lambdadeck.InvokeRequest{Function: "record", Event: []byte(`{"sync":true}`)})
	if lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL || !strings.Contains(lambdadeck.ErrorMessage(err), "record was not run") ||
		!strings.Contains(lambdadeck.ErrorMessage(err), "database is locked") {
		t.Errorf("sync invoke on a locked store: %v", err)
	}
	_, err = r.iv.Invoke(ctx, lambdadeck.InvokeRequest{Function: "record", Event: []byte(`{"async":true}`), Async: true})
	if lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL || !strings.Contains(lambdadeck.ErrorMessage(err), "the event was not accepted") {
		t.Errorf("async invoke on a locked store: %v", err)
	}
	unlock()
	// The store works again; the handler never ran for either.
	inv := invoke(t, r.iv, "ok", `{"after":1}`)
	if inv.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("after the lock: %s", inv.Status)
	}
	if _, err := os.Stat(record); !os.IsNotExist(err) {
		t.Errorf("the handler ran although its invocation could not be recorded: %v", err)
	}
	if n, _ := r.db.CountInvocations(ctx, store.InvocationFilter{Function: "record"}); n != 0 {
		t.Errorf("%d record invocations stored, want 0", n)
	}
}

func TestStoreFailureAfterTheRunKeepsTheOutcome(t *testing.T) {
	fns, record, release := asyncFunctions(t)
	r := newAsyncRig(t, t.TempDir(), fns, store.Options{BusyTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	run, err := r.iv.Start(ctx, lambdadeck.InvokeRequest{Function: "hold", Event: []byte(`"kept"`)})
	if err != nil {
		t.Fatal(err)
	}
	awaitFile(t, record+".started")
	unlock := lockDatabase(t, r.dbPath)
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := run.Wait()
	if err != nil || inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `{"released":"kept"}` {
		t.Fatalf("the caller got %v, %v; want the handler's response", inv, err)
	}
	if h := r.iv.StoreHealth(); h.Pending != 1 || h.Failure == nil || !strings.Contains(h.Failure.Error(), "locked") {
		t.Errorf("store health while locked: %+v", h)
	}
	if _, reason := r.db.WriteFailure(); reason == nil {
		t.Error("the store does not report its failing writes")
	}
	unlock()
	deadline := time.Now().Add(30 * time.Second)
	for r.iv.StoreHealth().Pending > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the kept outcome was never written")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stored, err := r.db.Invocation(ctx, inv.RequestID)
	if err != nil || stored.Status != lambdadeck.StatusSucceeded || string(stored.Payload) != `{"released":"kept"}` {
		t.Errorf("stored after recovery: %+v %v", stored, err)
	}
	if _, reason := r.db.WriteFailure(); reason != nil {
		t.Errorf("the store still reports %v after recovering", reason)
	}
}
