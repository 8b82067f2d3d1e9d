package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// BenchmarkBeginFinishInvocation measures the store's share of one warm
// invocation: the insert before delivery and the update after it.
func BenchmarkBeginFinishInvocation(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	event := []byte(`{"httpMethod":"GET","path":"/hello","queryStringParameters":{"name":"world"}}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		inv := &lambdadeck.Invocation{
			RequestID:    fmt.Sprintf("bench-%d", i),
			Function:     "hello",
			Source:       lambdadeck.SourceAPI,
			Event:        event,
			Context:      []byte(`{"functionName":"hello"}`),
			MemorySizeMB: 128,
			StartedAt:    time.Now(),
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
		inv.Payload = []byte(`{"statusCode":200,"body":"hello world"}`)
		inv.ContentType = "application/json"
		inv.Logs = "START RequestId: x Version: $LATEST\nhello\nEND RequestId: x\nREPORT RequestId: x\n"
		inv.Status = lambdadeck.StatusSucceeded
		inv.Duration, inv.BilledDuration = 1200*time.Microsecond, 2*time.Millisecond
		inv.MaxMemoryUsedMB = 60
		inv.EndedAt = time.Now()
		if err := db.FinishInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBeginFinishInvocationParallel is the same write path from 16
// concurrent callers, as 16 busy instances of one function make it: the
// writer commits the rows waiting together (writer.go).
func BenchmarkBeginFinishInvocationParallel(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	event := []byte(`{"httpMethod":"GET","path":"/hello","queryStringParameters":{"name":"world"}}`)
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			inv := &lambdadeck.Invocation{
				RequestID: fmt.Sprintf("bench-%d", next.Add(1)), Function: "hello", Source: lambdadeck.SourceAPI,
				Event: event, Context: []byte(`{"functionName":"hello"}`), MemorySizeMB: 128, StartedAt: time.Now(),
			}
			if err := db.BeginInvocation(ctx, inv); err != nil {
				b.Fatal(err)
			}
			inv.Payload, inv.Status, inv.EndedAt = []byte(`{"statusCode":200,"body":"hello world"}`), lambdadeck.StatusSucceeded, time.Now()
			if err := db.FinishInvocation(ctx, inv); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListInvocations lists pages of a 10k-row history whose events
// and logs are a few kB each.
func BenchmarkListInvocations(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	statuses := []lambdadeck.Status{lambdadeck.StatusSucceeded, lambdadeck.StatusSucceeded, lambdadeck.StatusFailed}
	seed(b, db, 10_000, func(i int) string { return fmt.Sprint("fn", i%10) },
		func(i int) lambdadeck.Status { return statuses[i%3] },
		func(i int) lambdadeck.Source { return lambdadeck.SourceBrowser })

	deep, err := db.ListInvocations(ctx, InvocationFilter{Limit: MaxListLimit})
	if err != nil {
		b.Fatal(err)
	}
	for range 20 { // 4,000 rows in
		if deep, err = db.ListInvocations(ctx, InvocationFilter{Limit: MaxListLimit, Before: deep.Next}); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		filter InvocationFilter
	}{
		{"first page", InvocationFilter{}},
		{"deep page", InvocationFilter{Before: deep.Next}},
		{"function and status", InvocationFilter{Function: "fn3", Status: "failed"}},
		{"query", InvocationFilter{Query: "failure 99"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := db.ListInvocations(ctx, c.filter)
				if err != nil || len(page.Items) == 0 {
					b.Fatal(len(page.Items), err)
				}
			}
		})
	}
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.CountInvocations(ctx, InvocationFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("function stats", func(b *testing.B) {
		for b.Loop() {
			stats, err := db.FunctionStats(ctx)
			if err != nil || len(stats) != 10 {
				b.Fatal(len(stats), err)
			}
		}
	})
}

// BenchmarkListInvocationsLargeEvents lists a history of 6 MB events: a page
// must cost about what it costs with small ones, since lists never read the
// event.
func BenchmarkListInvocationsLargeEvents(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	event := []byte(`{"data":"` + strings.Repeat("x", lambdadeck.MaxSyncPayload-12) + `"}`)
	for i := range 30 {
		inv := newInvocation(fmt.Sprintf("big%02d", i), "f", t0.Add(time.Duration(i)*time.Second))
		inv.Event = event
		if err := db.BeginInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		page, err := db.ListInvocations(ctx, InvocationFilter{})
		if err != nil || len(page.Items) != 30 {
			b.Fatal(len(page.Items), err)
		}
	}
}

// BenchmarkListInvocationsSearch lists and counts the text search of a
// 10k-row history with 2 kB events, for queries that match one row, a
// hundred, none, every row (only the page is listed), an error message,
// and a 2-character query (which scans: trigrams need 3).
func BenchmarkListInvocationsSearch(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	seedSearch(b, db)
	cases := []struct {
		name  string
		query string
		count int
	}{
		{"one row", "order-9999", 1},
		{"hundred rows", "order-99", 111},
		{"no row", "nothing-matches", 0},
		{"every row", "ORDER-", 10_000},
		{"error message", "timeout 77", 11},
		{"two characters", "-7", 1111},
	}
	for _, c := range cases {
		b.Run("list "+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, err := db.ListInvocations(ctx, InvocationFilter{Query: c.query})
				if err != nil || len(page.Items) != min(c.count, DefaultListLimit) {
					b.Fatal(len(page.Items), err)
				}
			}
		})
		b.Run("count "+c.name, func(b *testing.B) {
			for b.Loop() {
				n, err := db.CountInvocations(ctx, InvocationFilter{Query: c.query})
				if err != nil || n != c.count {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// seedSearch records 10k invocations with 2 kB events of words, their
// order number (order-N) and, for every tenth, an error message
// ("upstream timeout N").
func seedSearch(b *testing.B, db *DB) {
	ctx := context.Background()
	words := strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa")
	for i := range 10_000 {
		var pad strings.Builder
		for j := 0; pad.Len() < 2000; j++ {
			pad.WriteString(words[(i*7+j*j)%len(words)])
			pad.WriteByte(' ')
		}
		inv := newInvocation(fmt.Sprintf("req-%05d", i), "hello", t0.Add(time.Duration(i)*time.Millisecond))
		inv.Event = []byte(fmt.Sprintf(`{"order":"order-%d","pad":%q}`, i, pad.String()))
		if err := db.BeginInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if i%10 == 0 {
			inv.Status = lambdadeck.StatusFailed
			inv.Error = &lambdadeck.FunctionError{Type: "Error", Message: fmt.Sprintf("upstream timeout %d", i)}
		}
		inv.EndedAt = inv.StartedAt.Add(time.Millisecond)
		if err := db.FinishInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}
