package invoker

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// These tests drive the invoker through custom runtimes: bash scripts that
// speak the Runtime API with curl, as the AWS docs' tutorial does. They test
// the Runtime API server, supervision and bookkeeping independently of the
// Node.js and Python bootstraps (node_test.go, python_test.go).

// curlPreamble is a bootstrap's Runtime API helpers.
const curlPreamble = `#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HDRS="$(mktemp)"
next() {
  EVENT=$(curl -sS -D "$HDRS" "$API/invocation/next")
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HDRS" | tr -d '\r' | cut -d' ' -f2)
}
respond() { curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "$1"; }
fail() { curl -sS -o /dev/null -X POST "$API/invocation/$ID/error" -d "$1"; }
`

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
}

// customFunction writes a bootstrap script into a temp dir and returns a
// provided.al2023 function that runs it.
func customFunction(t *testing.T, name, body string, mutate ...func(*lambdadeck.Function)) lambdadeck.Function {
	t.Helper()
	requireTools(t, "bash", "curl")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(curlPreamble+body), 0o755); err != nil {
		t.Fatal(err)
	}
	fn := lambdadeck.Function{Name: name, Runtime: "provided.al2023", Handler: "unused", CodeDir: dir,
		Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 10}
	for _, m := range mutate {
		m(&fn)
	}
	return fn
}

// memoryRecorder is a real in-memory InvocationRecorder used to check what
// the invoker records and when.
type memoryRecorder struct {
	mu     sync.Mutex
	begun  map[string]lambdadeck.Invocation
	final  map[string]lambdadeck.Invocation
	events []string
}

func (r *memoryRecorder) BeginInvocation(_ context.Context, inv *lambdadeck.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.begun == nil {
		r.begun, r.final = map[string]lambdadeck.Invocation{}, map[string]lambdadeck.Invocation{}
	}
	r.begun[inv.RequestID] = *inv
	r.events = append(r.events, "begin:"+string(inv.Status))
	return nil
}

func (r *memoryRecorder) FinishInvocation(_ context.Context, inv *lambdadeck.Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.final[inv.RequestID] = *inv
	r.events = append(r.events, "finish:"+string(inv.Status))
	return nil
}

func newTestInvoker(t *testing.T, rec lambdadeck.InvocationRecorder, fns ...lambdadeck.Function) *Invoker {
	t.Helper()
	iv, err := New(Config{Functions: fns, Recorder: rec, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	return iv
}

func invoke(t *testing.T, iv *Invoker, name, event string) *lambdadeck.Invocation {
	t.Helper()
	inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: name, Event: []byte(event), Source: lambdadeck.SourceCLI})
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	return inv
}

func TestCustomRuntimeEcho(t *testing.T) {
	fn := customFunction(t, "echo", `
echo "init output"
while true; do
  next
  echo "handling $ID"
  respond "$EVENT"
done`)
	rec := &memoryRecorder{}
	iv := newTestInvoker(t, rec, fn)

	first := invoke(t, iv, "echo", `{"n":1}`)
	if first.Status != lambdadeck.StatusSucceeded || string(first.Payload) != `{"n":1}` {
		t.Fatalf("first: status %s payload %q logs:\n%s", first.Status, first.Payload, first.Logs)
	}
	if !first.Cold || first.InitDuration <= 0 {
		t.Errorf("first invocation: cold=%v init=%v, want a cold start with an init duration", first.Cold, first.InitDuration)
	}
	for _, want := range []string{"init output\n", "START RequestId: " + first.RequestID + " Version: $LATEST\n",
		"handling " + first.RequestID + "\n", "END RequestId: " + first.RequestID + "\n",
		"REPORT RequestId: " + first.RequestID + "\tDuration: ", "\tMemory Size: 128 MB\tMax Memory Used: ", "\tInit Duration: "} {
		if !strings.Contains(first.Logs, want) {
			t.Errorf("logs lack %q:\n%s", want, first.Logs)
		}
	}
	if strings.Index(first.Logs, "init output") > strings.Index(first.Logs, "START") {
		t.Errorf("init output should come before START:\n%s", first.Logs)
	}
	if first.MaxMemoryUsedMB <= 0 || first.MaxMemoryUsedMB > 128 {
		t.Errorf("max memory used = %d MB, want a measured value", first.MaxMemoryUsedMB)
	}

	second := invoke(t, iv, "echo", `{"n":2}`)
	if second.Cold || second.InitDuration != 0 || strings.Contains(second.Logs, "Init Duration") {
		t.Errorf("second invocation should be warm: cold=%v init=%v\n%s", second.Cold, second.InitDuration, second.Logs)
	}
	if strings.Contains(second.Logs, "init output") || strings.Contains(second.Logs, first.RequestID) {
		t.Errorf("second invocation's log has output of the first:\n%s", second.Logs)
	}
	if live, idle, _ := iv.PoolStats("echo"); live != 1 || idle != 1 {
		t.Errorf("pool: live=%d idle=%d, want one warm instance reused", live, idle)
	}
	if got := rec.events; strings.Join(got, ",") != "begin:running,finish:succeeded,begin:running,finish:succeeded" {
		t.Errorf("recorder saw %v", got)
	}
	var ctxRec map[string]any
	if err := json.Unmarshal(first.Context, &ctxRec); err != nil || ctxRec["awsRequestId"] != first.RequestID ||
		ctxRec["invokedFunctionArn"] != "arn:aws:lambda:us-east-1:123456789012:function:echo" || ctxRec["memoryLimitInMB"] != "128" {
		t.Errorf("context record = %s (%v)", first.Context, err)
	}
}

