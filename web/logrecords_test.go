package web

import (
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// A record whose lines the runtime joined with \r shows as one record on
// several lines.
func TestInvocationPageMultiLineLogRecord(t *testing.T) {
	env := newTestEnv(t)
	inv := env.record(t, lambdadeck.Invocation{Function: "hello", Logs: "START RequestId: x\n" +
		"2024-01-01T00:00:00.000Z\tx\tERROR\tError: boom\r    at handler (/var/task/index.js:2:9)\r    at run\nEND RequestId: x\n"})
	resp := env.get(t, "/invocations/"+inv.RequestID)
	if resp.status != 200 {
		t.Fatalf("status %d", resp.status)
	}
	doc := parseHTML(t, resp.body)
	rec := oneByTestID(t, doc, "log-record-multi")
	if got := rawText(rec); got != "2024-01-01T00:00:00.000Z\tx\tERROR\tError: boom\n    at handler (/var/task/index.js:2:9)\n    at run" {
		t.Errorf("record = %q", got)
	}
	if logs := rawText(oneByTestID(t, doc, "logs")); !strings.HasPrefix(logs, "START RequestId: x\n") || !strings.HasSuffix(logs, "END RequestId: x\n") {
		t.Errorf("logs = %q", logs)
	}
}
