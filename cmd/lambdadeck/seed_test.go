package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// seedLargeInvocations records n finished invocations of "big", each with
// a 6 MB event, a 1 MB response and a 300 KB log, in the database at path,
// and returns their request ids.
func seedLargeInvocations(t testing.TB, path string, n int) []string {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	event := append([]byte(`{"data":"`), bytes.Repeat([]byte("abcdefgh"), (6<<20)/8-2)...)
	event = append(event, `"}`...)
	payload := bytes.Repeat([]byte(`{"k":"v"},`), (1<<20)/10)
	logs := string(bytes.Repeat([]byte("a log line of the handler\n"), 300*1024/26))
	ids := make([]string, n)
	for i := range ids {
		inv := &lambdadeck.Invocation{
			RequestID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Function: "big",
			Source: lambdadeck.SourceAPI, Event: event, Status: lambdadeck.StatusRunning,
			MemorySizeMB: 128, StartedAt: time.Now(),
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Payload, inv.Logs, inv.Status, inv.EndedAt = payload, logs, lambdadeck.StatusSucceeded, time.Now()
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		ids[i] = inv.RequestID
	}
	return ids
}
