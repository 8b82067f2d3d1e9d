package store

import (
	"context"
	"fmt"
	"strings"
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
