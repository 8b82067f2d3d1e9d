package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// asyncHandlerJS is the Node.js code of the async API tests.
const asyncHandlerJS = `const fs = require('fs');
exports.echo = async (event) => ({ event });
exports.fail = async () => { throw new Error('boom'); };
exports.sink = async (event) => { fs.appendFileSync(process.env.SINK_FILE, JSON.stringify(event) + '\n'); return 'ok'; };
exports.hold = async (event) => {
  fs.appendFileSync(process.env.SINK_FILE + '.started', JSON.stringify(event) + '\n');
  while (!fs.existsSync(process.env.RELEASE_FILE)) await new Promise(r => setTimeout(r, 10));
  return { released: event };
};
`

// asyncAPIEnv is the server with the real invoker and its durable queue
// on a real store in dir, which a second env can reopen (a restart).
type asyncAPIEnv struct {
	dir, dbPath   string
	sink, release string
	db            *store.DB
	iv            *invoker.Invoker
	ts            *httptest.Server
	client        *lambda.Client
	closeOnce     sync.Once
}

func newAsyncAPIEnv(t *testing.T, dir string, busyTimeout time.Duration) *asyncAPIEnv {
	t.Helper()
	requireNodeForAPI(t)
	code := filepath.Join(dir, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "index.js"), []byte(asyncHandlerJS), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &asyncAPIEnv{dir: dir, dbPath: filepath.Join(dir, "lambdadeck.db"), sink: filepath.Join(dir, "sink.jsonl"), release: filepath.Join(dir, "release")}
	env := map[string]string{"SINK_FILE": e.sink, "RELEASE_FILE": e.release}
	node := func(name string, concurrency int) lambdadeck.Function {
		return lambdadeck.Function{Name: name, Runtime: "nodejs20.x", Handler: "index." + name, CodeDir: code,
			Timeout: 60 * time.Second, MemoryMB: 256, Concurrency: concurrency, Architecture: "x86_64", Environment: env}
	}
	fail := node("fail", 2)
	fail.EventInvoke.OnFailure = lambdadeck.Destination{Type: "Lambda", Target: "sink"}
	fail.EventInvoke.OnSuccess = lambdadeck.Destination{Type: "EventBridge", Target: "arn:aws:events:us-east-1:123456789012:event-bus/default"}
	echo := node("echo", 2)
	echo.EventInvoke.OnSuccess = lambdadeck.Destination{Type: "SQS", Target: "arn:aws:sqs:us-east-1:123456789012:done"}
	functions := []lambdadeck.Function{echo, fail, node("sink", 1), node("hold", 1)}
	var err error
	if e.db, err = store.OpenWith(context.Background(), e.dbPath, store.Options{BusyTimeout: busyTimeout}); err != nil {
		t.Fatal(err)
	}
	e.iv, err = invoker.New(invoker.Config{Functions: functions, Recorder: e.db, Queue: e.db, StateDir: filepath.Join(dir, "state"),
		QueueSize: 1, RetryDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Invoker: e.iv, Store: e.db, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(srv)
	e.client = newLambdaClient(e.ts.URL)
	t.Cleanup(e.close)
	return e
}

// close stops the server, the invoker and the store, in that order.
func (e *asyncAPIEnv) close() {
	e.closeOnce.Do(func() {
		e.ts.Close()
		e.iv.Close()
		e.db.Close()
	})
}

func (e *asyncAPIEnv) invokeEvent(t *testing.T, function, payload string) string {
	t.Helper()
	out, err := e.client.Invoke(testContext(t), &lambda.InvokeInput{FunctionName: aws.String(function),
		InvocationType: lambdatypes.InvocationTypeEvent, Payload: []byte(payload)})
	if err != nil {
		t.Fatalf("Invoke Event %s: %v", function, err)
	}
	if out.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d, want 202", out.StatusCode)
	}
	return requestIDOf(t, out.ResultMetadata)
}

func (e *asyncAPIEnv) awaitEvent(t *testing.T, id string) store.QueuedEventState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := e.db.EventState(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == "done" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s still %s", id, st.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *asyncAPIEnv) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitForFile(t *testing.T, path string, lines int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if got := strings.Split(strings.TrimSpace(string(b)), "\n"); len(b) > 0 && len(got) >= lines {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has not %d lines: %q", path, lines, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLambdaAPIEventIsStoredBeforeThe202(t *testing.T) {
	e := newAsyncAPIEnv(t, t.TempDir(), 0)
	// hold runs one at a time and is busy: the second event can only be
	// in the queue when its 202 arrives.
	first := e.invokeEvent(t, "hold", `{"n":1}`)
	waitForFile(t, e.sink+".started", 1)
	second := e.invokeEvent(t, "hold", `{"n":2}`)
	st, err := e.db.EventState(context.Background(), second)
	if err != nil || st.State != "queued" || st.Dispatches != 0 {
		t.Fatalf("right after its 202 the event is %+v (%v), want queued", st, err)
	}
	inv, err := e.db.Invocation(context.Background(), second)
	if err != nil || inv.Status != lambdadeck.StatusQueued || string(inv.Event) != `{"n":2}` {
		t.Fatalf("its invocation row: %+v %v", inv, err)
	}
	code, body := e.get(t, "/healthz")
	var health healthReport
	if err := json.Unmarshal([]byte(body), &health); err != nil || code != http.StatusOK || len(health.AsyncQueue) != 1 ||
		health.AsyncQueue[0].Function != "hold" || health.AsyncQueue[0].Depth != 2 {
		t.Errorf("/healthz %d: %s", code, body)
	}
	code, body = e.get(t, "/functions/hold")
	if code != http.StatusOK || !strings.Contains(body, `data-depth="2"`) {
		t.Errorf("the function page does not show the queue of 2 (status %d)", code)
	}
	if err := os.WriteFile(e.release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first, second} {
		if st := e.awaitEvent(t, id); st.Condition != lambdadeck.ConditionSuccess {
			t.Errorf("event %s: %+v", id, st)
		}
	}
}

func TestLambdaAPIEventRetriesAreVisibleAndTheFailureDestinationGetsTheRecord(t *testing.T) {
	e := newAsyncAPIEnv(t, t.TempDir(), 0)
	id := e.invokeEvent(t, "fail", `{"order":7}`)
	if st := e.awaitEvent(t, id); st.Condition != lambdadeck.ConditionRetriesExhausted || st.Dispatches != 3 {
		t.Fatalf("event %+v, want RetriesExhausted after 3 attempts", st)
	}
	refs, err := e.db.EventAttempts(context.Background(), id)
	if err != nil || len(refs) != 3 {
		t.Fatalf("attempts %+v %v", refs, err)
	}
	code, body := e.get(t, "/invocations/"+refs[1].RequestID)
	if code != http.StatusOK || !strings.Contains(body, "attempt 2 of 3") || !strings.Contains(body, id) ||
		strings.Count(body, `data-testid="attempt-link"`) != 3 {
		t.Errorf("attempt 2's permalink (%d) does not place it among the 3 attempts", code)
	}
	code, body = e.get(t, "/invocations/"+refs[2].RequestID)
	if code != http.StatusOK || !strings.Contains(body, "attempt 3 of 3") || !strings.Contains(body, "was sent to function sink") {
		t.Errorf("the last attempt's permalink (%d) does not say where the record went", code)
	}
	code, body = e.get(t, "/invocations?function=fail")
	for _, label := range []string{"attempt 1 of 3", "attempt 2 of 3", "attempt 3 of 3"} {
		if code != http.StatusOK || !strings.Contains(body, label) {
			t.Errorf("the history (%d) does not show %q", code, label)
		}
	}
	line := waitForFile(t, e.sink, 1)[0]
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	ctx, _ := rec["requestContext"].(map[string]any)
	resp, _ := rec["responseContext"].(map[string]any)
	if rec["version"] != "1.0" || ctx["condition"] != "RetriesExhausted" || ctx["requestId"] != id || ctx["approximateInvokeCount"] != float64(3) ||
		resp["functionError"] != "Unhandled" || resp["statusCode"] != float64(200) {
		t.Errorf("the destination got %s", line)
	}
	if payload, _ := json.Marshal(rec["requestPayload"]); string(payload) != `{"order":7}` {
		t.Errorf("requestPayload %s", payload)
	}
	// The sink's own invocation is an Event invocation too, in the history.
	page, err := e.db.ListInvocations(context.Background(), store.InvocationFilter{Function: "sink"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Async == nil {
		t.Errorf("sink invocations: %+v %v", page.Items, err)
	}
}

func TestLambdaAPIEventRecordForAnUnreachableDestinationIsShown(t *testing.T) {
	e := newAsyncAPIEnv(t, t.TempDir(), 0)
	id := e.invokeEvent(t, "echo", `{"hi":1}`)
	if st := e.awaitEvent(t, id); st.Condition != lambdadeck.ConditionSuccess {
		t.Fatalf("event %+v", st)
	}
	code, body := e.get(t, "/invocations/"+id)
	if code != http.StatusOK || !strings.Contains(body, "would be sent to SQS arn:aws:sqs:us-east-1:123456789012:done") {
		t.Errorf("the permalink (%d) does not say where the record would go", code)
	}
	code, body = e.get(t, "/functions/fail")
	if code != http.StatusOK || !strings.Contains(body, "function sink") || !strings.Contains(body, "EventBridge arn:aws:events:us-east-1:123456789012:event-bus/default") {
		t.Errorf("fail's page (%d) does not show its destinations", code)
	}
}

func TestLambdaAPIEventRunsAgainAfterRestart(t *testing.T) {
	dir := t.TempDir()
	e := newAsyncAPIEnv(t, dir, 0)
	running := e.invokeEvent(t, "hold", `{"n":1}`)
	waitForFile(t, e.sink+".started", 1)
	waiting := e.invokeEvent(t, "hold", `{"n":2}`)
	e.close() // stops hold mid-run
	if err := os.WriteFile(e.release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e2 := newAsyncAPIEnv(t, dir, 0)
	for _, id := range []string{running, waiting} {
		if st := e2.awaitEvent(t, id); st.Condition != lambdadeck.ConditionSuccess {
			t.Errorf("event %s after the restart: %+v", id, st)
		}
	}
	refs, _ := e2.db.EventAttempts(context.Background(), running)
	if len(refs) != 2 || refs[0].Status != lambdadeck.StatusInterrupted || refs[1].Status != lambdadeck.StatusSucceeded {
		t.Errorf("the interrupted event's attempts: %+v", refs)
	}
}

// holdWriteLock takes the database's write lock from a connection of its
// own, as another process would; every write of the store then fails
// with "database is locked" after its busy timeout.
func holdWriteLock(t *testing.T, path string) (unlock func()) {
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

func awaitHealth(t *testing.T, e *asyncAPIEnv, want int) healthReport {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := e.get(t, "/healthz")
		var r healthReport
		json.Unmarshal([]byte(body), &r)
		if code == want {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz is %d (%s), want %d", code, body, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLambdaAPIStoreFailureRunsNothingAndSaysSo(t *testing.T) {
	e := newAsyncAPIEnv(t, t.TempDir(), 100*time.Millisecond)
	unlock := holdWriteLock(t, e.dbPath)
	ctx := testContext(t)
	_, err := e.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sink"), Payload: []byte(`{"sync":1}`)})
	var se *lambdatypes.ServiceException
	if !errors.As(err, &se) || !strings.Contains(se.ErrorMessage(), "sink was not run") || !strings.Contains(se.ErrorMessage(), "database is locked") {
		t.Errorf("sync Invoke on a locked store: %v", err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() != smithy.FaultServer {
		t.Errorf("fault %v, want server", ae.ErrorFault())
	}
	_, err = e.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sink"), Payload: []byte(`{"async":1}`), InvocationType: lambdatypes.InvocationTypeEvent})
	if !errors.As(err, &se) || !strings.Contains(se.ErrorMessage(), "the event was not accepted") {
		t.Errorf("Event Invoke on a locked store: %v", err)
	}
	report := awaitHealth(t, e, http.StatusServiceUnavailable)
	if !strings.Contains(report.Store, "database is locked") || report.StoreFailingSince == "" {
		t.Errorf("/healthz while failing: %+v", report)
	}
	if _, body := e.get(t, "/"); !strings.Contains(body, `data-testid="store-banner"`) {
		t.Error("the dashboard shows no banner while the store fails")
	}
	unlock()
	awaitHealth(t, e, http.StatusOK)
	if _, body := e.get(t, "/"); strings.Contains(body, `data-testid="store-banner"`) {
		t.Error("the banner stays after the store recovered")
	}
	if _, err := os.Stat(e.sink); !os.IsNotExist(err) {
		t.Errorf("the handler ran although nothing could be recorded (%v)", err)
	}
}

func TestLambdaAPIStoreFailureAfterTheRunStillAnswers(t *testing.T) {
	e := newAsyncAPIEnv(t, t.TempDir(), 100*time.Millisecond)
	type result struct {
		out *lambda.InvokeOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := e.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("hold"), Payload: []byte(`"kept"`)})
		done <- result{out, err}
	}()
	waitForFile(t, e.sink+".started", 1)
	unlock := holdWriteLock(t, e.dbPath)
	if err := os.WriteFile(e.release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.out.StatusCode != http.StatusOK || string(r.out.Payload) != `{"released":"kept"}` {
		t.Fatalf("the caller got %v %v; want the handler's response", r.out, r.err)
	}
	id := requestIDOf(t, r.out.ResultMetadata)
	report := awaitHealth(t, e, http.StatusServiceUnavailable)
	if report.PendingWrites != 1 || !strings.Contains(report.Store, "wait in memory") {
		t.Errorf("/healthz while the outcome waits: %+v", report)
	}
	unlock()
	awaitHealth(t, e, http.StatusOK)
	inv, err := e.db.Invocation(context.Background(), id)
	if err != nil || inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `{"released":"kept"}` {
		t.Errorf("stored after recovery: %+v %v", inv, err)
	}
}
