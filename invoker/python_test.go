package invoker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Conformance tests of the Python bootstrap (invoker/runtimes/python): real
// python3 processes under a real Invoker, asserting the exact payloads, error
// documents and log lines of Lambda's Python runtime (reference §4).

// requirePython skips the test when the machine has no python3.
func requirePython(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the Python bootstrap tests run real python3 processes")
	}
}

// pyWriteCode writes files (path relative to the code directory → source) into
// a fresh temporary code directory and returns it.
func pyWriteCode(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pythonFunction is a Python function named name running handler from dir.
func pythonFunction(name, runtime, handler, dir string) lambdadeck.Function {
	if runtime == "" {
		runtime = "python3.12"
	}
	return lambdadeck.Function{
		Name: name, Runtime: runtime, Handler: handler, CodeDir: dir,
		Timeout: 5 * time.Second, MemoryMB: 128, Concurrency: 1,
	}
}

// pyStartInvoker returns an Invoker for fns, closed when the test ends.
func pyStartInvoker(t testing.TB, fns ...lambdadeck.Function) *Invoker {
	t.Helper()
	iv, err := New(Config{Functions: fns, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	for _, fn := range fns {
		if got, _ := iv.Function(fn.Name); !got.Runnable() {
			t.Fatalf("function %s is not runnable: %s", fn.Name, got.NotRunnable)
		}
	}
	return iv
}

// invoke runs one invocation and fails the test if lambdadeck itself fails.
func pyInvoke(t testing.TB, iv *Invoker, req lambdadeck.InvokeRequest) *lambdadeck.Invocation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if req.Event == nil {
		req.Event = []byte(`{}`)
	}
	inv, err := iv.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("invoke %s: %v", req.Function, err)
	}
	return inv
}

// expand replaces {id} by the request id and {dir} by the code directory.
func pyExpand(s string, inv *lambdadeck.Invocation, dir string) string {
	return strings.NewReplacer("{id}", inv.RequestID, "{dir}", dir).Replace(s)
}

func TestPythonResponses(t *testing.T) {
	requirePython(t)
	tests := []struct {
		name        string
		runtime     string
		code        string // app.py; the handler is app.handler
		event       string
		wantPayload string
		wantType    string // Content-Type posted with the response
	}{
		{
			name:        "dict with separators of Lambda's encoder",
			code:        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok', 'list': [1, 2.5, None, True]}\n",
			wantPayload: `{"statusCode": 200, "body": "ok", "list": [1, 2.5, null, true]}`,
			wantType:    "application/json",
		},
		{
			name:        "None is null",
			code:        "def handler(event, context):\n    return None\n",
			wantPayload: `null`,
			wantType:    "application/json",
		},
		{
			name:        "string is a JSON string",
			code:        "def handler(event, context):\n    return 'hello'\n",
			wantPayload: `"hello"`,
			wantType:    "application/json",
		},
		{
			name:        "event is parsed JSON",
			code:        "def handler(event, context):\n    return {'type': type(event).__name__, 'event': event}\n",
			event:       `{"a":[1,2.5,"x"],"b":null,"c":{"d":false}}`,
			wantPayload: `{"type": "dict", "event": {"a": [1, 2.5, "x"], "b": null, "c": {"d": false}}}`,
			wantType:    "application/json",
		},
		{
			name: "Decimal written as the exact number",
			code: "from decimal import Decimal\n" +
				"def handler(event, context):\n" +
				"    return {'price': Decimal('19.90'), 'big': Decimal('123456789012345678901234567890.000001'), 'neg': Decimal('-1E+3'), 'nan': Decimal('NaN'), 'text': 'Decimal'}\n",
			wantPayload: `{"price": 19.90, "big": 123456789012345678901234567890.000001, "neg": -1E+3, "nan": NaN, "text": "Decimal"}`,
			wantType:    "application/json",
		},
		{
			name:        "NaN and Infinity allowed",
			code:        "def handler(event, context):\n    return [float('nan'), float('inf'), -float('inf')]\n",
			wantPayload: `[NaN, Infinity, -Infinity]`,
			wantType:    "application/json",
		},
		{
			name:        "bytes posted raw as application/unknown",
			code:        "def handler(event, context):\n    return b'\\x00\\xffraw bytes'\n",
			wantPayload: "\x00\xffraw bytes",
			wantType:    "application/unknown",
		},
		{
			name:        "python3.12 keeps non-ASCII text",
			runtime:     "python3.12",
			code:        "def handler(event, context):\n    return {'greeting': 'h\\u00e9llo \\u4e16\\u754c'}\n",
			wantPayload: `{"greeting": "héllo 世界"}`,
			wantType:    "application/json",
		},
		{
			name:        "python3.11 escapes non-ASCII text",
			runtime:     "python3.11",
			code:        "def handler(event, context):\n    return {'greeting': 'h\\u00e9llo \\u4e16\\u754c'}\n",
			wantPayload: `{"greeting": "h\u00e9llo \u4e16\u754c"}`,
			wantType:    "application/json",
		},
		{
			name:        "tuple is an array",
			code:        "def handler(event, context):\n    return (1, 'two')\n",
			wantPayload: `[1, "two"]`,
			wantType:    "application/json",
		},
	}
	// One invoker serves every row, each with its own function and code.
	fns := make([]lambdadeck.Function, len(tests))
	for i, tt := range tests {
		fns[i] = pythonFunction(fmt.Sprintf("f%d", i), tt.runtime, "app.handler", pyWriteCode(t, map[string]string{"app.py": tt.code}))
	}
	iv := pyStartInvoker(t, fns...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			event := tt.event
			if event == "" {
				event = `{}`
			}
			inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: fns[i].Name, Event: []byte(event)})
			if inv.Status != lambdadeck.StatusSucceeded {
				t.Fatalf("status = %s, error %+v, logs:\n%s", inv.Status, inv.Error, inv.Logs)
			}
			if string(inv.Payload) != tt.wantPayload {
				t.Errorf("payload = %q, want %q", inv.Payload, tt.wantPayload)
			}
			if inv.ContentType != tt.wantType {
				t.Errorf("content type = %q, want %q", inv.ContentType, tt.wantType)
			}
		})
	}
}

