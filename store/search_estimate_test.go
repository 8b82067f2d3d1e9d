package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestSearchChunksAndEstimates: a text search pages through matches
// newest recorded first across the index's chunks, applies the other
// filters to them, counts a rare term exactly and estimates a common one.
func TestSearchChunksAndEstimates(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	base := time.Now().Add(-time.Hour)
	const n = 3000
	for i := range n {
		word := "visitor"
		if i%10 != 0 {
			word = "customer" // nine in ten
		}
		if i == 1234 || i == 2345 {
			word += " quokka"
		}
		fn := "a"
		if i%3 == 0 {
			fn = "b"
		}
		inv := &lambdadeck.Invocation{RequestID: fmt.Sprintf("s-%04d", i), Function: fn, StartedAt: base.Add(time.Duration(i) * time.Millisecond),
			Event: []byte(`{"who":"` + word + `"}`)}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	// Every match of "customer" in function b, page by page, newest first.
	var got []string
	f := InvocationFilter{Query: "Customer", Function: "b", Limit: 200}
	for pages := 0; ; pages++ {
		page, err := db.ListInvocations(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range page.Items {
			got = append(got, inv.RequestID)
		}
		if page.Next == "" || pages > 50 {
			break
		}
		f.Before = page.Next
	}
	var want []string
	for i := n - 1; i >= 0; i-- {
		if i%10 != 0 && i%3 == 0 {
			want = append(want, fmt.Sprintf("s-%04d", i))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged search found %d rows, want %d (first %v, want %v)", len(got), len(want), got[:min(3, len(got))], want[:3])
	}

	count, estimated, err := db.EstimateInvocations(ctx, InvocationFilter{Query: "quokka"})
	if err != nil || count != 2 || estimated {
		t.Errorf("rare: %d estimated=%v %v, want exactly 2", count, estimated, err)
	}
	count, estimated, err = db.EstimateInvocations(ctx, InvocationFilter{Query: "customer"})
	if err != nil || !estimated || count < 2500 || count > 2900 {
		t.Errorf("common: about %d (estimated=%v, %v), want about 2700", count, estimated, err)
	}
	count, estimated, err = db.EstimateInvocations(ctx, InvocationFilter{Query: "customer", Function: "a"})
	if err != nil || !estimated || count < 1600 || count > 2000 {
		t.Errorf("common in a: about %d (estimated=%v, %v), want about 1800", count, estimated, err)
	}

	// The cached total follows new rows and prunes.
	if n0, _ := db.CountInvocations(ctx, InvocationFilter{}); n0 != n {
		t.Errorf("count %d, want %d", n0, n)
	}
	recordAt(t, db, "a", time.Now(), lambdadeck.StatusSucceeded, time.Millisecond, nil)
	if n1, _ := db.CountInvocations(ctx, InvocationFilter{}); n1 != n+1 {
		t.Errorf("count after one more %d, want %d", n1, n+1)
	}
	if _, err := db.Prune(ctx, Retention{MaxInvocations: 1000}); err != nil {
		t.Fatal(err)
	}
	if n2, _ := db.CountInvocations(ctx, InvocationFilter{}); n2 != 1000 {
		t.Errorf("count after pruning to 1000: %d", n2)
	}
}
