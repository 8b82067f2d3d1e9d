package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(i + 1) // 1..100
	}
	twenty := make([]int64, 20)
	for i := range twenty {
		twenty[i] = int64(10 * (i + 1)) // 10..200
	}
	cases := []struct {
		name   string
		sorted []int64
		p      float64
		want   int64
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", []int64{7}, 99, 7},
		{"p50 of 1..100 is the 50th", hundred, 50, 50},
		{"p95 of 1..100 is the 95th", hundred, 95, 95},
		{"p99 of 1..100 is the 99th", hundred, 99, 99},
		{"p100 is the largest", hundred, 100, 100},
		{"p95 of 20 values is the 19th (not rounded down by float error)", twenty, 95, 190},
		{"p50 of an even count is the lower middle", []int64{1, 2, 3, 4}, 50, 2},
		{"p99 of 3 values is the largest", []int64{1, 2, 3}, 99, 3},
		{"p1 of 1..100 is the smallest", hundred, 1, 1},
	}
	for _, c := range cases {
		if got := Percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: Percentile(p=%v) = %d, want %d", c.name, c.p, got, c.want)
		}
	}
}

func TestNormalizeErrorMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"order 12345 has no line items", "order <n> has no line items"},
		{`user "3f2a9c1e-1234-4abc-8def-0123456789ab" not found`, `user "<str>" not found`},
		{"no session 3f2a9c1e-1234-4abc-8def-0123456789ab", "no session <uuid>"},
		{"Cannot read properties of undefined (reading 'id')", `Cannot read properties of undefined (reading "<str>")`},
		{"connect ECONNREFUSED 10.0.3.4:5432 after 3012ms", "connect ECONNREFUSED <n>.<n>:<n> after <n>ms"},
		{"bad pointer 0x7ffd5e8c at frame 3", "bad pointer <hex> at frame <n>"},
		{"trace deadbeef00c0ffee broke", "trace <hex> broke"},
		{"took 1.25 s", "took <n> s"},
		{"  two\n\tlines  ", "two lines"},
		{"Runtime exited with error: exit status 1", "Runtime exited with error: exit status <n>"},
		// Words of hex letters alone are words, not ids.
		{"decade facade", "decade facade"},
		{`escaped "a \" quote" ends`, `escaped "<str>" ends`},
	}
	for _, c := range cases {
		if got := NormalizeErrorMessage(c.in); got != c.want {
			t.Errorf("NormalizeErrorMessage(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Two occurrences of one error fall into one group.
	a := NormalizeErrorMessage(`RequestId: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0 Error: user 'ada' has 3 orders`)
	b := NormalizeErrorMessage(`RequestId: 99999999-aaaa-4bbb-8ccc-dddddddddddd Error: user 'grace' has 12 orders`)
	if a != b {
		t.Errorf("one error, two fingerprints: %q and %q", a, b)
	}
}

// record begins and finishes one invocation of fn at started.
func recordAt(t *testing.T, db *DB, fn string, started time.Time, status lambdadeck.Status, d time.Duration, fe *lambdadeck.FunctionError) *lambdadeck.Invocation {
	t.Helper()
	ctx := context.Background()
	inv := &lambdadeck.Invocation{RequestID: fmt.Sprintf("%s-%d", fn, started.UnixNano()), Function: fn, StartedAt: started, MemorySizeMB: 256, Event: []byte(`{}`)}
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if status == lambdadeck.StatusRunning {
		return inv
	}
	inv.Status, inv.Duration, inv.Error, inv.EndedAt = status, d, fe, started.Add(d)
	inv.MaxMemoryUsedMB = 40 + int(d/time.Millisecond)
	if err := db.FinishInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestFunctionTrends(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// Hour 0: durations 1..10 ms, two of them failed, one cold start.
	for i := 1; i <= 10; i++ {
		status, fe := lambdadeck.StatusSucceeded, (*lambdadeck.FunctionError)(nil)
		if i > 8 {
			status, fe = lambdadeck.StatusFailed, &lambdadeck.FunctionError{Type: "Error", Message: "boom"}
		}
		recordAt(t, db, "fn", base.Add(time.Duration(i)*time.Minute), status, time.Duration(i)*time.Millisecond, fe)
	}
	// Hour 2: one running (no duration), one timed out; another function.
	recordAt(t, db, "fn", base.Add(2*time.Hour+time.Minute), lambdadeck.StatusRunning, 0, nil)
	recordAt(t, db, "fn", base.Add(2*time.Hour+2*time.Minute), lambdadeck.StatusTimedOut, 3*time.Second,
		&lambdadeck.FunctionError{Type: "Sandbox.Timedout", Message: "timed out"})
	recordAt(t, db, "other", base.Add(time.Minute), lambdadeck.StatusSucceeded, time.Second, nil)

	tr, err := db.FunctionTrends(ctx, "fn", base, base.Add(3*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Buckets) != 3 {
		t.Fatalf("%d buckets, want 3", len(tr.Buckets))
	}
	h0, h1, h2 := tr.Buckets[0], tr.Buckets[1], tr.Buckets[2]
	if h0.Count != 10 || h0.Ended != 10 || h0.Errors != 2 || h0.P50 != 5*time.Millisecond || h0.P95 != 10*time.Millisecond || h0.P99 != 10*time.Millisecond {
		t.Errorf("hour 0: %+v", h0)
	}
	if h0.MaxMemoryUsedMB != 50 || h0.MemorySizeMB != 256 {
		t.Errorf("hour 0 memory: %d of %d MB", h0.MaxMemoryUsedMB, h0.MemorySizeMB)
	}
	if h1.Count != 0 || !h1.Start.Equal(base.Add(time.Hour)) {
		t.Errorf("hour 1 should be empty at %s: %+v", base.Add(time.Hour), h1)
	}
	if h2.Count != 2 || h2.Ended != 1 || h2.Errors != 1 || h2.P50 != 3*time.Second {
		t.Errorf("hour 2: %+v", h2)
	}
	if tr.Total.Count != 12 || tr.Total.Ended != 11 || tr.Total.Errors != 3 || tr.Total.P50 != 6*time.Millisecond {
		t.Errorf("total: %+v", tr.Total)
	}
	if got := tr.Total.ErrorRate(); got != 3.0/11 {
		t.Errorf("error rate %v", got)
	}
	if _, err := db.FunctionTrends(ctx, "fn", base, base.Add(2000*time.Hour), time.Hour); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("2000 buckets: %v, want EINVALID", err)
	}
}

func TestErrorGroupsIndexer(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	base := time.Now().Add(-time.Hour).UTC()
	for i := range 3 {
		recordAt(t, db, "orders", base.Add(time.Duration(i)*time.Minute), lambdadeck.StatusFailed, time.Millisecond,
			&lambdadeck.FunctionError{Type: "ValidationError", Message: fmt.Sprintf("order %d has no items", 100+i)})
	}
	recordAt(t, db, "orders", base.Add(4*time.Minute), lambdadeck.StatusFailed, time.Millisecond,
		&lambdadeck.FunctionError{Type: "TypeError", Message: "x is undefined"})
	recordAt(t, db, "orders", base.Add(5*time.Minute), lambdadeck.StatusSucceeded, time.Millisecond, nil)
	// Still running when the indexer reads it; it fails afterwards.
	late := recordAt(t, db, "orders", base.Add(6*time.Minute), lambdadeck.StatusRunning, 0, nil)

	if _, err := db.IndexErrors(ctx, 0); err != nil {
		t.Fatal(err)
	}
	groups, err := db.ErrorGroups(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 {
		t.Fatalf("%d groups, want 2: %+v", len(groups), groups)
	}
	var validation ErrorGroup
	for _, g := range groups {
		if g.ErrorType == "ValidationError" {
			validation = g
		}
	}
	if validation.Count != 3 || validation.Fingerprint != "order <n> has no items" || validation.LatestMessage != "order 102 has no items" {
		t.Errorf("validation group %+v", validation)
	}
	if !validation.FirstSeen.Equal(base.Truncate(time.Microsecond)) || !validation.LastSeen.Equal(base.Add(2*time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("first %s last %s", validation.FirstSeen, validation.LastSeen)
	}

	late.Status, late.Error, late.EndedAt = lambdadeck.StatusFailed, &lambdadeck.FunctionError{Type: "ValidationError", Message: "order 999 has no items"}, time.Now()
	if err := db.FinishInvocation(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, err := db.IndexErrors(ctx, 0); err != nil {
		t.Fatal(err)
	}
	page, err := db.ListInvocations(ctx, InvocationFilter{ErrorGroup: validation.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 4 || page.Items[0].RequestID != late.RequestID {
		t.Errorf("the group's history has %d rows (want 4, the late failure first)", len(page.Items))
	}
	// Indexing again files nothing twice.
	if _, err := db.IndexErrors(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if groups, _ = db.ErrorGroups(ctx, "orders"); len(groups) != 2 || groups[0].Count+groups[1].Count != 5 {
		t.Errorf("after reindexing: %+v", groups)
	}
}

// TestErrorGroupStopsAfterCodeChange: a group lists the code versions its
// failures ran, and says it stopped once the function runs a newer version
// without failing so.
func TestErrorGroupStopsAfterCodeChange(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	v1 := &lambdadeck.CodeVersion{Commit: "1111111111111111111111111111111111111111"}
	v2 := &lambdadeck.CodeVersion{Commit: "2222222222222222222222222222222222222222"}
	base := time.Now().Add(-time.Hour)
	run := func(at time.Duration, code *lambdadeck.CodeVersion, fe *lambdadeck.FunctionError) {
		inv := &lambdadeck.Invocation{RequestID: fmt.Sprintf("v-%d", at), Function: "fn", StartedAt: base.Add(at), Code: code, Event: []byte(`{}`)}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status, inv.Error, inv.EndedAt = lambdadeck.StatusSucceeded, fe, base.Add(at+time.Millisecond)
		if fe != nil {
			inv.Status = lambdadeck.StatusFailed
		}
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	boom := func(n int) *lambdadeck.FunctionError {
		return &lambdadeck.FunctionError{Type: "Error", Message: fmt.Sprintf("item %d missing", n)}
	}
	run(time.Minute, v1, boom(1))
	run(2*time.Minute, v1, boom(2))
	groups := func() []ErrorGroup {
		t.Helper()
		if _, err := db.IndexErrors(ctx, 0); err != nil {
			t.Fatal(err)
		}
		g, err := db.ErrorGroups(ctx, "fn")
		if err != nil || len(g) != 1 {
			t.Fatalf("groups %+v, %v", g, err)
		}
		return g
	}
	if g := groups()[0]; len(g.CodeVersions) != 1 || g.CodeVersions[0] != v1.Key() || g.StoppedAfter != "" {
		t.Errorf("under v1: %+v", g)
	}
	run(3*time.Minute, v2, nil) // the fix
	if g := groups()[0]; g.StoppedAfter != v2.Key() {
		t.Errorf("after the fix: StoppedAfter %q, want %q", g.StoppedAfter, v2.Key())
	}
	run(4*time.Minute, v2, boom(3)) // it was not fixed after all
	if g := groups()[0]; g.StoppedAfter != "" || len(g.CodeVersions) != 2 || g.CodeVersions[1] != v2.Key() {
		t.Errorf("failing again under v2: %+v", g)
	}
}