func TestPythonHandlerStrings(t *testing.T) {
	requirePython(t)
	files := map[string]string{
		"app.py":                   "def handler(event, context):\n    return __name__\n",
		"pkg/__init__.py":          "",
		"pkg/sub/__init__.py":      "",
		"pkg/sub/module.py":        "def function(event, context):\n    return __name__\n",
		"src/handlers/app.py":      "def handler(event, context):\n    return __name__\n",
		"nsonly/deep/lambda_fn.py": "def go(event, context):\n    return __name__\n",
	}
	tests := []struct {
		handler string
		want    string
	}{
		{"app.handler", `"app"`},
		{"pkg.sub.module.function", `"pkg.sub.module"`},
		{"pkg/sub.module.function", `"pkg.sub.module"`},
		{"pkg/sub/module.function", `"pkg.sub.module"`},
		{"src/handlers/app.handler", `"src.handlers.app"`},
		{"nsonly/deep/lambda_fn.go", `"nsonly.deep.lambda_fn"`},
	}
	dir := pyWriteCode(t, files)
	var fns []lambdadeck.Function
	for i, tt := range tests {
		fns = append(fns, pythonFunction(fmt.Sprintf("f%d", i), "", tt.handler, dir))
	}
	iv := pyStartInvoker(t, fns...)
	for i, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: fns[i].Name})
			if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != tt.want {
				t.Errorf("status %s payload %s, want succeeded %s; logs:\n%s", inv.Status, inv.Payload, tt.want, inv.Logs)
			}
		})
	}
}

