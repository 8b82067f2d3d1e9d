package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestParseRetentionLimits(t *testing.T) {
	ages := map[string]time.Duration{"": 0, "0": 0, "30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, "2w": 14 * 24 * time.Hour, "1.5d": 36 * time.Hour}
	for in, want := range ages {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"30", "d", "-3d", "30days", "1e400d", "-1h"} {
		if _, err := ParseAge(in); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(err.Error(), "such as 30d") {
			t.Errorf("ParseAge(%q): %v, want EINVALID with an example", in, err)
		}
	}
	counts := map[string]int{"": 0, "1000000": 1_000_000, "1_000_000": 1_000_000, "1,000": 1000, "1M": 1_000_000, "250k": 250_000}
	for in, want := range counts {
		if got, err := ParseCount(in); err != nil || got != want {
			t.Errorf("ParseCount(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-5", "1.5", "lots", "99999999999"} {
		if _, err := ParseCount(in); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
			t.Errorf("ParseCount(%q): %v, want EINVALID", in, err)
		}
	}
	sizes := map[string]int64{"": 0, "5GB": 5e9, "500MB": 500e6, "2GiB": 2 << 30, "1.5gb": 1.5e9, "10 MB": 10e6}
	for in, want := range sizes {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"5": "such as 5GB", "5XB": "such as 5GB", "-1GB": "such as 5GB", "10KB": "under 1 MB"} {
		if _, err := ParseBytes(in); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBytes(%q): %v, want EINVALID saying %q", in, err, want)
		}
	}
	r := Retention{MaxAge: 30 * 24 * time.Hour, MaxInvocations: 1000, MaxBytes: 5e9}
	if got := r.String(); got != "keep 30d, keep 1000 invocations, keep 5GB" {
		t.Errorf("String() = %q", got)
	}
}

// fill records n finished invocations of size bytes of event each, the
// i-th started age(i) ago, and returns their request ids.
func fill(t *testing.T, db *DB, n, size int, age func(i int) time.Duration) []string {
	t.Helper()
	ctx := context.Background()
	pad := strings.Repeat("x", size)
	ids := make([]string, n)
	for i := range n {
		started := time.Now().Add(-age(i))
		inv := &lambdadeck.Invocation{
			RequestID: fmt.Sprintf("r-%05d-%d", i, started.UnixNano()), Function: "fn", StartedAt: started,
			Event: []byte(`{"i":` + fmt.Sprint(i) + `,"pad":"` + pad + `"}`),
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status, inv.EndedAt = lambdadeck.StatusFailed, started.Add(time.Millisecond)
		inv.Error = &lambdadeck.FunctionError{Type: "Error", Message: fmt.Sprintf("boom %d", i)}
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		ids[i] = inv.RequestID
	}
	return ids
}

func exists(t *testing.T, db *DB, id string) bool {
	t.Helper()
	_, err := db.Invocation(context.Background(), id)
	if err != nil && lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Fatal(err)
	}
	return err == nil
}

func countRows(t *testing.T, db *DB, query string) int {
	t.Helper()
	var n int
	if err := db.read.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestPruneKeepsPinnedAndFixtureRuns: each limit removes the oldest
// invocations beyond it and what hangs off them, but never a pinned one, a
// fixture's latest run or one still running.
func TestPruneKeepsPinnedAndFixtureRuns(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	// 100 invocations, the i-th (100-i) days old: 0 is the oldest.
	ids := fill(t, db, 100, 200, func(i int) time.Duration { return time.Duration(100-i) * 24 * time.Hour })
	if err := db.PinInvocation(ctx, ids[0], true); err != nil {
		t.Fatal(err)
	}
	fx := &lambdadeck.Fixture{Function: "fn", Name: "saved", Event: []byte(`{}`)}
	if err := db.CreateFixture(ctx, fx); err != nil {
		t.Fatal(err)
	}
	fixtureRun := &lambdadeck.Invocation{RequestID: "fixture-run", Function: "fn", FixtureID: fx.ID, StartedAt: time.Now().Add(-200 * 24 * time.Hour)}
	if err := db.BeginInvocation(ctx, fixtureRun); err != nil {
		t.Fatal(err)
	}
	fixtureRun.Status = lambdadeck.StatusSucceeded
	if err := db.FinishInvocation(ctx, fixtureRun); err != nil {
		t.Fatal(err)
	}
	if err := db.SetExpectationResult(ctx, ids[1], lambdadeck.ExpectationResult{Passed: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveHTTPExchange(ctx, ids[2], lambdadeck.HTTPExchange{Method: "GET", Path: "/", Route: "GET /", API: "api", Status: 200}); err != nil {
		t.Fatal(err)
	}
	running := &lambdadeck.Invocation{RequestID: "still-running", Function: "fn", StartedAt: time.Now().Add(-300 * 24 * time.Hour)}
	if err := db.BeginInvocation(ctx, running); err != nil {
		t.Fatal(err)
	}
	if _, err := db.IndexErrors(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM invocation_errors`); n != 100 {
		t.Fatalf("%d failures filed, want 100", n)
	}

	// Age: older than 50.5 days goes (ids 0..49), but for the pinned one.
	res, err := db.Prune(ctx, Retention{MaxAge: 50*24*time.Hour + 12*time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 49 {
		t.Errorf("age limit deleted %d, want 49", res.Deleted)
	}
	for i, id := range ids {
		if want := i == 0 || i >= 50; exists(t, db, id) != want {
			t.Errorf("after the age limit, invocation %d exists: %v, want %v", i, !want, want)
		}
	}
	for _, id := range []string{"fixture-run", "still-running"} {
		if !exists(t, db, id) {
			t.Errorf("%s was pruned", id)
		}
	}
	for query, want := range map[string]int{
		`SELECT count(*) FROM expectation_results`:                                          0,
		`SELECT count(*) FROM invocation_http`:                                              0,
		`SELECT count(*) FROM invocation_errors`:                                            51,
		`SELECT count(*) FROM invocation_search WHERE invocation_search MATCH '"r-00001-"'`: 0,
		`SELECT count(*) FROM invocation_search`:                                            53,
	} {
		if got := countRows(t, db, query); got != want {
			t.Errorf("%s = %d, want %d", query, got, want)
		}
	}

	// Count: 53 rows now (50 young, pinned, fixture run, running); keep 20.
	if _, err := db.Prune(ctx, Retention{MaxInvocations: 20}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountInvocations(ctx, InvocationFilter{}); n != 20 {
		t.Errorf("%d invocations after keep-invocations 20", n)
	}
	for i := 83; i < 100; i++ { // the newest 17, and the 3 kept ones
		if !exists(t, db, ids[i]) {
			t.Errorf("invocation %d, among the newest, was pruned", i)
		}
	}
	if !exists(t, db, ids[0]) || !exists(t, db, "fixture-run") || !exists(t, db, "still-running") {
		t.Error("a kept invocation was pruned by the count limit")
	}

	// Unpinned, the pinned one goes with the next age pass.
	if err := db.PinInvocation(ctx, ids[0], false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(ctx, Retention{MaxAge: 50 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if exists(t, db, ids[0]) {
		t.Error("an unpinned old invocation was kept")
	}
	if err := db.PinInvocation(ctx, "nope", true); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("pinning an unknown id: %v", err)
	}
}

// TestPruneBytesShrinksFile: a byte limit removes the oldest until the
// database uses no more, and the file shrinks (incremental vacuum).
func TestPruneBytesShrinksFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := db.Info(ctx)
	if err != nil || !info.Reclaims {
		t.Fatalf("a new database does not reclaim space: %+v %v", info, err)
	}
	ids := fill(t, db, 1500, 16_000, func(i int) time.Duration { return time.Duration(1500-i) * time.Minute })
	if _, err := db.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	if before < 20e6 {
		t.Fatalf("the filled database is only %d bytes", before)
	}
	limit := int64(6e6)
	res, err := db.Prune(ctx, Retention{MaxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	after := fileSize(t, path)
	t.Logf("deleted %d, reclaimed %d pages: %d -> %d bytes", res.Deleted, res.PagesReclaimed, before, after)
	if after > limit || after >= before/3 {
		t.Errorf("the file is %d bytes after pruning to %d (it was %d)", after, limit, before)
	}
	if res.PagesReclaimed == 0 {
		t.Error("no page was reclaimed")
	}
	if !exists(t, db, ids[len(ids)-1]) || exists(t, db, ids[0]) {
		t.Error("the byte limit did not take the oldest first")
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestOpenConvertsSmallDatabaseToIncrementalVacuum: a database made
// without auto_vacuum (as lambdadeck made them before) is converted at
// Open, keeping its rows.
func TestOpenConvertsSmallDatabaseToIncrementalVacuum(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ids := fill(t, db, 20, 100, func(i int) time.Duration { return time.Minute })
	// Turn it off as an old database would have it.
	if _, err := db.write.Exec(`PRAGMA auto_vacuum = NONE`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`VACUUM`); err != nil {
		t.Fatal(err)
	}
	if info, _ := db.Info(ctx); info.Reclaims {
		t.Fatal("the test could not turn auto_vacuum off")
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if info, _ := db.Info(ctx); !info.Reclaims {
		t.Error("Open did not convert the database to incremental auto_vacuum")
	}
	if !exists(t, db, ids[19]) {
		t.Error("converting lost a row")
	}
}

// TestPruneWhileRecording: invocations keep being recorded while a prune
// of thousands of rows runs, and none fails.
func TestPruneWhileRecording(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fill(t, db, 3000, 2000, func(i int) time.Duration { return 48 * time.Hour })

	var wg sync.WaitGroup
	done := make(chan struct{})
	var recorded []string
	var failures []error
	var mu sync.Mutex
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				inv := &lambdadeck.Invocation{RequestID: fmt.Sprintf("live-%d-%d", w, i), Function: "fn", Event: []byte(`{"live":true}`)}
				err := db.BeginInvocation(ctx, inv)
				if err == nil {
					inv.Status, inv.EndedAt = lambdadeck.StatusSucceeded, time.Now()
					err = db.FinishInvocation(ctx, inv)
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					recorded = append(recorded, inv.RequestID)
				}
				mu.Unlock()
			}
		}()
	}
	res, err := db.Prune(ctx, Retention{MaxAge: 24 * time.Hour})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 3000 {
		t.Errorf("deleted %d, want the 3000 old ones", res.Deleted)
	}
	if len(failures) > 0 {
		t.Fatalf("%d invocations failed to record during the prune, first: %v", len(failures), failures[0])
	}
	if len(recorded) < 10 {
		t.Errorf("only %d invocations were recorded during the prune", len(recorded))
	}
	n, err := db.CountInvocations(ctx, InvocationFilter{})
	if err != nil || n != len(recorded) {
		t.Errorf("%d invocations remain, want the %d recorded during the prune (%v)", n, len(recorded), err)
	}
}
