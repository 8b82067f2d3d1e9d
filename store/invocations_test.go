package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// t0 is a fixed start time with microsecond precision, the store's.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// newInvocation returns a running invocation of function with only the
// fields the invoker sets before delivery.
func newInvocation(requestID, function string, startedAt time.Time) *lambdadeck.Invocation {
	return &lambdadeck.Invocation{
		RequestID:    requestID,
		Function:     function,
		Source:       lambdadeck.SourceBrowser,
		Event:        []byte(`{"n":1}`),
		Status:       lambdadeck.StatusRunning,
		MemorySizeMB: 128,
		StartedAt:    startedAt,
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := lambdadeck.ErrorCode(err); got != code {
		t.Errorf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestInvocationRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)

	bigEvent := append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), 6*1024*1024-12)...)
	bigEvent = append(bigEvent, `"}`...)
	binaryPayload := []byte{0x00, 0xff, 0xfe, 'h', 'i', 0x00, 0x80}

	inv := &lambdadeck.Invocation{
		RequestID:     "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		Function:      "hello",
		Source:        lambdadeck.SourceAPI,
		UserAgent:     "aws-cli/2.15.0",
		FixtureID:     7,
		Event:         bigEvent,
		Context:       []byte(`{"functionName":"hello","memoryLimitInMB":"256"}`),
		ClientContext: []byte(`{"custom":{"k":"v"}}`),
		Identity:      []byte(`{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}`),
		EnvOverrides:  map[string]string{"STAGE": "test", "EMPTY": ""},
		Status:        lambdadeck.StatusRunning,
		Cold:          true,
		MemorySizeMB:  256,
		StartedAt:     t0,
	}
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatalf("BeginInvocation: %v", err)
	}
	if inv.ID == 0 {
		t.Fatal("BeginInvocation did not set ID")
	}
	got, err := db.Invocation(ctx, inv.RequestID)
	if err != nil {
		t.Fatalf("Invocation: %v", err)
	}
	if !reflect.DeepEqual(got, inv) {
		t.Errorf("after begin:\n got %s\nwant %s", describe(got), describe(inv))
	}

	inv.Payload = binaryPayload
	inv.ContentType = "application/octet-stream"
	inv.Error = &lambdadeck.FunctionError{
		Type:    "Error",
		Message: "boom: 100% _broken_",
		Stack:   []string{"Error: boom", "    at handler (/var/task/index.js:3:9)"},
	}
	inv.Logs = "START RequestId: x\n\u00e9t\u00e9 \U0001F600\nEND RequestId: x\n"
	inv.LogsTruncated = true
	inv.Status = lambdadeck.StatusFailed
	inv.InitDuration = 152*time.Millisecond + 340*time.Microsecond
	inv.Duration = 2*time.Millisecond + 10*time.Microsecond
	inv.BilledDuration = 3 * time.Millisecond
	inv.MaxMemoryUsedMB = 67
	inv.OutOfMemory = true
	inv.Chunks = []lambdadeck.Chunk{{At: 3 * time.Millisecond, Size: 512}, {At: 250 * time.Millisecond, Size: 7}}
	inv.EndedAt = t0.Add(154 * time.Millisecond)
	if err := db.FinishInvocation(ctx, inv); err != nil {
		t.Fatalf("FinishInvocation: %v", err)
	}
	got, err = db.Invocation(ctx, inv.RequestID)
	if err != nil {
		t.Fatalf("Invocation: %v", err)
	}
	if !reflect.DeepEqual(got, inv) {
		t.Errorf("after finish:\n got %s\nwant %s", describe(got), describe(inv))
	}
	if len(got.Event) != len(bigEvent) {
		t.Errorf("event is %d bytes, want %d", len(got.Event), len(bigEvent))
	}
}

// describe prints an invocation with its large fields cut short.
func describe(inv *lambdadeck.Invocation) string {
	c := *inv
	if len(c.Event) > 64 {
		c.Event = append(c.Event[:64:64], "..."...)
	}
	return fmt.Sprintf("%+v error=%+v", c, c.Error)
}

