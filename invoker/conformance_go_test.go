package invoker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// These tests run Go handlers built with the real github.com/aws/aws-lambda-go
// (testdata/go, one module with a main package per case) on the provided
// runtime: lambdadeck builds each from source, as `sam build` would, and the
// library speaks the Runtime API itself. The payloads asserted are the
// library's own, as AWS Lambda returns them (reference §1.5, §5, §6.1).

// goHandler returns a provided.al2023 function for testdata/go/<name>. Its
// folder has no go.mod: the module's is in the parent, as in a repository
// with several handlers.
func goHandler(t *testing.T, name string, mutate ...func(*lambdadeck.Function)) lambdadeck.Function {
	t.Helper()
	requireTools(t, "go")
	dir, err := filepath.Abs(filepath.Join("testdata", "go", name))
	if err != nil {
		t.Fatal(err)
	}
	fn := lambdadeck.Function{Name: "go-" + name, Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: dir,
		Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 10}
	for _, m := range mutate {
		m(&fn)
	}
	return fn
}

func TestGoStructInAndOut(t *testing.T) {
	iv := newTestInvoker(t, nil, goHandler(t, "greet"))
	tests := []struct {
		name, event string
		status      lambdadeck.Status
		payload     string
	}{
		{
			// No HTML escaping and no trailing newline (aws-lambda-go's encoder).
			name: "struct", event: `{"name":"<Ada&Bob>","times":2}`, status: lambdadeck.StatusSucceeded,
			payload: `{"message":"Hello, <Ada&Bob>!","echoes":["<Ada&Bob>","<Ada&Bob>"]}`,
		},
		{
			name: "no echoes", event: `{"name":"Ada"}`, status: lambdadeck.StatusSucceeded,
			payload: `{"message":"Hello, Ada!","echoes":[]}`,
		},
		{
			// A payload that does not decode into the input type is the
			// function's error, named after the decoder's error type.
			name: "bad input", event: `{"name":5}`, status: lambdadeck.StatusFailed,
			payload: `{"errorMessage":"json: cannot unmarshal number into Go struct field greeting.name of type string","errorType":"UnmarshalTypeError"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invoke(t, iv, "go-greet", tt.event)
			if inv.Status != tt.status || string(inv.Payload) != tt.payload {
				t.Errorf("status %s payload %s\nwant   %s %s\nlogs:\n%s", inv.Status, inv.Payload, tt.status, tt.payload, inv.Logs)
			}
			if inv.ContentType != "application/json" {
				t.Errorf("content type = %q", inv.ContentType)
			}
		})
	}
	if live, _, _ := iv.PoolStats("go-greet"); live != 1 {
		t.Errorf("live instances = %d: the three invocations should share one warm process", live)
	}
}

func TestGoLambdaContext(t *testing.T) {
	fn := goHandler(t, "context", func(f *lambdadeck.Function) { f.MemoryMB = 256 })
	iv := newTestInvoker(t, nil, fn)
	clientContext := `{"Client":{"installation_id":"inst-1","app_title":"Deck","app_version_code":"7","app_package_name":"dev.deck"},"env":{"platform":"linux"},"custom":{"team":"core","nested":{"a":1}}}`
	req := lambdadeck.InvokeRequest{
		Function: fn.Name, Event: []byte(`{}`),
		ClientContext: []byte(clientContext),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
	}
	for served := 1; served <= 2; served++ {
		inv, err := iv.Invoke(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			DeadlineMs    int64  `json:"deadlineMs"`
			TraceID       string `json:"traceId"`
			LogStreamName string `json:"logStreamName"`
		}
		if err := json.Unmarshal(inv.Context, &rec); err != nil {
			t.Fatal(err)
		}
		// The deadline is Lambda-Runtime-Deadline-Ms to the millisecond; the
		// trace id reaches both the context and _X_AMZN_TRACE_ID; the
		// package globals come from the environment.
		want := fmt.Sprintf(`{"requestId":"%s","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:go-context",`+
			`"identity":{"CognitoIdentityID":"id-1","CognitoIdentityPoolID":"pool-1"},`+
			`"clientContext":{"Client":{"installation_id":"inst-1","app_title":"Deck","app_version_code":"7","app_package_name":"dev.deck"},"env":{"platform":"linux"},"custom":{"nested":"{\"a\":1}","team":"core"}},`+
			`"deadlineMs":%d,"traceId":"%s","traceEnv":"%s","functionName":"go-context","functionVersion":"$LATEST","memoryLimitInMB":256,`+
			`"logGroupName":"/aws/lambda/go-context","logStreamName":"%s","served":%d}`,
			inv.RequestID, rec.DeadlineMs, rec.TraceID, rec.TraceID, rec.LogStreamName, served)
		if string(inv.Payload) != want {
			t.Errorf("invocation %d payload\n got %s\nwant %s\nlogs:\n%s", served, inv.Payload, want, inv.Logs)
		}
		// The 3 s timeout counts from the delivery of the event, after the
		// build and the init.
		if d := time.UnixMilli(rec.DeadlineMs).Sub(inv.EndedAt); d <= 0 || d > 3*time.Second {
			t.Errorf("deadline is %v after the end, want within the 3 s timeout", d)
		}
		if !strings.Contains(inv.Logs, "serving "+inv.RequestID+"\n") {
			t.Errorf("the handler's output is not in its log:\n%s", inv.Logs)
		}
		if inv.Cold != (served == 1) {
			t.Errorf("invocation %d: cold = %v", served, inv.Cold)
		}
	}
}

func TestGoHandlerErrors(t *testing.T) {
	iv := newTestInvoker(t, nil, goHandler(t, "errors"))
	first := invoke(t, iv, "go-errors", `{"kind":"ok"}`)
	if string(first.Payload) != `"ok 1"` {
		t.Fatalf("payload = %s\nlogs:\n%s", first.Payload, first.Logs)
	}
	tests := []struct {
		kind, payload, errType string
	}{
		// errorType is the error's type name, pointers dereferenced
		// (aws-rec: errors.New gives "errorString").
		{"plain", `{"errorMessage":"something broke","errorType":"errorString"}`, "errorString"},
		{"custom", `{"errorMessage":"invalid field email","errorType":"ValidationError"}`, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			inv := invoke(t, iv, "go-errors", `{"kind":"`+tt.kind+`"}`)
			if inv.Status != lambdadeck.StatusFailed || string(inv.Payload) != tt.payload {
				t.Errorf("status %s payload %s, want %s", inv.Status, inv.Payload, tt.payload)
			}
			if inv.Error == nil || inv.Error.Type != tt.errType {
				t.Errorf("error = %+v", inv.Error)
			}
			// aws-lambda-go logs the error payload too.
			if !strings.Contains(inv.Logs, tt.payload) {
				t.Errorf("logs lack the error:\n%s", inv.Logs)
			}
		})
	}
	// Returned errors leave the process serving: this is its fourth.
	if inv := invoke(t, iv, "go-errors", `{"kind":"ok"}`); string(inv.Payload) != `"ok 4"` || inv.Cold {
		t.Errorf("after returned errors: payload %s cold %v", inv.Payload, inv.Cold)
	}

	t.Run("panic", func(t *testing.T) {
		inv := invoke(t, iv, "go-errors", `{"kind":"panic"}`)
		if inv.Status != lambdadeck.StatusFailed {
			t.Fatalf("status = %s\n%s", inv.Status, inv.Logs)
		}
		var body struct {
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
			StackTrace   []struct {
				Path  string `json:"path"`
				Line  int    `json:"line"`
				Label string `json:"label"`
			} `json:"stackTrace"`
		}
		if err := json.Unmarshal(inv.Payload, &body); err != nil {
			t.Fatalf("payload %s: %v", inv.Payload, err)
		}
		// A panic's errorType is the panic value's type; its stack is frame
		// objects, the handler's among them (aws-lambda-go keeps the last two
		// elements of a path).
		if body.ErrorMessage != "kaboom" || body.ErrorType != "string" || len(body.StackTrace) == 0 {
			t.Fatalf("panic payload = %s", inv.Payload)
		}
		line := sourceLine(t, filepath.Join("testdata", "go", "errors", "main.go"), `panic("kaboom")`)
		found := false
		for _, f := range body.StackTrace {
			if f.Path == "errors/main.go" && f.Line == line && f.Label == "handle" {
				found = true
			}
			if f.Path == "" || f.Line <= 0 || f.Label == "" {
				t.Errorf("incomplete frame %+v", f)
			}
		}
		if !found {
			t.Errorf("no frame for handle at errors/main.go:%d in %s", line, inv.Payload)
		}
		if inv.Error == nil || inv.Error.Type != "string" || len(inv.Error.Stack) != len(body.StackTrace) {
			t.Errorf("parsed error = %+v", inv.Error)
		}
		// The process exits after a panic, so the next invocation starts a
		// new one: the handler's counter is back to 1.
		next := invoke(t, iv, "go-errors", `{"kind":"ok"}`)
		if string(next.Payload) != `"ok 1"` || !next.Cold {
			t.Errorf("after a panic: payload %s cold %v\n%s", next.Payload, next.Cold, next.Logs)
		}
	})
}

func TestGoTimeoutKillsAndRestarts(t *testing.T) {
	iv := newTestInvoker(t, nil, goHandler(t, "slow", func(f *lambdadeck.Function) { f.Timeout = time.Second }))
	warm := invoke(t, iv, "go-slow", `{"sleepMs":0}`)
	if warm.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("status %s payload %s\n%s", warm.Status, warm.Payload, warm.Logs)
	}
	inv := invoke(t, iv, "go-slow", `{"sleepMs":10000}`)
	want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + inv.RequestID + ` Error: Task timed out after 1.00 seconds"}`
	if inv.Status != lambdadeck.StatusTimedOut || string(inv.Payload) != want {
		t.Fatalf("status %s payload %s\nwant %s", inv.Status, inv.Payload, want)
	}
	if !strings.Contains(inv.Logs, "sleeping 10000\n") || !strings.Contains(inv.Logs, "Task timed out after 1.00 seconds") {
		t.Errorf("logs:\n%s", inv.Logs)
	}
	// The killed process is replaced: a new one, started inside the next
	// invocation (suppressed init: no Init Duration).
	next := invoke(t, iv, "go-slow", `{"sleepMs":0}`)
	if next.Status != lambdadeck.StatusSucceeded || string(next.Payload) == string(warm.Payload) || !next.Cold {
		t.Errorf("after the timeout: status %s payload %s (before %s) cold %v", next.Status, next.Payload, warm.Payload, next.Cold)
	}
	if next.InitDuration != 0 || strings.Contains(next.Logs, "Init Duration") {
		t.Errorf("a re-init after a timeout is suppressed, yet init = %v\n%s", next.InitDuration, next.Logs)
	}
}

// sourceLine returns the 1-based line of file that contains text.
func sourceLine(t *testing.T, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, text)
	return 0
}