func TestPythonErrors(t *testing.T) {
	requirePython(t)
	tests := []struct {
		name    string
		files   map[string]string
		handler string
		// wantPayload is the exact error document, {id} and {dir} expanded;
		// empty when check verifies the payload instead.
		wantPayload string
		wantStatus  lambdadeck.Status
		wantType    string
		wantMessage string
		wantStack   []string // expanded; nil skips the check
		wantLogs    []string // substrings of the log, expanded
		check       func(t *testing.T, inv *lambdadeck.Invocation, dir string)
	}{
		{
			name:        "handler exception: Lambda's recorded payload",
			files:       map[string]string{"app.py": "def handler(event, context):\n    raise Exception(\"Handler fails\")\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "Handler fails", "errorType": "Exception", "requestId": "{id}", "stackTrace": ["  File \"{dir}/app.py\", line 2, in handler\n    raise Exception(\"Handler fails\")\n"]}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Exception",
			wantMessage: "Handler fails",
			wantStack:   []string{"  File \"{dir}/app.py\", line 2, in handler\n    raise Exception(\"Handler fails\")\n"},
			wantLogs: []string{
				"[ERROR] Exception: Handler fails\rTraceback (most recent call last):\r\u00a0\u00a0File \"{dir}/app.py\", line 2, in handler\r\u00a0\u00a0\u00a0\u00a0raise Exception(\"Handler fails\")\n",
			},
		},
		{
			name: "exception deep in the user's code keeps every user frame",
			files: map[string]string{
				"app.py":     "import helpers\n\ndef handler(event, context):\n    return helpers.divide(1, 0)\n",
				"helpers.py": "def divide(a, b):\n    return a / b\n",
			},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "division by zero", "errorType": "ZeroDivisionError", "requestId": "{id}", "stackTrace": ["  File \"{dir}/app.py\", line 4, in handler\n    return helpers.divide(1, 0)\n", "  File \"{dir}/helpers.py\", line 2, in divide\n    return a / b\n"]}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "ZeroDivisionError",
			wantMessage: "division by zero",
		},
		{
			name:        "custom exception class name is the error type",
			files:       map[string]string{"app.py": "class PaymentDeclined(Exception):\n    pass\n\ndef handler(event, context):\n    raise PaymentDeclined('card 4242 declined')\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "card 4242 declined", "errorType": "PaymentDeclined", "requestId": "{id}", "stackTrace": ["  File \"{dir}/app.py\", line 5, in handler\n    raise PaymentDeclined('card 4242 declined')\n"]}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "PaymentDeclined",
			wantMessage: "card 4242 declined",
		},
		{
			name:        "unserializable result is Runtime.MarshalError",
			files:       map[string]string{"app.py": "def handler(event, context):\n    return {'ids': {1, 2}}\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable", "errorType": "Runtime.MarshalError", "requestId": "{id}", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.MarshalError",
			wantMessage: "Unable to marshal response: Object of type set is not JSON serializable",
			wantLogs:    []string{"[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type set is not JSON serializable\rTraceback (most recent call last):\n"},
		},
		{
			name:        "handler taking one argument is a TypeError",
			files:       map[string]string{"app.py": "def handler(event):\n    return 1\n"},
			handler:     "app.handler",
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "TypeError",
			wantMessage: "handler() takes 1 positional argument but 2 were given",
		},
		{
			name:        "handler without a dot is Runtime.MalformedHandlerName",
			files:       map[string]string{"app.py": "def handler(event, context):\n    return 1\n"},
			handler:     "app",
			wantPayload: `{"errorMessage": "Bad handler 'app': not enough values to unpack (expected 2, got 1)", "errorType": "Runtime.MalformedHandlerName", "requestId": "", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.MalformedHandlerName",
			wantMessage: "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
			wantLogs: []string{
				"LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code.",
				"[ERROR] Runtime.MalformedHandlerName: Bad handler 'app': not enough values to unpack (expected 2, got 1)\rTraceback (most recent call last):\n",
			},
		},
		{
			name:        "built-in module is Runtime.BuiltInModuleConflict",
			files:       map[string]string{"app.py": ""},
			handler:     "sys.handler",
			wantPayload: `{"errorMessage": "Cannot use built-in module sys as a handler module", "errorType": "Runtime.BuiltInModuleConflict", "requestId": "", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.BuiltInModuleConflict",
			wantMessage: "Cannot use built-in module sys as a handler module",
		},
		{
			name:        "missing module is Runtime.ImportModuleError",
			files:       map[string]string{"app.py": ""},
			handler:     "lambda_function.lambda_handler",
			wantPayload: `{"errorMessage": "Unable to import module 'lambda_function': No module named 'lambda_function'", "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.ImportModuleError",
			wantMessage: "Unable to import module 'lambda_function': No module named 'lambda_function'",
			wantLogs: []string{
				"[WARNING]\t",
				"\t\tLAMBDA_WARNING: Unhandled exception.",
				"[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function': No module named 'lambda_function'\rTraceback (most recent call last):\n",
			},
		},
		{
			name:        "missing dependency of the module is Runtime.ImportModuleError",
			files:       map[string]string{"app.py": "import requests_not_installed\n\ndef handler(event, context):\n    return 1\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "Unable to import module 'app': No module named 'requests_not_installed'", "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.ImportModuleError",
			wantMessage: "Unable to import module 'app': No module named 'requests_not_installed'",
		},
		{
			name:        "syntax error is Runtime.UserCodeSyntaxError",
			files:       map[string]string{"app.py": "def handler(event, context):\n    x = = 1\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "Syntax error in module 'app': invalid syntax (app.py, line 2)", "errorType": "Runtime.UserCodeSyntaxError", "requestId": "", "stackTrace": ["  File \"{dir}/app.py\" Line 2\n        x = = 1\n"]}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.UserCodeSyntaxError",
			wantMessage: "Syntax error in module 'app': invalid syntax (app.py, line 2)",
			wantLogs:    []string{"[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'app': invalid syntax (app.py, line 2)\rTraceback (most recent call last):\r\u00a0\u00a0File \"{dir}/app.py\" Line 2\r\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0x = = 1\n"},
		},
		{
			name:        "missing function is Runtime.HandlerNotFound",
			files:       map[string]string{"app.py": "def other(event, context):\n    return 1\n"},
			handler:     "app.handler",
			wantPayload: `{"errorMessage": "Handler 'handler' missing on module 'app'", "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}`,
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Runtime.HandlerNotFound",
			wantMessage: "Handler 'handler' missing on module 'app'",
		},
		{
			name:        "exception at import: class name and the traceback from import_module",
			files:       map[string]string{"app.py": "raise Exception(\"Runtime Error\")\n"},
			handler:     "app.handler",
			wantStatus:  lambdadeck.StatusFailed,
			wantType:    "Exception",
			wantMessage: "Runtime Error",
			check: func(t *testing.T, inv *lambdadeck.Invocation, dir string) {
				var doc struct {
					RequestID  *string  `json:"requestId"`
					StackTrace []string `json:"stackTrace"`
				}
				if err := json.Unmarshal(inv.Payload, &doc); err != nil {
					t.Fatal(err)
				}
				if doc.RequestID == nil || *doc.RequestID != "" {
					t.Errorf("requestId = %v, want \"\"", doc.RequestID)
				}
				n := len(doc.StackTrace)
				if n < 2 {
					t.Fatalf("stackTrace = %q, want the import frames and the module's", doc.StackTrace)
				}
				if !regexp.MustCompile(`^  File ".*importlib/__init__\.py", line \d+, in import_module\n`).MatchString(doc.StackTrace[0]) {
					t.Errorf("first frame = %q, want importlib's import_module", doc.StackTrace[0])
				}
				if want := "  File \"" + dir + "/app.py\", line 1, in <module>\n    raise Exception(\"Runtime Error\")\n"; doc.StackTrace[n-1] != want {
					t.Errorf("last frame = %q, want %q", doc.StackTrace[n-1], want)
				}
				for _, f := range doc.StackTrace {
					if strings.Contains(f, "lambdadeck_runtime") || strings.Contains(f, "bootstrap.py\"") {
						t.Errorf("runtime frame in the trace: %q", f)
					}
				}
			},
		},
		{
			// KeyboardInterrupt is no Exception: it leaves the runtime, as on
			// Lambda, and Python's traceback shows the runtime's frames,
			// named as Lambda's: main, run, handle_event_request.
			name:        "KeyboardInterrupt ends the process with Lambda's frames below the handler",
			files:       map[string]string{"app.py": "def handler(event, context):\n    raise KeyboardInterrupt\n"},
			handler:     "app.handler",
			wantStatus:  lambdadeck.StatusCrashed,
			wantType:    "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited with error: signal: interrupt",
			check: func(t *testing.T, inv *lambdadeck.Invocation, dir string) {
				start := strings.Index(inv.Logs, "Traceback (most recent call last):\n")
				if start < 0 {
					t.Fatalf("no traceback in the logs:\n%s", inv.Logs)
				}
				frames := regexp.MustCompile(`(?m)^  File "([^"]+)", line \d+, in (\S+)\n    (.*)\n`).FindAllStringSubmatch(inv.Logs[start:], -1)
				// Lambda's: bootstrap.py <module> and main, awslambdaric's
				// __main__.main, then bootstrap.run and handle_event_request,
				// whose calls read as below.
				var names []string
				for _, f := range frames {
					names = append(names, f[2])
				}
				if want := "<module> main main run handle_event_request handler"; strings.Join(names, " ") != want {
					t.Errorf("traceback functions = %q, want %q", names, want)
				}
				if len(frames) == 6 {
					for i, want := range map[int]string{0: "main()", 3: "handle_event_request(", 4: "response = request_handler(event, lambda_context)"} {
						if frames[i][3] != want {
							t.Errorf("frame %d (%s) runs %q, want %q", i, frames[i][2], frames[i][3], want)
						}
					}
					if filepath.Base(frames[0][1]) != "bootstrap.py" {
						t.Errorf("outermost frame is in %s, want the runtime's bootstrap.py", frames[0][1])
					}
				}
				if !strings.Contains(inv.Logs, "  File \""+dir+"/app.py\", line 2, in handler\n    raise KeyboardInterrupt\nKeyboardInterrupt\n") {
					t.Errorf("logs lack the handler's frame and the exception:\n%s", inv.Logs)
				}
			},
		},
		{
			name:        "sys.exit(0) in the handler: the runtime exited without a reason",
			files:       map[string]string{"app.py": "import sys\n\ndef handler(event, context):\n    print('leaving')\n    sys.exit(0)\n"},
			handler:     "app.handler",
			wantPayload: `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: {id} Error: Runtime exited without providing a reason"}`,
			wantStatus:  lambdadeck.StatusCrashed,
			wantType:    "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited without providing a reason",
			wantLogs:    []string{"leaving\n"},
		},
		{
			name:        "sys.exit(3) in the handler: exit status 3",
			files:       map[string]string{"app.py": "import sys\n\ndef handler(event, context):\n    sys.exit(3)\n"},
			handler:     "app.handler",
			wantStatus:  lambdadeck.StatusCrashed,
			wantType:    "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited with error: exit status 3",
		},
	}
	fns := make([]lambdadeck.Function, len(tests))
	for i, tt := range tests {
		fns[i] = pythonFunction(fmt.Sprintf("f%d", i), "", tt.handler, pyWriteCode(t, tt.files))
	}
	iv := pyStartInvoker(t, fns...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := fns[i].CodeDir
			inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: fns[i].Name})
			if inv.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", inv.Status, tt.wantStatus)
			}
			if tt.wantPayload != "" {
				if want := pyExpand(tt.wantPayload, inv, dir); string(inv.Payload) != want {
					t.Errorf("payload =\n%s\nwant\n%s", inv.Payload, want)
				}
			}
			if inv.Error == nil {
				t.Fatalf("no error; payload %s", inv.Payload)
			}
			if inv.Error.Type != tt.wantType || inv.Error.Message != pyExpand(tt.wantMessage, inv, dir) {
				t.Errorf("error = %s: %q, want %s: %q", inv.Error.Type, inv.Error.Message, tt.wantType, pyExpand(tt.wantMessage, inv, dir))
			}
			if tt.wantStack != nil {
				var want []string
				for _, s := range tt.wantStack {
					want = append(want, pyExpand(s, inv, dir))
				}
				if strings.Join(inv.Error.Stack, "|") != strings.Join(want, "|") {
					t.Errorf("stack = %q, want %q", inv.Error.Stack, want)
				}
			}
			for _, s := range tt.wantLogs {
				if want := pyExpand(s, inv, dir); !strings.Contains(inv.Logs, want) {
					t.Errorf("logs lack %q:\n%q", want, inv.Logs)
				}
			}
			if tt.check != nil {
				tt.check(t, inv, dir)
			}
		})
	}
}