func TestRuntimeAPIHeadersAndEnvironment(t *testing.T) {
	fn := customFunction(t, "env-dump", `
while true; do
  next
  deadline=$(grep -i '^Lambda-Runtime-Deadline-Ms:' "$HDRS" | tr -d '\r' | cut -d' ' -f2)
  arn=$(grep -i '^Lambda-Runtime-Invoked-Function-Arn:' "$HDRS" | tr -d '\r' | cut -d' ' -f2)
  cc=$(grep -i '^Lambda-Runtime-Client-Context:' "$HDRS" | tr -d '\r' | cut -d' ' -f2-)
  ident=$(grep -i '^Lambda-Runtime-Cognito-Identity:' "$HDRS" | tr -d '\r' | cut -d' ' -f2-)
  trace=$(grep -i '^Lambda-Runtime-Trace-Id:' "$HDRS" | tr -d '\r' | cut -d' ' -f2-)
  respond "{\"deadline\":$deadline,\"arn\":\"$arn\",\"cc\":$cc,\"identity\":$ident,\"trace\":\"$trace\",\"handler\":\"$_HANDLER\",\"name\":\"$AWS_LAMBDA_FUNCTION_NAME\",\"memory\":\"$AWS_LAMBDA_FUNCTION_MEMORY_SIZE\",\"version\":\"$AWS_LAMBDA_FUNCTION_VERSION\",\"group\":\"$AWS_LAMBDA_LOG_GROUP_NAME\",\"stream\":\"$AWS_LAMBDA_LOG_STREAM_NAME\",\"region\":\"$AWS_REGION\",\"root\":\"$LAMBDA_TASK_ROOT\",\"tz\":\"$TZ\",\"greeting\":\"${GREETING:-}\",\"override\":\"${EXTRA:-}\",\"exec\":\"${AWS_EXECUTION_ENV:-unset}\"}"
done`, func(f *lambdadeck.Function) {
		f.Environment = map[string]string{"GREETING": "hello", "AWS_REGION": "eu-west-1", "EXTRA": "from-template"}
		f.MemoryMB = 256
	})
	iv := newTestInvoker(t, nil, fn)
	before := time.Now()
	inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{
		Function: "env-dump", Event: []byte(`{}`),
		ClientContext: []byte(`{"custom":{"k":"v"}}`),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
		Env:           map[string]string{"EXTRA": "yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatalf("payload %q: %v\n%s", inv.Payload, err, inv.Logs)
	}
	deadline := time.UnixMilli(int64(got["deadline"].(float64)))
	if d := deadline.Sub(before); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("deadline is %v after the call, want about the 3 s timeout", d)
	}
	want := map[string]any{
		"arn": "arn:aws:lambda:us-east-1:123456789012:function:env-dump", "handler": "unused", "name": "env-dump",
		"memory": "256", "version": "$LATEST", "group": "/aws/lambda/env-dump", "region": "us-east-1",
		"root": fn.CodeDir, "tz": ":UTC", "greeting": "hello", "override": "yes", "exec": "unset",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if cc, _ := json.Marshal(got["cc"]); string(cc) != `{"custom":{"k":"v"}}` {
		t.Errorf("client context header = %s", cc)
	}
	if id, _ := got["identity"].(map[string]any); id["cognitoIdentityId"] != "id-1" || id["cognitoIdentityPoolId"] != "pool-1" {
		t.Errorf("identity header = %v", got["identity"])
	}
	if s, _ := got["stream"].(string); !strings.Contains(s, "/[$LATEST]") || len(s) != len("2006/01/02/[$LATEST]")+32 {
		t.Errorf("log stream name = %q", s)
	}
	if tr, _ := got["trace"].(string); !strings.HasPrefix(tr, "Root=1-") {
		t.Errorf("trace id = %q", tr)
	}
}

func TestFunctionErrorPassesThrough(t *testing.T) {
	fn := customFunction(t, "fails", `
while true; do
  next
  fail '{"errorMessage":"bad thing","errorType":"Custom.Failure","stackTrace":["a","b"]}'
done`)
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "fails", `{}`)
	if inv.Status != lambdadeck.StatusFailed {
		t.Fatalf("status = %s", inv.Status)
	}
	if string(inv.Payload) != `{"errorMessage":"bad thing","errorType":"Custom.Failure","stackTrace":["a","b"]}` {
		t.Errorf("payload changed: %s", inv.Payload)
	}
	if inv.Error == nil || inv.Error.Type != "Custom.Failure" || inv.Error.Message != "bad thing" || len(inv.Error.Stack) != 2 {
		t.Errorf("parsed error = %+v", inv.Error)
	}
	// The instance keeps running after a reported error.
	again := invoke(t, iv, "fails", `{}`)
	if again.Cold {
		t.Error("an error report should not cost the instance")
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	fn := customFunction(t, "hang", `
while true; do
  next
  sleep 300 &
  echo $! > `+pidFile+`
  wait
done`, func(f *lambdadeck.Function) { f.Timeout = time.Second })
	rec := &memoryRecorder{}
	iv := newTestInvoker(t, rec, fn)
	inv := invoke(t, iv, "hang", `{}`)
	if inv.Status != lambdadeck.StatusTimedOut {
		t.Fatalf("status = %s, logs:\n%s", inv.Status, inv.Logs)
	}
	want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + inv.RequestID + ` Error: Task timed out after 1.00 seconds"}`
	if string(inv.Payload) != want {
		t.Errorf("payload = %s\nwant      %s", inv.Payload, want)
	}
	if !strings.Contains(inv.Logs, inv.RequestID+" Task timed out after 1.00 seconds\nEND RequestId: "+inv.RequestID) {
		t.Errorf("logs lack the timeout line:\n%s", inv.Logs)
	}
	if inv.Duration < time.Second || inv.Duration > 3*time.Second {
		t.Errorf("duration = %v", inv.Duration)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := 0
	for _, c := range strings.TrimSpace(string(data)) {
		pid = pid*10 + int(c-'0')
	}
	// The grandchild (sleep) must be gone: the whole group was killed.
	waitGone(t, pid)

	// The next invocation re-initialises (suppressed init: no Init Duration).
	next := invoke(t, iv, "hang", `{}`)
	if next.Status != lambdadeck.StatusTimedOut || strings.Contains(next.Logs, "Init Duration") {
		t.Errorf("after a timeout: status %s\n%s", next.Status, next.Logs)
	}
	if final := rec.final[inv.RequestID]; final.Status != lambdadeck.StatusTimedOut {
		t.Errorf("recorded status = %s", final.Status)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process %d is still running", pid)
}

func TestCrashIsRuntimeExitError(t *testing.T) {
	fn := customFunction(t, "crash", `
next
echo "about to die"
exit 3`)
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "crash", `{}`)
	if inv.Status != lambdadeck.StatusCrashed {
		t.Fatalf("status = %s", inv.Status)
	}
	want := `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + inv.RequestID + ` Error: Runtime exited with error: exit status 3"}`
	if string(inv.Payload) != want {
		t.Errorf("payload = %s", inv.Payload)
	}
	if !strings.Contains(inv.Logs, "about to die\n") || !strings.Contains(inv.Logs, "Runtime.ExitError\nEND RequestId") {
		t.Errorf("logs:\n%s", inv.Logs)
	}
	// exit 0 has its own wording.
	clean := customFunction(t, "clean-exit", "next\nexit 0")
	iv2 := newTestInvoker(t, nil, clean)
	inv2 := invoke(t, iv2, "clean-exit", `{}`)
	if !strings.Contains(string(inv2.Payload), "Error: Runtime exited without providing a reason") {
		t.Errorf("exit 0 payload = %s", inv2.Payload)
	}
}

// TestPlatformLinesStartOnTheirOwnLine: output the function left without a
// final newline does not run into lambdadeck's START, END, REPORT, timeout
// or crash lines; on Lambda those are records of their own.
func TestPlatformLinesStartOnTheirOwnLine(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		format string
		status lambdadeck.Status
	}{
		{"response", `printf 'half-line'
while true; do next; printf 'half-line'; respond '1'; done`, "Text", lambdadeck.StatusSucceeded},
		{"crash", `next; printf 'half-line'; exit 2`, "Text", lambdadeck.StatusCrashed},
		{"timeout", `next; printf 'half-line'; sleep 30`, "Text", lambdadeck.StatusTimedOut},
		{"json-response", `printf 'half-line'
while true; do next; printf 'half-line'; respond '1'; done`, "JSON", lambdadeck.StatusSucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn := customFunction(t, "partial", c.body, func(f *lambdadeck.Function) {
				f.Timeout = time.Second
				f.LogFormat = c.format
			})
			iv := newTestInvoker(t, nil, fn)
			inv := invoke(t, iv, "partial", `{}`)
			if inv.Status != c.status {
				t.Fatalf("status = %s, want %s; logs:\n%s", inv.Status, c.status, inv.Logs)
			}
			if !strings.Contains(inv.Logs, "half-line\n") {
				t.Errorf("logs lack the function's half line, ended:\n%q", inv.Logs)
			}
			for rest := inv.Logs; ; {
				i := strings.Index(rest, "half-line")
				if i < 0 {
					break
				}
				rest = rest[i+len("half-line"):]
				if !strings.HasPrefix(rest, "\n") {
					t.Errorf("a platform line runs on after the function's output:\n%q", inv.Logs)
					break
				}
			}
		})
	}
}

