package web

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// bigStreamJS streams event.mb megabytes of a repeating pattern, 64 KiB at
// a time, honouring backpressure.
const bigStreamJS = `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = 97 + (i % 26);
  for (let sent = 0; sent < event.mb * 1024 * 1024; sent += chunk.length) {
    if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
  }
  stream.end();
});
`

// TestInvokeWithResponseStreamBeyondTheBufferedLimit: a streamed response
// may exceed the 6 MB of a buffered one (up to the stream limit, 200 MB by
// default); the client gets every byte, in order, as it is streamed, and
// the record keeps the first 6 MB with the whole size in its chunks.
func TestInvokeWithResponseStreamBeyondTheBufferedLimit(t *testing.T) {
	ts, db := serveNodeFunction(t, bigStreamJS, lambdadeck.Function{Name: "big", Runtime: "nodejs20.x", Handler: "index.handler",
		Timeout: 60 * time.Second, MemoryMB: 512})
	const mb = 30
	out, err := newLambdaClient(ts.URL).InvokeWithResponseStream(context.Background(), &awslambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("big"),
		Payload:      []byte(`{"mb": 30}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	got := sha256.New()
	want := sha256.New()
	pattern := make([]byte, 64*1024)
	for i := range pattern {
		pattern[i] = byte(97 + i%26)
	}
	for range mb * 16 {
		want.Write(pattern)
	}
	var n, events int
	completed := false
	for ev := range stream.Events() {
		switch ev := ev.(type) {
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			n += len(ev.Value.Payload)
			events++
			got.Write(ev.Value.Payload)
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			completed = aws.ToString(ev.Value.ErrorCode) == ""
			if !completed {
				t.Errorf("InvokeComplete: %s %s", aws.ToString(ev.Value.ErrorCode), aws.ToString(ev.Value.ErrorDetails))
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if n != mb<<20 || string(got.Sum(nil)) != string(want.Sum(nil)) || !completed {
		t.Fatalf("got %d bytes in %d events (want %d, same bytes), completed %v", n, events, mb<<20, completed)
	}
	if events < 10 {
		t.Errorf("%d events: the stream was not forwarded chunk by chunk", events)
	}
	page, err := db.ListInvocations(context.Background(), store.InvocationFilter{Function: "big"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("recorded: %v %v", page.Items, err)
	}
	inv, err := db.Invocation(context.Background(), page.Items[0].RequestID)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range inv.Chunks {
		total += c.Size
	}
	if inv.Status != lambdadeck.StatusSucceeded || len(inv.Payload) != lambdadeck.MaxResponsePayload || total != mb<<20 {
		t.Errorf("record: %s, %d bytes kept, chunks total %d", inv.Status, len(inv.Payload), total)
	}
	resp, err := http.Get(ts.URL + "/invocations/" + inv.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	note := text(oneByTestID(t, parseHTML(t, string(body)), "stream-kept"))
	if note != "The handler streamed 30.0 MB; lambdadeck keeps the first 6.0 MB of it." {
		t.Errorf("the permalink says %q", note)
	}
}