// pyUnhandledWarning is the line Lambda's Python runtime logs (at WARNING)
// before the record of an init error. Its message ends with a carriage
// return, as Lambda's does.
const pyUnhandledWarning = "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. " +
	"However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions using " +
	"managed runtimes, runtime updates can be triggered by a function change, or can be applied automatically. To " +
	"determine if the runtime has been updated, check the runtime version in the INIT_START log entry. If this error " +
	"correlates with a change in the runtime version, you may be able to mitigate this error by temporarily rolling " +
	"back to the previous runtime version. For more information, see " +
	"https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"

// TestPythonInitErrorLogLines checks, for each kind of init failure and both
// log formats, the LAMBDA_WARNING line (ending with "\r", as Lambda's) and
// the error record that follows it at once.
func TestPythonInitErrorLogLines(t *testing.T) {
	requirePython(t)
	failures := []struct {
		name      string
		files     map[string]string
		handler   string
		errorType string
		message   string // the start of the error message
	}{
		{"missing module", map[string]string{"app.py": ""}, "lambda_function.handler",
			"Runtime.ImportModuleError", "Unable to import module 'lambda_function': No module named 'lambda_function'"},
		{"missing dependency", map[string]string{"app.py": "import not_installed_anywhere\n"}, "app.handler",
			"Runtime.ImportModuleError", "Unable to import module 'app': No module named 'not_installed_anywhere'"},
		{"syntax error", map[string]string{"app.py": "def handler(event, context)\n    return 1\n"}, "app.handler",
			"Runtime.UserCodeSyntaxError", "Syntax error in module 'app': expected ':' (app.py, line 1)"},
		{"handler not found", map[string]string{"app.py": "def other(event, context):\n    return 1\n"}, "app.handler",
			"Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"},
		{"handler module named as a built-in module", map[string]string{"app.py": ""}, "sys.handler",
			"Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"},
		{"exception raised at import", map[string]string{"app.py": "raise ValueError('bad config')\n"}, "app.handler",
			"ValueError", "bad config"},
	}
	ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`
	formats := []struct {
		name string
		// line returns the expression for the warning line and the start of
		// the error record after it.
		line func(errorType, message string) string
	}{
		{"Text", func(errorType, message string) string {
			return `(?m)^\[WARNING\]\t` + ts + `\.\d{3}Z\t\t` + regexp.QuoteMeta(pyUnhandledWarning) + `\n` +
				regexp.QuoteMeta("[ERROR] "+errorType+": "+message)
		}},
		{"JSON", func(errorType, message string) string {
			warning, _ := json.Marshal(pyUnhandledWarning)
			return `(?m)^\{"timestamp": "` + ts + `Z", "level": "WARNING", "message": ` + regexp.QuoteMeta(string(warning)) +
				`, "logger": "root", "requestId": ""\}\n` +
				`\{"timestamp": "` + ts + `Z", "log_level": "ERROR", "errorMessage": "` + regexp.QuoteMeta(message)
		}},
	}
	var fns []lambdadeck.Function
	for _, format := range formats {
		for i, f := range failures {
			fn := pythonFunction(fmt.Sprintf("init-%s-%d", strings.ToLower(format.name), i), "", f.handler, pyWriteCode(t, f.files))
			fn.Environment = map[string]string{"AWS_LAMBDA_LOG_FORMAT": format.name}
			fns = append(fns, fn)
		}
	}
	iv := pyStartInvoker(t, fns...)
	n := 0
	for _, format := range formats {
		for _, f := range failures {
			fn := fns[n]
			n++
			t.Run(format.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: fn.Name})
				if inv.Error == nil || inv.Error.Type != f.errorType || !strings.HasPrefix(inv.Error.Message, f.message) {
					t.Fatalf("error = %+v, want %s: %s...", inv.Error, f.errorType, f.message)
				}
				if want := regexp.MustCompile(format.line(f.errorType, f.message)); !want.MatchString(inv.Logs) {
					t.Errorf("logs do not match %s:\n%q", want, inv.Logs)
				}
				if strings.Count(inv.Logs, "LAMBDA_WARNING") != 1 {
					t.Errorf("want one LAMBDA_WARNING line:\n%q", inv.Logs)
				}
			})
		}
	}
}