func TestMissingBootstrapIsInvalidEntrypoint(t *testing.T) {
	fn := customFunction(t, "nobootstrap", "")
	os.Remove(filepath.Join(fn.CodeDir, "bootstrap"))
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "nobootstrap", `{}`)
	if inv.Error == nil || inv.Error.Type != "Runtime.InvalidEntrypoint" {
		t.Fatalf("error = %+v", inv.Error)
	}
	notExec := customFunction(t, "notexec", "")
	os.Chmod(filepath.Join(notExec.CodeDir, "bootstrap"), 0o644)
	iv2 := newTestInvoker(t, nil, notExec)
	inv2 := invoke(t, iv2, "notexec", `{}`)
	if inv2.Error == nil || inv2.Error.Type != "Runtime.InvalidEntrypoint" || !strings.Contains(inv2.Error.Message, "permission denied") {
		t.Fatalf("error = %+v", inv2.Error)
	}
}

func TestRuntimeAPIStateErrors(t *testing.T) {
	// The runtime misbehaves on purpose and reports what the API answered.
	fn := customFunction(t, "misbehave", `
while true; do
  next
  bad=$(curl -s -w ' %{http_code}' -X POST "$API/invocation/not-the-id/response" -d '1')
  ok=$(curl -s -w ' %{http_code}' -X POST "$API/invocation/$ID/response" -d '{"first":true}')
  twice=$(curl -s -w ' %{http_code}' -X POST "$API/invocation/$ID/response" -d '2')
  init=$(curl -s -w ' %{http_code}' -X POST "$API/init/error" -d '{}')
  printf '%s\n%s\n%s\n%s\n' "$bad" "$ok" "$twice" "$init" > answers.txt
done`)
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "misbehave", `{}`)
	if string(inv.Payload) != `{"first":true}` {
		t.Fatalf("payload = %s", inv.Payload)
	}
	data, err := os.ReadFile(filepath.Join(fn.CodeDir, "answers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Each answer is the body (ending in a newline, as RAPID's) and the status.
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(data), "\n ", " ")), "\n")
	want := []string{
		`{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"} 400`,
		`{"status":"OK"} 202`,
		`{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"} 403`,
		`{"errorMessage":"State transition from RuntimeResponseSentState to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"} 403`,
	}
	for i := range want {
		if i >= len(lines) || lines[i] != want[i] {
			t.Errorf("answer %d = %q, want %q", i, lines, want[i])
		}
	}
}