func TestInvocationRoundTripOfEmptyFields(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	inv := &lambdadeck.Invocation{RequestID: "r1", Function: "f", Status: lambdadeck.StatusQueued, StartedAt: t0}
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := db.Invocation(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	// Absent stays absent: nil event, no error, no env, zero end.
	if !reflect.DeepEqual(got, inv) {
		t.Errorf("got %+v\nwant %+v", got, inv)
	}
}

func TestBeginInvocationDefaults(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	before := time.Now()
	inv := &lambdadeck.Invocation{RequestID: "r1", Function: "f"}
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := db.Invocation(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lambdadeck.StatusRunning {
		t.Errorf("status = %q, want running", got.Status)
	}
	if got.StartedAt.Before(before.Truncate(time.Microsecond)) {
		t.Errorf("StartedAt = %v, want now (after %v)", got.StartedAt, before)
	}
}

func TestQueuedInvocationMovesToRunning(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	inv := newInvocation("r1", "f", t0)
	inv.Status = lambdadeck.StatusQueued
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	for _, status := range []lambdadeck.Status{lambdadeck.StatusRunning, lambdadeck.StatusSucceeded} {
		inv.Status = status
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatalf("FinishInvocation(%s): %v", status, err)
		}
		got, err := db.Invocation(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status {
			t.Errorf("status = %q, want %q", got.Status, status)
		}
	}
}

func TestInvocationErrors(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	if err := db.BeginInvocation(ctx, newInvocation("dup", "f", t0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"duplicate request id", func() error { return db.BeginInvocation(ctx, newInvocation("dup", "g", t0)) }, lambdadeck.ECONFLICT},
		{"finish unknown", func() error { return db.FinishInvocation(ctx, newInvocation("unknown", "f", t0)) }, lambdadeck.ENOTFOUND},
		{"get unknown", func() error { _, err := db.Invocation(ctx, "unknown"); return err }, lambdadeck.ENOTFOUND},
		{"begin without request id", func() error { return db.BeginInvocation(ctx, newInvocation("", "f", t0)) }, lambdadeck.EINVALID},
		{"begin without function", func() error { return db.BeginInvocation(ctx, newInvocation("r", "", t0)) }, lambdadeck.EINVALID},
		{"begin with bad status", func() error {
			inv := newInvocation("r", "f", t0)
			inv.Status = "done"
			return db.BeginInvocation(ctx, inv)
		}, lambdadeck.EINVALID},
		{"finish with bad status", func() error {
			inv := newInvocation("dup", "f", t0)
			inv.Status = "done"
			return db.FinishInvocation(ctx, inv)
		}, lambdadeck.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	// The rejected duplicate left the original alone.
	got, err := db.Invocation(ctx, "dup")
	if err != nil || got.Function != "f" {
		t.Errorf("original invocation = %+v, %v", got, err)
	}
}

func TestCrashRecovery(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]lambdadeck.Status{
		"running":   lambdadeck.StatusRunning,
		"queued":    lambdadeck.StatusQueued,
		"succeeded": lambdadeck.StatusSucceeded,
		"failed":    lambdadeck.StatusFailed,
	}
	for id, status := range statuses {
		inv := newInvocation(id, "f", t0)
		inv.Status = status
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if db.Recovered() != 0 {
		t.Errorf("fresh database Recovered() = %d", db.Recovered())
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Recovered() != 2 {
		t.Errorf("Recovered() = %d, want 2", db.Recovered())
	}
	want := map[string]lambdadeck.Status{
		"running":   lambdadeck.StatusInterrupted,
		"queued":    lambdadeck.StatusInterrupted,
		"succeeded": lambdadeck.StatusSucceeded,
		"failed":    lambdadeck.StatusFailed,
	}
	for id, status := range want {
		got, err := db.Invocation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status {
			t.Errorf("%s: status = %q, want %q", id, got.Status, status)
		}
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Recovered() != 0 {
		t.Errorf("second reopen Recovered() = %d, want 0", db.Recovered())
	}
}

// seed records invocations: for i in [0, n), function fn(i), status st(i),
// source src(i), started at t0 + i seconds / 2 (so pairs share a start time
// and the id breaks the tie). Request ids are r000, r001, ...
func seed(t testing.TB, db *DB, n int, fn func(int) string, st func(int) lambdadeck.Status, src func(int) lambdadeck.Source) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		inv := newInvocation(fmt.Sprintf("r%03d", i), fn(i), t0.Add(time.Duration(i/2)*time.Second))
		inv.Source = src(i)
		inv.Event = []byte(fmt.Sprintf(`{"i":%d,"payload":"%s"}`, i, strings.Repeat("p", 1000)))
		inv.Logs = strings.Repeat("log line\n", 100)
		inv.Payload = []byte(`"ok"`)
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = st(i)
		inv.Duration = time.Duration(i) * time.Millisecond
		inv.EndedAt = inv.StartedAt.Add(inv.Duration)
		if st(i) == lambdadeck.StatusFailed {
			inv.Error = &lambdadeck.FunctionError{Type: "Error", Message: fmt.Sprintf("failure %d", i)}
		}
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListInvocations(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	functions := []string{"alpha", "beta", "gamma"}
	statuses := []lambdadeck.Status{lambdadeck.StatusSucceeded, lambdadeck.StatusFailed}
	sources := []lambdadeck.Source{lambdadeck.SourceBrowser, lambdadeck.SourceCLI, lambdadeck.SourceAPI, lambdadeck.SourceTest, lambdadeck.SourceAPI}
	fn := func(i int) string { return functions[i%3] }
	st := func(i int) lambdadeck.Status { return statuses[i%2] }
	src := func(i int) lambdadeck.Source { return sources[i%5] }
	const n = 150
	seed(t, db, n, fn, st, src)

	// expected lists the request ids matching keep, newest first.
	expected := func(keep func(i int) bool) []string {
		var ids []string
		for i := n - 1; i >= 0; i-- {
			if keep(i) {
				ids = append(ids, fmt.Sprintf("r%03d", i))
			}
		}
		return ids
	}
	tests := []struct {
		name   string
		filter InvocationFilter
		want   []string
		pages  int
	}{
		{"all", InvocationFilter{Limit: 60}, expected(func(int) bool { return true }), 3},
		{"function", InvocationFilter{Function: "beta", Limit: 20}, expected(func(i int) bool { return fn(i) == "beta" }), 3},
		{"function and status", InvocationFilter{Function: "alpha", Status: "failed", Limit: 10},
			expected(func(i int) bool { return fn(i) == "alpha" && st(i) == lambdadeck.StatusFailed }), 3},
		{"source", InvocationFilter{Source: "api", Limit: 25}, expected(func(i int) bool { return src(i) == lambdadeck.SourceAPI }), 3},
		{"query on error message", InvocationFilter{Query: "FAILURE 1", Limit: 3},
			expected(func(i int) bool { return st(i) == lambdadeck.StatusFailed && strings.HasPrefix(fmt.Sprint(i), "1") }), 0},
		{"query on request id", InvocationFilter{Query: "r14"}, expected(func(i int) bool { return i >= 140 && i < 150 }), 1},
		{"query on event", InvocationFilter{Query: `"i":7,`}, []string{"r007"}, 1},
		{"default limit", InvocationFilter{}, expected(func(int) bool { return true }), 3},
		{"no match", InvocationFilter{Function: "nope"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			f := tt.filter
			pages := 0
			for {
				page, err := db.ListInvocations(ctx, f)
				if err != nil {
					t.Fatalf("page %d: %v", pages+1, err)
				}
				pages++
				wantLen := tt.filter.Limit
				if wantLen == 0 {
					wantLen = DefaultListLimit
				}
				if page.Next != "" && len(page.Items) != wantLen {
					t.Errorf("page %d has %d items and a next page, want %d", pages, len(page.Items), wantLen)
				}
				for _, inv := range page.Items {
					got = append(got, inv.RequestID)
				}
				if page.Next == "" {
					break
				}
				if pages > n {
					t.Fatal("pagination does not end")
				}
				f.Before = page.Next
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %d items %v\nwant %d items %v", len(got), got, len(tt.want), tt.want)
			}
			if tt.pages != 0 && pages != tt.pages {
				t.Errorf("%d pages, want %d", pages, tt.pages)
			}
			count, err := db.CountInvocations(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if count != len(tt.want) {
				t.Errorf("CountInvocations = %d, want %d", count, len(tt.want))
			}
		})
	}
}

func TestListInvocationsCarriesSummaryOnly(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	inv := newInvocation("r1", "f", t0)
	inv.FixtureID = 3
	inv.Context = []byte(`{"functionName":"f"}`)
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	inv.Status = lambdadeck.StatusFailed
	inv.Error = &lambdadeck.FunctionError{Type: "TypeError", Message: "x is undefined", Stack: []string{"at y"}}
	inv.Payload = []byte(`{"errorType":"TypeError"}`)
	inv.Logs = "logs"
	inv.Cold = true
	inv.InitDuration, inv.Duration, inv.BilledDuration = 100*time.Millisecond, 5*time.Millisecond, 6*time.Millisecond
	inv.MaxMemoryUsedMB = 40
	inv.EndedAt = t0.Add(time.Second)
	if err := db.FinishInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	page, err := db.ListInvocations(ctx, InvocationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("%d items, want 1", len(page.Items))
	}
	want := *inv
	want.Event, want.Context, want.Payload, want.Logs = nil, nil, nil, ""
	want.Error = &lambdadeck.FunctionError{Type: "TypeError", Message: "x is undefined"}
	if got := page.Items[0]; !reflect.DeepEqual(&got, &want) {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
}

func TestListInvocationsRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	seed(t, db, 3, func(int) string { return "f" },
		func(int) lambdadeck.Status { return lambdadeck.StatusSucceeded },
		func(int) lambdadeck.Source { return lambdadeck.SourceCLI })
	tests := []struct {
		name   string
		filter InvocationFilter
	}{
		{"cursor not base64", InvocationFilter{Before: "!!!"}},
		{"cursor without separator", InvocationFilter{Before: encodeCursorText("123")}},
		{"cursor with words", InvocationFilter{Before: encodeCursorText("abc.def")}},
		{"cursor with zero id", InvocationFilter{Before: encodeCursorText("1741964966.0")}},
		{"unknown status", InvocationFilter{Status: "exploded"}},
		{"negative limit", InvocationFilter{Limit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.ListInvocations(ctx, tt.filter)
			wantCode(t, err, lambdadeck.EINVALID)
		})
	}
	_, err := db.CountInvocations(ctx, InvocationFilter{Status: "exploded"})
	wantCode(t, err, lambdadeck.EINVALID)
}

// encodeCursorText encodes s the way cursors are encoded.
func encodeCursorText(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestListInvocationsLimitIsCapped(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	seed(t, db, MaxListLimit+5, func(int) string { return "f" },
		func(int) lambdadeck.Status { return lambdadeck.StatusSucceeded },
		func(int) lambdadeck.Source { return lambdadeck.SourceCLI })
	page, err := db.ListInvocations(ctx, InvocationFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != MaxListLimit || page.Next == "" {
		t.Errorf("%d items, next %q; want %d and a next page", len(page.Items), page.Next, MaxListLimit)
	}
}

func TestQueryEscapesWildcards(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	events := map[string]string{
		"percent":    `{"discount":"100%"}`,
		"no-percent": `{"discount":"1000"}`,
		"underscore": `{"key":"a_b"}`,
		"no-under":   `{"key":"axb"}`,
		"backslash":  `{"path":"C:\\temp"}`,
		"upper":      `{"name":"HELLO"}`,
	}
	for id, event := range events {
		inv := newInvocation(id, "f", t0)
		inv.Event = []byte(event)
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"100%", []string{"percent"}},
		{"a_b", []string{"underscore"}},
		{`C:\\temp`, []string{"backslash"}},
		{"hello", []string{"upper"}},
		{"%", []string{"percent"}},
		{"  no-percent  ", []string{"no-percent"}}, // request id, trimmed
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			page, err := db.ListInvocations(ctx, InvocationFilter{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, inv := range page.Items {
				got = append(got, inv.RequestID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Query %q matched %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestFunctionStats(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)

	// alpha: 60 succeeded with durations 1..60 ms, then one running (not
	// counted in the median) which is the latest. The median of the latest
	// 50 ended (11..60 ms) is 35.5 ms.
	for i := 1; i <= 60; i++ {
		inv := newInvocation(fmt.Sprintf("a%02d", i), "alpha", t0.Add(time.Duration(i)*time.Second))
		inv.Status = lambdadeck.StatusSucceeded
		inv.Duration = time.Duration(i) * time.Millisecond
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	last := newInvocation("a-last", "alpha", t0.Add(time.Hour))
	last.Duration = time.Hour // ignored: still running
	if err := db.BeginInvocation(ctx, last); err != nil {
		t.Fatal(err)
	}
	// beta: three ended (7, 1, 4 ms) and an interrupted one; the latest is
	// the timed out one.
	for i, d := range []int{7, 1, 4} {
		inv := newInvocation(fmt.Sprintf("b%d", i), "beta", t0.Add(time.Duration(i)*time.Minute))
		inv.Status = []lambdadeck.Status{lambdadeck.StatusFailed, lambdadeck.StatusCrashed, lambdadeck.StatusTimedOut}[i]
		inv.Duration = time.Duration(d) * time.Millisecond
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	interrupted := newInvocation("b-int", "beta", t0)
	interrupted.Status = lambdadeck.StatusInterrupted
	if err := db.BeginInvocation(ctx, interrupted); err != nil {
		t.Fatal(err)
	}
	// gamma: only queued.
	queued := newInvocation("g1", "gamma", t0)
	queued.Status = lambdadeck.StatusQueued
	if err := db.BeginInvocation(ctx, queued); err != nil {
		t.Fatal(err)
	}

	got, err := db.FunctionStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]FunctionStats{
		"alpha": {Count: 61, LastStatus: lambdadeck.StatusRunning, LastAt: t0.Add(time.Hour), LastRequestID: "a-last", TypicalDuration: 35500 * time.Microsecond},
		"beta":  {Count: 4, LastStatus: lambdadeck.StatusTimedOut, LastAt: t0.Add(2 * time.Minute), LastRequestID: "b2", TypicalDuration: 4 * time.Millisecond},
		"gamma": {Count: 1, LastStatus: lambdadeck.StatusQueued, LastAt: t0, LastRequestID: "g1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FunctionStats:\n got %+v\nwant %+v", got, want)
	}
}

func TestFunctionStatsEmpty(t *testing.T) {
	got, err := openTestDB(t).FunctionStats(context.Background())
	if err != nil || len(got) != 0 {
		t.Errorf("FunctionStats on an empty database = %v, %v", got, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	// Two handles on one file stand for the server and a CLI process: they
	// share no Go-level lock, only SQLite's, so this also checks the busy
	// timeout.
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	const writers, each = 20, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			db := dbs[w%2]
			for i := range each {
				inv := newInvocation(fmt.Sprintf("w%02d-%02d", w, i), fmt.Sprintf("fn%d", w%4), time.Now())
				if err := db.BeginInvocation(ctx, inv); err != nil {
					errs <- err
					continue
				}
				// A reader between the writes, as the dashboard would.
				if _, err := db.ListInvocations(ctx, InvocationFilter{Function: inv.Function, Limit: 5}); err != nil {
					errs <- err
				}
				inv.Status = lambdadeck.StatusSucceeded
				inv.EndedAt = time.Now()
				if err := db.FinishInvocation(ctx, inv); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, db := range dbs {
		total, err := db.CountInvocations(ctx, InvocationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		succeeded, err := db.CountInvocations(ctx, InvocationFilter{Status: "succeeded"})
		if err != nil {
			t.Fatal(err)
		}
		if total != writers*each || succeeded != writers*each {
			t.Errorf("%d invocations, %d succeeded; want %d of each", total, succeeded, writers*each)
		}
	}
}

// TestQueriesUseIndexes checks that every list order is served by an index,
// without sorting the table, and that the cursor becomes an index range.
func TestQueriesUseIndexes(t *testing.T) {
	db := openTestDB(t)
	seed(t, db, 20, func(i int) string { return fmt.Sprint("f", i%2) },
		func(int) lambdadeck.Status { return lambdadeck.StatusSucceeded },
		func(int) lambdadeck.Source { return lambdadeck.SourceCLI })
	if _, err := db.write.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	cursor := encodeCursor(t0.UnixMicro()+5_000_000, 10)
	tests := []struct {
		filter InvocationFilter
		index  string
	}{
		{InvocationFilter{}, "invocations_started_at"},
		{InvocationFilter{Before: cursor}, "invocations_started_at"},
		{InvocationFilter{Function: "f1", Before: cursor}, "invocations_function"},
		{InvocationFilter{Status: "failed", Before: cursor}, "invocations_status"},
		{InvocationFilter{Source: "api", Before: cursor}, "invocations_source"},
		// A text search walks the same indexes and looks each row id up in
		// the trigram index's matches, so a search matching every row
		// costs one page of rows, not a sort of all of them.
		{InvocationFilter{Query: "needle", Before: cursor}, "invocations_started_at"},
		{InvocationFilter{Query: "needle", Function: "f1"}, "invocations_function"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.filter), func(t *testing.T) {
			where, args, err := filterClause(tt.filter, true)
			if err != nil {
				t.Fatal(err)
			}
			plan := queryPlan(t, db, `SELECT `+summaryColumns+` FROM invocations`+where+
				` ORDER BY started_at DESC, id DESC LIMIT ?`, append(args, 51)...)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, tt.index) {
				t.Errorf("plan %q: want index %s and no sort", plan, tt.index)
			}
			if tt.filter.Query != "" && !strings.Contains(plan, "SCAN invocation_search VIRTUAL TABLE INDEX 0:M") {
				t.Errorf("plan %q: the query does not use the trigram index", plan)
			}
			if tt.filter.Before != "" && !strings.Contains(plan, "started_at<") && !strings.Contains(plan, "(started_at,rowid)<") {
				t.Errorf("plan %q: the cursor is not an index range", plan)
			}
		})
	}
	for name, query := range map[string]string{"counts": functionCountsSQL, "durations": recentDurationsSQL} {
		plan := queryPlan(t, db, query, typicalDurationSample)
		if strings.Contains(plan, "SCAN invocations\n") || strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s plan scans or sorts the table:\n%s", name, plan)
		}
	}
}

func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	if !strings.Contains(query, "?") {
		args = nil
	}
	rows, err := db.read.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	return plan.String()
}

func TestClosedDatabaseFails(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err = db.Ping(context.Background())
	if err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Ping after Close = %v, want an error", err)
	}
}

func TestListInvocationsBreaksTiesByID(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	// Ten invocations in the same microsecond, two more around them.
	var want []string
	for i := range 10 {
		if err := db.BeginInvocation(ctx, newInvocation(fmt.Sprintf("same%d", i), "f", t0)); err != nil {
			t.Fatal(err)
		}
		want = append([]string{fmt.Sprintf("same%d", i)}, want...)
	}
	if err := db.BeginInvocation(ctx, newInvocation("later", "f", t0.Add(time.Microsecond))); err != nil {
		t.Fatal(err)
	}
	if err := db.BeginInvocation(ctx, newInvocation("earlier", "f", t0.Add(-time.Microsecond))); err != nil {
		t.Fatal(err)
	}
	want = append(append([]string{"later"}, want...), "earlier")

	for _, filter := range []InvocationFilter{{Limit: 3}, {Function: "f", Limit: 4}, {Status: "running", Limit: 5}} {
		var got []string
		for {
			page, err := db.ListInvocations(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			for _, inv := range page.Items {
				got = append(got, inv.RequestID)
			}
			if page.Next == "" {
				break
			}
			filter.Before = page.Next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("filter %+v:\n got %v\nwant %v", filter, got, want)
		}
	}
}

func TestRecoveryLeavesLiveProcessAlone(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	server, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := server.BeginInvocation(ctx, newInvocation("live", "f", t0)); err != nil {
		t.Fatal(err)
	}

	// A CLI opens the same database while the server runs the invocation.
	cli, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if cli.Recovered() != 0 {
		t.Errorf("second process Recovered() = %d, want 0", cli.Recovered())
	}
	got, err := cli.Invocation(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lambdadeck.StatusRunning {
		t.Errorf("live invocation status = %q, want running", got.Status)
	}
	cli.Close()
	server.Close()

	// With both gone, the row is stale.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Recovered() != 1 {
		t.Errorf("Recovered() after both closed = %d, want 1", db.Recovered())
	}
}