// TestPythonWarmReuse checks that one process serves invocation after
// invocation, keeping module state, and survives a handler's exception.
func TestPythonWarmReuse(t *testing.T) {
	requirePython(t)
	dir := pyWriteCode(t, map[string]string{"app.py": `import os
calls = 0

def handler(event, context):
    global calls
    calls += 1
    if event.get("fail"):
        raise ValueError("failed on call %d" % calls)
    return {"calls": calls, "pid": os.getpid()}
`})
	iv := pyStartInvoker(t, pythonFunction("f", "", "app.handler", dir))
	events := []struct {
		event     string
		wantCold  bool
		wantCalls int // 0 for the failing call
	}{
		{`{}`, true, 1},
		{`{"fail":true}`, false, 0},
		{`{}`, false, 3},
		{`{}`, false, 4},
	}
	pid := 0
	for i, e := range events {
		inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: "f", Event: []byte(e.event)})
		if inv.Cold != e.wantCold {
			t.Errorf("call %d: cold = %v, want %v", i+1, inv.Cold, e.wantCold)
		}
		if e.wantCalls == 0 {
			if inv.Status != lambdadeck.StatusFailed || inv.Error == nil || inv.Error.Type != "ValueError" || inv.Error.Message != "failed on call 2" {
				t.Errorf("call %d: status %s error %+v, want ValueError on call 2", i+1, inv.Status, inv.Error)
			}
			continue
		}
		var got struct{ Calls, Pid int }
		if err := json.Unmarshal(inv.Payload, &got); err != nil {
			t.Fatalf("call %d: payload %s: %v", i+1, inv.Payload, err)
		}
		if got.Calls != e.wantCalls {
			t.Errorf("call %d: calls = %d, want %d", i+1, got.Calls, e.wantCalls)
		}
		if pid == 0 {
			pid = got.Pid
		} else if got.Pid != pid {
			t.Errorf("call %d ran in process %d, want the warm process %d", i+1, got.Pid, pid)
		}
	}
}