func TestOversizeResponse(t *testing.T) {
	fn := customFunction(t, "big", `
while true; do
  next
  head -c 6291557 /dev/zero | tr '\0' 'a' > big.txt
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/invocation/$ID/response" --data-binary @big.txt)
  echo "runtime got $code"
done`)
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "big", `{}`)
	if inv.Error == nil || inv.Error.Type != "Function.ResponseSizeTooLarge" {
		t.Fatalf("error = %+v, payload %.200s", inv.Error, inv.Payload)
	}
	if string(inv.Payload) != `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}` {
		t.Errorf("payload = %s", inv.Payload)
	}
	if !strings.Contains(inv.Logs, "runtime got 413") {
		t.Errorf("the runtime should get 413:\n%s", inv.Logs)
	}
}

func TestLogFloodIsCapped(t *testing.T) {
	fn := customFunction(t, "flood", `
while true; do
  next
  echo "first line"
  head -c 50000000 /dev/zero | tr '\0' 'x'
  echo
  echo "last line"
  respond '"done"'
done`, func(f *lambdadeck.Function) { f.Timeout = 20 * time.Second })
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "flood", `{}`)
	if inv.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("status = %s", inv.Status)
	}
	if !inv.LogsTruncated || len(inv.Logs) > logHeadBytes+logTailBytes+1024 {
		t.Fatalf("logs: truncated=%v len=%d", inv.LogsTruncated, len(inv.Logs))
	}
	for _, want := range []string{"first line", "bytes of log output cut here", "last line\n", "REPORT RequestId"} {
		if !strings.Contains(inv.Logs, want) {
			t.Errorf("capped logs lack %q", want)
		}
	}
}

func TestConcurrencyLimitAndQueue(t *testing.T) {
	fn := customFunction(t, "slow", `
while true; do
  next
  sleep 0.3
  respond "\"$$\""
done`, func(f *lambdadeck.Function) { f.Concurrency = 2 })
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(), QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer iv.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	pids := map[string]int{}
	throttled := 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "slow", Event: []byte(`{}`)})
			mu.Lock()
			defer mu.Unlock()
			if lambdadeck.ErrorCode(err) == lambdadeck.ETHROTTLED {
				throttled++
				return
			} else if err != nil {
				t.Error(err)
				return
			}
			pids[string(inv.Payload)]++
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	// Two run at once, two wait in the queue, two are turned away.
	if throttled != 2 {
		t.Errorf("throttled = %d, want 2", throttled)
	}
	if len(pids) != 2 {
		t.Errorf("served by %d processes (%v), want the 2-instance limit", len(pids), pids)
	}
	if live, _, _ := iv.PoolStats("slow"); live != 2 {
		t.Errorf("live instances = %d", live)
	}
}

