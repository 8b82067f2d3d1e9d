package invoker

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestStreamLimit: a streamed response may pass the buffered 6 MB, up to
// the configured stream limit; past it the invocation fails with
// Function.ResponseSizeTooLarge naming that limit.
func TestStreamLimit(t *testing.T) {
	t.Parallel()
	requireNode(t)
	fn := nodeFunction(t, "streamer", "index.handler", map[string]string{"index.js": `
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  const chunk = Buffer.alloc(256 * 1024, 120);
  for (let sent = 0; sent < event.kb * 1024; sent += chunk.length) {
    if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
  }
  stream.end();
});`})
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(), StreamLimit: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	run := func(kb int) *lambdadeck.Invocation {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		inv, err := iv.Invoke(ctx, lambdadeck.InvokeRequest{Function: "streamer", Event: []byte(`{"kb":` + strconv.Itoa(kb) + `}`)})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	// 7 MB: over the buffered limit, under the stream limit.
	inv := run(7 * 1024)
	total := 0
	for _, c := range inv.Chunks {
		total += c.Size
	}
	if inv.Status != lambdadeck.StatusSucceeded || total != 7<<20 || len(inv.Payload) != lambdadeck.MaxResponsePayload {
		t.Fatalf("7 MB: %s, chunks total %d, %d bytes kept; %s", inv.Status, total, len(inv.Payload), inv.Logs)
	}
	// 9 MB: over the stream limit.
	inv = run(9 * 1024)
	if inv.Error == nil || inv.Error.Type != "Function.ResponseSizeTooLarge" || !strings.Contains(inv.Error.Message, "(8388608 bytes)") {
		t.Fatalf("9 MB: %s %s", inv.Status, inv.Payload)
	}
}