// TestPythonContext checks every attribute of the context object and the
// per-invocation trace variable.
func TestPythonContext(t *testing.T) {
	requirePython(t)
	dir := pyWriteCode(t, map[string]string{"app.py": `import os, sys

def handler(event, context):
    cc = context.client_context
    context.log("logged through context.log")
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining": context.get_remaining_time_in_millis(),
        "identity_id": context.identity.cognito_identity_id,
        "identity_pool_id": context.identity.cognito_identity_pool_id,
        "client_context": None if cc is None else {
            "custom": cc.custom, "env": cc.env,
            "app_title": cc.client.app_title, "installation_id": cc.client.installation_id,
        },
        "tenant_id": context.tenant_id,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
        "sys_path_0": sys.path[0],
        "cwd": os.getcwd(),
        "attributes": list(vars(context)),
    }
`})
	fn := pythonFunction("ctx", "", "app.handler", dir)
	fn.MemoryMB = 256
	fn.Timeout = 7 * time.Second
	iv := pyStartInvoker(t, fn)

	type result struct {
		AwsRequestID       string          `json:"aws_request_id"`
		FunctionName       string          `json:"function_name"`
		FunctionVersion    string          `json:"function_version"`
		MemoryLimitInMB    json.RawMessage `json:"memory_limit_in_mb"`
		LogGroupName       string          `json:"log_group_name"`
		LogStreamName      string          `json:"log_stream_name"`
		InvokedFunctionArn string          `json:"invoked_function_arn"`
		Remaining          int             `json:"remaining"`
		IdentityID         *string         `json:"identity_id"`
		IdentityPoolID     *string         `json:"identity_pool_id"`
		ClientContext      json.RawMessage `json:"client_context"`
		TenantID           *string         `json:"tenant_id"`
		TraceID            *string         `json:"trace_id"`
		SysPath0           string          `json:"sys_path_0"`
		Cwd                string          `json:"cwd"`
		Attributes         []string        `json:"attributes"`
	}
	tests := []struct {
		name              string
		req               lambdadeck.InvokeRequest
		wantIdentityID    *string
		wantPoolID        *string
		wantClientContext string
	}{
		{
			name: "with client context and identity",
			req: lambdadeck.InvokeRequest{
				Function:      "ctx",
				ClientContext: []byte(`{"client":{"app_title":"Shop","app_package_name":"com.example"},"custom":{"tenant":"acme"},"env":{"locale":"en_GB"}}`),
				Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "us-east-1:abc", CognitoIdentityPoolID: "us-east-1:pool"},
			},
			wantIdentityID:    pyPtr("us-east-1:abc"),
			wantPoolID:        pyPtr("us-east-1:pool"),
			wantClientContext: `{"custom":{"tenant":"acme"},"env":{"locale":"en_GB"},"app_title":"Shop","installation_id":null}`,
		},
		{
			name:              "without: client_context None, identity an object of None",
			req:               lambdadeck.InvokeRequest{Function: "ctx"},
			wantClientContext: `null`,
		},
	}
	traces := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := pyInvoke(t, iv, tt.req)
			if inv.Status != lambdadeck.StatusSucceeded {
				t.Fatalf("status %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
			}
			var got result
			if err := json.Unmarshal(inv.Payload, &got); err != nil {
				t.Fatalf("payload %s: %v", inv.Payload, err)
			}
			checks := []struct {
				field     string
				got, want any
			}{
				{"aws_request_id", got.AwsRequestID, inv.RequestID},
				{"function_name", got.FunctionName, "ctx"},
				{"function_version", got.FunctionVersion, "$LATEST"},
				{"memory_limit_in_mb (a string)", string(got.MemoryLimitInMB), `"256"`},
				{"log_group_name", got.LogGroupName, "/aws/lambda/ctx"},
				{"invoked_function_arn", got.InvokedFunctionArn, fn.ARN()},
				{"identity_id", pyDeref(got.IdentityID), pyDeref(tt.wantIdentityID)},
				{"identity_pool_id", pyDeref(got.IdentityPoolID), pyDeref(tt.wantPoolID)},
				{"tenant_id", pyDeref(got.TenantID), "<None>"},
				{"client_context", pyCompactJSON(t, got.ClientContext), pyCompactJSON(t, json.RawMessage(tt.wantClientContext))},
				{"sys.path[0] (task root first)", got.SysPath0, dir},
				{"working directory", got.Cwd, dir},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
			if got.LogStreamName == "" {
				t.Error("log_stream_name is empty")
			}
			// vars(context) as on Lambda, the private deadline included.
			wantAttributes := "aws_request_id log_group_name log_stream_name function_name memory_limit_in_mb function_version " +
				"invoked_function_arn tenant_id client_context identity _epoch_deadline_time_in_ms"
			if strings.Join(got.Attributes, " ") != wantAttributes {
				t.Errorf("vars(context) = %q, want %q", got.Attributes, wantAttributes)
			}
			if got.Remaining <= 0 || got.Remaining > 7000 {
				t.Errorf("remaining = %d ms, want within the 7 s timeout", got.Remaining)
			}
			if got.TraceID == nil || !strings.HasPrefix(*got.TraceID, "Root=1-") {
				t.Errorf("_X_AMZN_TRACE_ID = %v, want the invocation's trace header", pyDeref(got.TraceID))
			} else if traces[*got.TraceID] {
				t.Errorf("_X_AMZN_TRACE_ID %s repeats an earlier invocation's", *got.TraceID)
			} else {
				traces[*got.TraceID] = true
			}
			if !strings.Contains(inv.Logs, "logged through context.log") {
				t.Errorf("logs lack context.log output:\n%s", inv.Logs)
			}
		})
	}
}