func TestOutOfMemoryKillsTheInstance(t *testing.T) {
	requireTools(t, "python3")
	fn := customFunction(t, "hog", `
while true; do
  next
  python3 -c 'import time; b = bytearray(200*1024*1024); time.sleep(5)'
  respond '"survived"'
done`)
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "hog", `{}`)
	if inv.Status != lambdadeck.StatusCrashed || !inv.OutOfMemory {
		t.Fatalf("status = %s oom=%v payload=%s", inv.Status, inv.OutOfMemory, inv.Payload)
	}
	if !strings.Contains(string(inv.Payload), "Runtime exited with error: signal: killed") || inv.MaxMemoryUsedMB != 128 {
		t.Errorf("payload %s, max memory %d", inv.Payload, inv.MaxMemoryUsedMB)
	}
}

func TestCloseLeavesNoProcesses(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	fn := customFunction(t, "idle", `
echo $$ > `+pidFile+`
while true; do next; respond '1'; done`)
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, iv, "idle", `{}`)
	data, _ := os.ReadFile(pidFile)
	var pid int
	for _, c := range strings.TrimSpace(string(data)) {
		pid = pid*10 + int(c-'0')
	}
	iv.Close()
	waitGone(t, pid)
	if _, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "idle"}); err == nil {
		t.Error("invoke after Close should fail")
	}
}

// TestEscapedDescendantsAreKilled: a process that left the runtime's process
// group (setsid) still dies with its instance, on a timeout and when
// lambdadeck stops; on Lambda nothing outlives the sandbox.
func TestEscapedDescendantsAreKilled(t *testing.T) {
	requireTools(t, "setsid")
	cases := []struct {
		name    string
		handler string
		status  lambdadeck.Status
		end     func(iv *Invoker)
	}{
		{"timeout", `sleep 300`, lambdadeck.StatusTimedOut, func(*Invoker) {}},
		{"close", `respond '1'`, lambdadeck.StatusSucceeded, func(iv *Invoker) { iv.Close() }},
		// The runtime dies first: the escaped child is an orphan that no
		// group kill reaches; the sampler saw it, so it is killed by pid.
		{"runtime exits first", `sleep 0.2; exit 3`, lambdadeck.StatusCrashed, func(*Invoker) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "escaped.pid")
			fn := customFunction(t, "escape", `
while true; do
  next
  setsid sleep 300 > /dev/null 2>&1 &
  echo $! > `+pidFile+`
  `+c.handler+`
done`, func(f *lambdadeck.Function) { f.Timeout = time.Second })
			iv := newTestInvoker(t, nil, fn)
			inv := invoke(t, iv, "escape", `{}`)
			if inv.Status != c.status {
				t.Fatalf("status = %s, want %s; logs:\n%s", inv.Status, c.status, inv.Logs)
			}
			data, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			pid := 0
			for _, ch := range strings.TrimSpace(string(data)) {
				pid = pid*10 + int(ch-'0')
			}
			if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
				// It really left the group (its own session and group).
			} else if err == nil {
				t.Fatalf("the test's process did not leave the group (pgid %d)", pgid)
			}
			c.end(iv)
			waitGone(t, pid)
		})
	}
}

func TestBadRequests(t *testing.T) {
	fn := customFunction(t, "ok", "while true; do next; respond '1'; done")
	img := lambdadeck.Function{Name: "image", NotRunnable: "container image functions are not supported"}
	iv := newTestInvoker(t, nil, fn, img)
	cases := []struct {
		name string
		req  lambdadeck.InvokeRequest
		code string
	}{
		{"unknown function", lambdadeck.InvokeRequest{Function: "nope"}, lambdadeck.ENOTFOUND},
		{"not runnable", lambdadeck.InvokeRequest{Function: "image"}, lambdadeck.EINVALID},
		{"invalid json", lambdadeck.InvokeRequest{Function: "ok", Event: []byte(`{"a":`)}, lambdadeck.EINVALID},
		{"oversize", lambdadeck.InvokeRequest{Function: "ok", Event: []byte(`"` + strings.Repeat("a", lambdadeck.MaxSyncPayload) + `"`)}, lambdadeck.ETOOLARGE},
		{"async oversize", lambdadeck.InvokeRequest{Function: "ok", Async: true, Event: []byte(`"` + strings.Repeat("a", lambdadeck.MaxAsyncPayload) + `"`)}, lambdadeck.ETOOLARGE},
		{"reserved override", lambdadeck.InvokeRequest{Function: "ok", Env: map[string]string{"_HANDLER": "x"}}, lambdadeck.EINVALID},
		{"code-changing override", lambdadeck.InvokeRequest{Function: "ok", Env: map[string]string{"NODE_OPTIONS": "--require /tmp/x.js"}}, lambdadeck.EINVALID},
		{"override of a variable the template does not set", lambdadeck.InvokeRequest{Function: "ok", Env: map[string]string{"EXTRA": "x"}}, lambdadeck.EINVALID},
		{"bad client context", lambdadeck.InvokeRequest{Function: "ok", ClientContext: []byte("{")}, lambdadeck.EINVALID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iv.Invoke(context.Background(), tc.req)
			if got := lambdadeck.ErrorCode(err); got != tc.code {
				t.Errorf("code = %q (%v), want %q", got, err, tc.code)
			}
		})
	}
	// An empty event is {} as on Lambda.
	inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "ok"})
	if err != nil || string(inv.Event) != "{}" {
		t.Errorf("empty event: %v %s", err, inv.Event)
	}
}

