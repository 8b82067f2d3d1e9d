package store

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// TestInvocationHeadAndParts: pages read the first bytes of a large event,
// response and log with their whole sizes, never splitting a character;
// downloads stream each part whole, byte for byte.
func TestInvocationHeadAndParts(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	// "é" is two bytes: with the "{" first, the cut at an even count
	// falls inside one.
	event := []byte(`{"d":"` + strings.Repeat("é", 3*1024*1024) + `"}`)
	payload := bytes.Repeat([]byte("0123456789"), 700*1024)
	logs := strings.Repeat("line ✓\n", 100*1024)
	inv := newInvocation("big-1", "f", t0)
	inv.Event = event
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	inv.Payload, inv.Logs, inv.Status = payload, logs, lambdadeck.StatusSucceeded
	inv.EndedAt = t0.Add(1)
	if err := db.FinishInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}

	const limit = 256*1024 + 1
	head, sizes, err := db.InvocationHead(ctx, "big-1", limit)
	if err != nil {
		t.Fatal(err)
	}
	if sizes != (InvocationSizes{Event: len(event), Payload: len(payload), Logs: len(logs)}) {
		t.Errorf("sizes = %+v, want %d/%d/%d", sizes, len(event), len(payload), len(logs))
	}
	for name, part := range map[string][]byte{"event": head.Event, "payload": head.Payload, "logs": []byte(head.Logs)} {
		if len(part) > limit || len(part) < limit-utf8.UTFMax {
			t.Errorf("%s head is %d bytes, want about %d", name, len(part), limit)
		}
		if !utf8.Valid(part) {
			t.Errorf("%s head ends inside a character: % x", name, part[len(part)-4:])
		}
	}
	if !bytes.HasPrefix(event, head.Event) || !bytes.HasPrefix(payload, head.Payload) || !strings.HasPrefix(logs, head.Logs) {
		t.Error("a head is not the start of its part")
	}
	if head.Status != lambdadeck.StatusSucceeded || head.Function != "f" || head.EndedAt.IsZero() {
		t.Errorf("the other fields are not whole: %+v", head)
	}

	// A small invocation is whole, and its sizes match.
	small := newInvocation("small-1", "f", t0)
	if err := db.BeginInvocation(ctx, small); err != nil {
		t.Fatal(err)
	}
	got, sizes, err := db.InvocationHead(ctx, "small-1", limit)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Event) != `{"n":1}` || got.Payload != nil || sizes.Event != 7 || sizes.Payload != 0 {
		t.Errorf("small: event %q payload %v sizes %+v", got.Event, got.Payload, sizes)
	}

	for part, want := range map[InvocationPart][]byte{PartEvent: event, PartResponse: payload, PartLogs: []byte(logs)} {
		var buf bytes.Buffer
		n, err := db.CopyInvocationPart(ctx, &buf, "big-1", part)
		if err != nil {
			t.Fatalf("%s: %v", part, err)
		}
		if n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: copied %d bytes, want %d, equal=%v", part, n, len(want), bytes.Equal(buf.Bytes(), want))
		}
		size, _, err := db.InvocationPartSize(ctx, "big-1", part)
		if err != nil || size != len(want) {
			t.Errorf("%s size = %d, %v; want %d", part, size, err, len(want))
		}
	}
	var buf bytes.Buffer
	if n, err := db.CopyInvocationPart(ctx, &buf, "small-1", PartResponse); err != nil || n != 0 {
		t.Errorf("no payload: %d bytes, %v", n, err)
	}
	_, err = db.CopyInvocationPart(ctx, &buf, "nope", PartEvent)
	wantCode(t, err, lambdadeck.ENOTFOUND)
	_, _, err = db.InvocationHead(ctx, "nope", limit)
	wantCode(t, err, lambdadeck.ENOTFOUND)
	_, err = db.CopyInvocationPart(ctx, &buf, "big-1", "context; DROP TABLE invocations")
	wantCode(t, err, lambdadeck.EINVALID)
	_, _, err = db.InvocationPartSize(ctx, "big-1", "payload")
	wantCode(t, err, lambdadeck.EINVALID)
}