func pyPtr(s string) *string { return &s }

func pyDeref(s *string) string {
	if s == nil {
		return "<None>"
	}
	return *s
}

func pyCompactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// pyLogCode logs in every way a handler can; the event's "fail" makes it raise.
const pyLogCode = `import logging, sys
logger = logging.getLogger("orders")

def handler(event, context):
    print("printed line")
    sys.stderr.write("stderr line\n")
    logging.debug("debug line")
    logging.info("info line")
    logger.warning("warning from %s", "orders", extra={"orderId": 42, "skipped": None})
    try:
        {}["missing"]
    except KeyError:
        logging.exception("lookup failed")
    if event.get("fail"):
        raise RuntimeError("bad \u00e9vent")
    return "done"
`

func TestPythonLogging(t *testing.T) {
	requirePython(t)
	ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`
	tests := []struct {
		name      string
		logFormat string
		logLevel  string
		fail      bool
		want      []string // regular expressions; {id} is the quoted request id
		notWant   []string // plain substrings
	}{
		{
			name: "text, default level WARNING",
			want: []string{
				`(?m)^printed line\n`,
				`(?m)^stderr line\n`,
				`\[WARNING\]\t` + ts + `\.\d{3}Z\t{id}\twarning from orders\n`,
				`\[ERROR\]\t` + ts + `\.\d{3}Z\t{id}\tlookup failed\nTraceback \(most recent call last\):\n  File ".*app\.py", line 11, in handler\n`,
			},
			notWant: []string{"debug line", "info line"},
		},
		{
			name:     "text, AWS_LAMBDA_LOG_LEVEL=DEBUG",
			logLevel: "DEBUG",
			want: []string{
				`\[DEBUG\]\t` + ts + `\.\d{3}Z\t{id}\tdebug line\n`,
				`\[INFO\]\t` + ts + `\.\d{3}Z\t{id}\tinfo line\n`,
			},
		},
		{
			name:     "text, TRACE means DEBUG",
			logLevel: "TRACE",
			want:     []string{`\[DEBUG\]\t` + ts + `\.\d{3}Z\t{id}\tdebug line\n`},
		},
		{
			name:     "text, ERROR filters warnings",
			logLevel: "ERROR",
			want:     []string{`\[ERROR\]\t` + ts + `\.\d{3}Z\t{id}\tlookup failed\n`},
			notWant:  []string{"warning from orders", "info line"},
		},
		{
			name: "text, unhandled error record",
			fail: true,
			want: []string{
				`\[ERROR\] RuntimeError: bad \x{e9}vent\rTraceback \(most recent call last\):\r\x{a0}\x{a0}File ".*app\.py", line 15, in handler\r\x{a0}\x{a0}\x{a0}\x{a0}raise RuntimeError\("bad \\u00e9vent"\)\n`,
			},
		},
		{
			name:      "JSON, level INFO",
			logFormat: "JSON",
			logLevel:  "INFO",
			want: []string{
				`(?m)^printed line\n`,
				`\{"timestamp": "` + ts + `Z", "level": "INFO", "message": "info line", "logger": "root", "requestId": {id}\}\n`,
				`\{"timestamp": "` + ts + `Z", "level": "WARNING", "message": "warning from orders", "logger": "orders", "requestId": {id}, "orderId": 42\}\n`,
				`\{"timestamp": "` + ts + `Z", "level": "ERROR", "message": "lookup failed", "logger": "root", "stackTrace": \["  File \\".*app\.py\\", line 11, in handler\\n    \{\}\[\\"missing\\"\]\\n(    [~^]+\\n)?"\], "errorType": "KeyError", "errorMessage": "'missing'", "requestId": {id}, "location": ".*app\.py:handler:13"\}\n`,
			},
			notWant: []string{"debug line", `"skipped"`},
		},
		{
			name:      "JSON, unhandled error record",
			logFormat: "JSON",
			fail:      true,
			want: []string{
				`\{"timestamp": "` + ts + `Z", "log_level": "ERROR", "errorMessage": "bad \x{e9}vent", "errorType": "RuntimeError", "requestId": {id}, "stackTrace": \["  File \\".*app\.py\\", line 15, in handler\\n    raise RuntimeError\(\\"bad \\\\u00e9vent\\"\)\\n"\]\}\n`,
			},
		},
	}
	fns := make([]lambdadeck.Function, len(tests))
	for i, tt := range tests {
		fns[i] = pythonFunction(fmt.Sprintf("f%d", i), "", "app.handler", pyWriteCode(t, map[string]string{"app.py": pyLogCode}))
		fns[i].LogFormat, fns[i].LogLevel = tt.logFormat, tt.logLevel
	}
	iv := pyStartInvoker(t, fns...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			event := `{}`
			if tt.fail {
				event = `{"fail":true}`
			}
			inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: fns[i].Name, Event: []byte(event)})
			wantStatus := lambdadeck.StatusSucceeded
			if tt.fail {
				wantStatus = lambdadeck.StatusFailed
			}
			if inv.Status != wantStatus {
				t.Fatalf("status = %s, want %s; payload %s", inv.Status, wantStatus, inv.Payload)
			}
			for _, w := range tt.want {
				re := regexp.MustCompile(strings.ReplaceAll(w, "{id}", regexp.QuoteMeta(pyQuoteIfJSON(tt.logFormat, inv.RequestID))))
				if !re.MatchString(inv.Logs) {
					t.Errorf("logs do not match %s:\n%q", re, inv.Logs)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(inv.Logs, s) {
					t.Errorf("logs hold %q:\n%q", s, inv.Logs)
				}
			}
			// Every line the handler wrote is in the log before the END line.
			if i, j := strings.Index(inv.Logs, "printed line"), strings.LastIndex(inv.Logs, inv.RequestID); i < 0 || i > j {
				t.Errorf("printed line missing or after the platform's last line:\n%s", inv.Logs)
			}
		})
	}
}

func pyQuoteIfJSON(format, id string) string {
	if format == "JSON" {
		return `"` + id + `"`
	}
	return id
}

// TestPythonStartup checks §4.1: .pth files in the task root are honoured and
// the user's modules may share names with the runtime's own modules.
func TestPythonStartup(t *testing.T) {
	requirePython(t)
	dir := pyWriteCode(t, map[string]string{
		"extra.pth":          "vendor\n",
		"vendor/vendored.py": "NAME = 'vendored'\n",
		"runtime.py":         "import context, payload, logs, faults, rapid, bootstrap\n\ndef handler(event, context_):\n    import vendored\n    return [vendored.NAME, context.NAME, payload.NAME, logs.NAME, faults.NAME, rapid.NAME, bootstrap.NAME]\n",
		"context.py":         "NAME = 'user context'\n",
		"payload.py":         "NAME = 'user payload'\n",
		"logs.py":            "NAME = 'user logs'\n",
		"faults.py":          "NAME = 'user faults'\n",
		"rapid.py":           "NAME = 'user rapid'\n",
		"bootstrap.py":       "NAME = 'user bootstrap'\n",
	})
	iv := pyStartInvoker(t, pythonFunction("f", "", "runtime.handler", dir))
	inv := pyInvoke(t, iv, lambdadeck.InvokeRequest{Function: "f"})
	want := `["vendored", "user context", "user payload", "user logs", "user faults", "user rapid", "user bootstrap"]`
	if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != want {
		t.Errorf("status %s payload %s, want %s; logs:\n%s", inv.Status, inv.Payload, want, inv.Logs)
	}
}