func TestEnvOverridesGetAFreshInstance(t *testing.T) {
	fn := customFunction(t, "envcheck", `while true; do next; respond "\"${MODE:-default}:$$\""; done`,
		func(f *lambdadeck.Function) { f.Environment = map[string]string{"MODE": "default"} })
	iv := newTestInvoker(t, nil, fn)
	a := invoke(t, iv, "envcheck", `{}`)
	b, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "envcheck", Env: map[string]string{"MODE": "debug"}})
	if err != nil {
		t.Fatal(err)
	}
	c := invoke(t, iv, "envcheck", `{}`)
	if !strings.HasPrefix(string(a.Payload), `"default:`) || !strings.HasPrefix(string(b.Payload), `"debug:`) || string(c.Payload) != string(a.Payload) {
		t.Errorf("payloads: %s %s %s", a.Payload, b.Payload, c.Payload)
	}
	if !b.Cold || c.Cold {
		t.Errorf("override run should be cold (%v) and the next warm again (%v)", b.Cold, c.Cold)
	}
}

func TestInitOverLimitIsRetriedInsideTheInvocation(t *testing.T) {
	// The first init overruns the (shortened) init limit; Lambda then retries
	// init inside the invocation, under the function's timeout (§6.3).
	marker := filepath.Join(t.TempDir(), "started-once")
	fn := customFunction(t, "slow-init", `
if [ ! -f `+marker+` ]; then
  touch `+marker+`
  echo "first init, stuck"
  sleep 30
fi
echo "second init"
while true; do next; respond '"ready"'; done`)
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(), InitTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer iv.Close()
	inv := invoke(t, iv, "slow-init", `{}`)
	if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `"ready"` {
		t.Fatalf("status %s payload %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	for _, want := range []string{"first init, stuck", "INIT_REPORT Init Duration: ", "Phase: init\tStatus: timeout", "START RequestId", "second init"} {
		if !strings.Contains(inv.Logs, want) {
			t.Errorf("logs lack %q:\n%s", want, inv.Logs)
		}
	}
	if strings.Contains(inv.Logs, "\tInit Duration:") {
		t.Errorf("a retried (suppressed) init reports no Init Duration:\n%s", inv.Logs)
	}
}

func TestLocalRuntimeVersionCheck(t *testing.T) {
	cases := []struct{ runtime, family, local, want string }{
		{"nodejs20.x", "node", "v20.20.2", "20"},
		{"nodejs22.x", "node", "v20.20.2", "22"},
		{"python3.11", "python", "3.11.7", "3.11"},
		{"python3.12", "python", "3.11.7", "3.12"},
	}
	for _, tc := range cases {
		if got := declaredVersion(tc.runtime); got != tc.want {
			t.Errorf("declaredVersion(%s) = %s", tc.runtime, got)
		}
		match := localVersion(tc.family, tc.local) == declaredVersion(tc.runtime)
		if wantMatch := strings.Contains(tc.local, strings.TrimPrefix(tc.want, "v")+"."); match != wantMatch {
			t.Errorf("%s on %s: match=%v", tc.runtime, tc.local, match)
		}
	}
	requireTools(t, "node")
	iv := newTestInvoker(t, nil, lambdadeck.Function{Name: "n", Runtime: "nodejs1.x", Handler: "index.handler", CodeDir: t.TempDir()})
	fn, _ := iv.Function("n")
	desc, warning := iv.LocalRuntime(fn)
	if !strings.Contains(desc, " at /") || !strings.Contains(warning, "nodejs1.x is declared") {
		t.Errorf("LocalRuntime = %q, %q", desc, warning)
	}
}

// TestLogFormatOverride: a per-invocation AWS_LAMBDA_LOG_FORMAT decides the
// format of the function's own logging and of every platform line alike,
// whatever the template's LoggingConfig says, timeout line included.
func TestLogFormatOverride(t *testing.T) {
	cases := []struct {
		configured, override string
		wantJSON             bool
	}{
		{"", "JSON", true},
		{"Text", "JSON", true},
		{"JSON", "Text", false},
	}
	for _, c := range cases {
		t.Run(c.configured+"-to-"+c.override, func(t *testing.T) {
			fn := customFunction(t, "fmt", `
while true; do next; echo "format=$AWS_LAMBDA_LOG_FORMAT"; sleep 30; done`, func(f *lambdadeck.Function) {
				f.Timeout = time.Second
				f.LogFormat = c.configured
			})
			iv := newTestInvoker(t, nil, fn)
			inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "fmt", Event: []byte(`{}`),
				Env: map[string]string{"AWS_LAMBDA_LOG_FORMAT": c.override}})
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != lambdadeck.StatusTimedOut {
				t.Fatalf("status = %s; logs:\n%s", inv.Status, inv.Logs)
			}
			want := []string{"format=" + c.override + "\n", "START RequestId: ", "Task timed out after 1.00 seconds\nEND RequestId: "}
			if c.wantJSON {
				want = []string{"format=" + c.override + "\n", `"type":"platform.start"`,
					`"message":"Task timed out after 1.00 seconds","requestId":"` + inv.RequestID + `"`, `"type":"platform.report"`}
			}
			for _, w := range want {
				if !strings.Contains(inv.Logs, w) {
					t.Errorf("logs lack %q:\n%s", w, inv.Logs)
				}
			}
		})
	}
}

// TestLiveWhileInvocationsEnd reads Live snapshots while invocations end
// (normally and with an init failure); under -race it checks that the end of
// an invocation writes its log under the lock Live reads it with.
func TestLiveWhileInvocationsEnd(t *testing.T) {
	cases := []struct{ name, body string }{
		{"response", `while true; do next; echo working; respond '1'; done`},
		{"init-error", `echo dying; curl -sS -o /dev/null -X POST "$API/init/error" -d '{"errorType":"X","errorMessage":"y"}'; exit 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			iv := newTestInvoker(t, nil, customFunction(t, "live", c.body))
			for range 3 {
				r, err := iv.Start(context.Background(), lambdadeck.InvokeRequest{Function: "live", Event: []byte(`{}`)})
				if err != nil {
					t.Fatal(err)
				}
				for polling := true; polling; {
					select {
					case <-r.Done():
						polling = false
					default:
						iv.Live(r.RequestID)
					}
				}
				inv, err := r.Wait()
				if err != nil || !strings.Contains(inv.Logs, "END RequestId: "+inv.RequestID) {
					t.Fatalf("err %v; logs:\n%s", err, inv.Logs)
				}
			}
		})
	}
}

func TestReloadKeepsUnchangedFunctionsWarm(t *testing.T) {
	body := `while true; do next; respond "\"${GREETING:-none}:$$\""; done`
	a := customFunction(t, "a", body)
	b := customFunction(t, "b", body, func(f *lambdadeck.Function) { f.Environment = map[string]string{"GREETING": "hi"} })
	iv := newTestInvoker(t, nil, a, b)
	a1, b1 := invoke(t, iv, "a", `{}`), invoke(t, iv, "b", `{}`)

	// The template changes b's environment and adds c.
	b2cfg := b
	b2cfg.Environment = map[string]string{"GREETING": "hello"}
	c := customFunction(t, "c", body)
	changed, err := iv.Reload([]lambdadeck.Function{a, b2cfg, c})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(changed, ",") != "b,c" {
		t.Errorf("changed = %v", changed)
	}
	a2, b2, c1 := invoke(t, iv, "a", `{}`), invoke(t, iv, "b", `{}`), invoke(t, iv, "c", `{}`)
	if string(a2.Payload) != string(a1.Payload) || a2.Cold {
		t.Errorf("a should stay warm on the same process: %s then %s", a1.Payload, a2.Payload)
	}
	if !strings.HasPrefix(string(b1.Payload), `"hi:`) || !strings.HasPrefix(string(b2.Payload), `"hello:`) || !b2.Cold {
		t.Errorf("b should restart with the new environment: %s then %s (cold %v)", b1.Payload, b2.Payload, b2.Cold)
	}
	if c1.Status != lambdadeck.StatusSucceeded || iv.Reloaded("b").IsZero() || !iv.Reloaded("a").IsZero() {
		t.Errorf("c: %s; reloaded b at %v, a at %v", c1.Status, iv.Reloaded("b"), iv.Reloaded("a"))
	}

	// Removing a function makes it unknown; a duplicate name is refused.
	if _, err := iv.Reload([]lambdadeck.Function{a}); err != nil {
		t.Fatal(err)
	}
	if _, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: "b"}); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("removed function: %v", err)
	}
	if _, err := iv.Reload([]lambdadeck.Function{a, a}); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("duplicate names: %v", err)
	}
	if len(iv.Functions()) != 1 {
		t.Errorf("a refused reload must keep the old functions: %d", len(iv.Functions()))
	}
}

func TestIdleInstancesAreStopped(t *testing.T) {
	fn := customFunction(t, "idle-reap", "while true; do next; respond '1'; done")
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(), IdleTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer iv.Close()
	invoke(t, iv, "idle-reap", `{}`)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if live, _, _ := iv.PoolStats("idle-reap"); live == 0 {
			if next := invoke(t, iv, "idle-reap", `{}`); !next.Cold {
				t.Error("after the idle instance stopped, the next invocation should be a cold start")
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the idle instance was never stopped")
}

func TestJSONLogFormatPlatformRecords(t *testing.T) {
	fn := customFunction(t, "json-logs", `
echo '{"level":"INFO","message":"init"}'
while true; do next; respond '1'; done`, func(f *lambdadeck.Function) { f.LogFormat = "JSON" })
	iv := newTestInvoker(t, nil, fn)
	inv := invoke(t, iv, "json-logs", `{}`)
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(inv.Logs), "\n") {
		var rec struct {
			Type   string         `json:"type"`
			Record map[string]any `json:"record"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec.Type == "" {
			rec.Type = "function"
		}
		types = append(types, rec.Type)
		if rec.Type == "platform.report" {
			metrics, _ := rec.Record["metrics"].(map[string]any)
			if rec.Record["requestId"] != inv.RequestID || rec.Record["status"] != "success" || metrics["initDurationMs"] == nil || metrics["memorySizeMB"] != float64(128) {
				t.Errorf("platform.report = %v", rec.Record)
			}
		}
	}
	want := "platform.initStart,function,platform.initRuntimeDone,platform.start,platform.runtimeDone,platform.report"
	if strings.Join(types, ",") != want {
		t.Errorf("records = %v\nwant      %s", types, want)
	}
}

func TestIdleInstancesAreFrozen(t *testing.T) {
	// A background loop in the runtime's process group: on Lambda it does
	// not run while the environment waits for its next event.
	fn := customFunction(t, "frozen", `
(while true; do echo tick; sleep 0.05; done) &
echo $! > ticker.pid
while true; do next; respond '1'; done`)
	iv := newTestInvoker(t, nil, fn)
	invoke(t, iv, "frozen", `{}`)
	data, err := os.ReadFile(filepath.Join(fn.CodeDir, "ticker.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	// A stop signal takes effect when the process is next scheduled: wait
	// for it to show as stopped (T) rather than reading at one instant.
	state := func() string {
		var s string
		for i := 0; i < 100; i++ {
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				t.Fatal(err)
			}
			if s = strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))[0]; s == "T" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return s
	}
	if s := state(); s != "T" {
		t.Errorf("idle: the background loop is in state %q, want T (stopped)", s)
	}
	// The next invocation thaws it, and it is frozen again afterwards.
	if next := invoke(t, iv, "frozen", `{}`); next.Status != lambdadeck.StatusSucceeded || next.Cold {
		t.Fatalf("second invocation: %s cold=%v", next.Status, next.Cold)
	}
	if s := state(); s != "T" {
		t.Errorf("idle again: state %q", s)
	}
}

func TestUnreservedLambdaDefaults(t *testing.T) {
	fn := customFunction(t, "defaults", `while true; do next; respond "\"$AWS_XRAY_DAEMON_ADDRESS|$_AWS_XRAY_DAEMON_PORT|$AWS_XRAY_CONTEXT_MISSING|${AWS_EXECUTION_ENV:-none}\""; done`,
		func(f *lambdadeck.Function) {
			f.Environment = map[string]string{"AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
		})
	iv := newTestInvoker(t, nil, fn)
	// The template's value wins over Lambda's default for unreserved names.
	if got := string(invoke(t, iv, "defaults", `{}`).Payload); got != `"169.254.79.129:2000|2000|IGNORE_ERROR|none"` {
		t.Errorf("environment = %s", got)
	}
	goFn := customFunction(t, "legacy-go", `while true; do next; respond "\"$AWS_EXECUTION_ENV\""; done`, func(f *lambdadeck.Function) { f.Runtime = "go1.x" })
	iv2 := newTestInvoker(t, nil, goFn)
	if got := string(invoke(t, iv2, "legacy-go", `{}`).Payload); got != `"AWS_Lambda_go1.x"` {
		t.Errorf("go1.x AWS_EXECUTION_ENV = %s", got)
	}
}

func TestNodeResolvesTaskRootModulesFromSubfolders(t *testing.T) {
	requireTools(t, "node")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "src", "handlers"), 0o755)
	os.WriteFile(filepath.Join(dir, "shared.js"), []byte(`module.exports = { greet: (n) => "hi " + n };`), 0o644)
	os.WriteFile(filepath.Join(dir, "src", "handlers", "app.js"), []byte(`const { greet } = require("shared");
exports.handler = async (e) => greet(e.name);`), 0o644)
	iv := newTestInvoker(t, nil, lambdadeck.Function{Name: "nested", Runtime: "nodejs20.x", Handler: "src/handlers/app.handler",
		CodeDir: dir, Timeout: 10 * time.Second, MemoryMB: 256})
	// NODE_PATH includes the task root, as on Lambda (/var/task).
	if inv := invoke(t, iv, "nested", `{"name":"Ada"}`); string(inv.Payload) != `"hi Ada"` {
		t.Errorf("payload %s, logs:\n%s", inv.Payload, inv.Logs)
	}
}
