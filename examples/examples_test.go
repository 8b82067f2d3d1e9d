package examples_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/examples"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// writeExamples writes the examples into a folder that does not exist yet
// and loads their template.
func writeExamples(t *testing.T) *sam.Template {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "nested", "examples")
	path, err := examples.WriteTo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "template.yaml") {
		t.Errorf("template path = %s", path)
	}
	tmpl, err := sam.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestWriteToLoads(t *testing.T) {
	tmpl := writeExamples(t)
	if len(tmpl.Warnings) != 0 {
		t.Errorf("warnings: %q", tmpl.Warnings)
	}
	tests := []struct {
		name    string
		runtime string
		handler string
		codeDir string
		timeout time.Duration
		env     map[string]string
	}{
		{"context-python", "python3.12", "src/handlers/inspect.handler", "context", 3 * time.Second,
			map[string]string{"GREETING": "Hello from template.yaml", "API_TOKEN": "example-token-4f7c2a91"}},
		{"counter-node", "nodejs20.x", "index.handler", "counter-node", 3 * time.Second, nil},
		{"hello-node", "nodejs20.x", "index.handler", "hello-node", 3 * time.Second, nil},
		{"hello-python", "python3.12", "app.handler", "hello-python", 3 * time.Second, nil},
		{"logger-node", "nodejs20.x", "index.handler", "logger-node", 3 * time.Second, nil},
		{"sleeper-node", "nodejs20.x", "index.handler", "sleeper-node", 1 * time.Second, nil},
		{"thrower-node", "nodejs20.x", "index.handler", "thrower-node", 3 * time.Second, nil},
		{"thrower-python", "python3.12", "app.handler", "thrower-python", 3 * time.Second, nil},
	}
	if len(tmpl.Functions) != len(tests) {
		t.Fatalf("got %d functions, want %d: %+v", len(tmpl.Functions), len(tests), tmpl.Functions)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := tmpl.Functions[i]
			if fn.Name != tt.name || fn.Runtime != tt.runtime || fn.Handler != tt.handler ||
				fn.CodeDir != filepath.Join(tmpl.Dir, tt.codeDir) || fn.Timeout != tt.timeout ||
				fn.MemoryMB != 128 || fn.Concurrency != lambdadeck.DefaultConcurrency || fn.Description == "" ||
				!reflect.DeepEqual(fn.Environment, tt.env) || !fn.Runnable() {
				t.Errorf("unexpected function %+v", fn)
			}
			event, err := os.ReadFile(filepath.Join(tmpl.Dir, "events", tt.name+".json"))
			if err != nil || !json.Valid(event) {
				t.Errorf("events/%s.json: %v, valid JSON %v", tt.name, err, json.Valid(event))
			}
		})
	}
}

func TestWriteToIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, dir)

	// Age every file, then edit one: a second WriteTo restores the edited
	// file and leaves the others (and their modification times) alone.
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for name := range first {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	edited := filepath.Join(dir, "hello-node", "index.js")
	if err := os.WriteFile(edited, []byte("module.exports.handler = async () => 'edited';\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	userFile := filepath.Join(dir, "hello-node", "notes.txt")
	if err := os.WriteFile(userFile, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := examples.WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, dir)
	delete(second, "hello-node/notes.txt")
	if !reflect.DeepEqual(first, second) {
		t.Error("the second WriteTo did not restore the examples")
	}
	for name := range first {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rewritten := !fi.ModTime().Equal(old)
		if want := name == "hello-node/index.js"; rewritten != want {
			t.Errorf("%s rewritten = %v, want %v", name, rewritten, want)
		}
	}
	if _, err := os.Stat(userFile); err != nil {
		t.Errorf("a file that is not an example was removed: %v", err)
	}
	for _, want := range []string{"context/src/__init__.py", "context/src/handlers/__init__.py", "events/counter-node.json"} {
		if _, ok := first[want]; !ok {
			t.Errorf("%s was not written", want)
		}
	}
}

// snapshot returns the content of every file under dir, by slash path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// nodeHarness calls a handler the way Lambda would, minus the Runtime API:
// it imports the module (CommonJS or ESM), calls the handler `times` times
// with the event and a context, and prints each outcome on a RESULT line.
const nodeHarness = `
import { pathToFileURL } from "node:url";
const [file, event, times] = process.argv.slice(1);
const mod = await import(pathToFileURL(file));
const handler = mod.handler ?? mod.default?.handler;
const context = {
  awsRequestId: "11111111-2222-3333-4444-555555555555",
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  getRemainingTimeInMillis: () => 3000,
};
for (let i = 0; i < Number(times); i++) {
  let outcome;
  try {
    outcome = { result: await handler(JSON.parse(event), context) };
  } catch (e) {
    outcome = { errorType: e.name, errorMessage: e.message, trace: e.stack.split("\n") };
  }
  console.log("RESULT " + JSON.stringify(outcome));
}
`

// pythonHarness does the same for a Python handler; the handler string is
// resolved as Lambda does (split at the last dot, slashes to dots).
const pythonHarness = `
import importlib, json, os, sys, traceback
code_dir, handler_name, event, times = sys.argv[1:]
sys.path.insert(0, code_dir)
module_name, function_name = handler_name.rsplit('.', 1)
handler = getattr(importlib.import_module(module_name.replace('/', '.')), function_name)

class Identity:
    cognito_identity_id = None
    cognito_identity_pool_id = None

class Context:
    aws_request_id = '11111111-2222-3333-4444-555555555555'
    function_name = os.environ['AWS_LAMBDA_FUNCTION_NAME']
    function_version = '$LATEST'
    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:' + function_name
    memory_limit_in_mb = '128'
    log_group_name = '/aws/lambda/' + function_name
    log_stream_name = '2024/05/01/[$LATEST]abc'
    identity = Identity()
    client_context = None
    def get_remaining_time_in_millis(self):
        return 3000

for _ in range(int(times)):
    try:
        outcome = {'result': handler(json.loads(event), Context())}
    except Exception as e:
        outcome = {'errorType': type(e).__name__, 'errorMessage': str(e), 'trace': traceback.format_exc().splitlines()}
    print('RESULT ' + json.dumps(outcome))
`

// outcome is what a harness prints for one call.
type outcome struct {
	Result       json.RawMessage
	ErrorType    string
	ErrorMessage string
	Trace        []string
}

// TestHandlersRun runs every example's handler with its sample event in a
// real node or python3 process and checks what it returns or throws.
func TestHandlersRun(t *testing.T) {
	tmpl := writeExamples(t)
	tests := []struct {
		name  string
		event string // "" for the sample in events/
		times int
		check func(t *testing.T, outcomes []outcome, output string)
	}{
		{"hello-node", "", 1, func(t *testing.T, o []outcome, _ string) {
			wantJSON(t, o[0].Result, `{"statusCode":200,"body":"{\"message\":\"Your Lambda function has successfully executed!\"}"}`)
		}},
		{"hello-python", "", 1, func(t *testing.T, o []outcome, _ string) {
			wantJSON(t, o[0].Result, `{"statusCode":200,"body":"{\"message\": \"Your Lambda function has successfully executed!\"}"}`)
		}},
		{"logger-node", "", 1, func(t *testing.T, o []outcome, output string) {
			wantJSON(t, o[0].Result, `{"linesLogged":7,"levels":["INFO","WARN","ERROR","DEBUG"],"requestId":"11111111-2222-3333-4444-555555555555"}`)
			for _, want := range []string{"Received event: {", "action: 'checkout'", "logged at WARN", "logged at ERROR",
				"logged at DEBUG", "A multi-line message:\n  first detail", "items: [ 'book', 'pen' ]"} {
				if !strings.Contains(output, want) {
					t.Errorf("logs lack %q:\n%s", want, output)
				}
			}
		}},
		{"thrower-python", "", 1, func(t *testing.T, o []outcome, _ string) {
			if o[0].ErrorType != "OrderRejected" || o[0].ErrorMessage != "order A-1001 rejected: payment declined" {
				t.Errorf("got %+v", o[0])
			}
			if !strings.Contains(strings.Join(o[0].Trace, "\n"), "in check_order") {
				t.Errorf("trace lacks check_order: %q", o[0].Trace)
			}
		}},
		{"thrower-node", "", 1, func(t *testing.T, o []outcome, _ string) {
			if o[0].ErrorType != "TypeError" || !strings.Contains(o[0].ErrorMessage, "reading 'amount'") {
				t.Errorf("got %+v", o[0])
			}
			trace := strings.Join(o[0].Trace, "\n")
			if !strings.Contains(trace, "at priceOf") || !strings.Contains(trace, "at orderTotal") {
				t.Errorf("trace lacks the nested calls: %s", trace)
			}
		}},
		{"sleeper-node", `{"ms": 20}`, 1, func(t *testing.T, o []outcome, _ string) {
			wantJSON(t, o[0].Result, `{"sleptMs":20}`)
		}},
		{"context-python", "", 1, func(t *testing.T, o []outcome, _ string) {
			var got struct {
				Event   map[string]any
				Context map[string]any
				Env     map[string]any
			}
			if err := json.Unmarshal(o[0].Result, &got); err != nil {
				t.Fatalf("%v: %s", err, o[0].Result)
			}
			if got.Event["hello"] != "world" || got.Context["function_name"] != "context-python" ||
				got.Context["memory_limit_in_mb"] != "128" || got.Context["remaining_time_in_millis"] != 3000.0 ||
				got.Context["client_context"] != nil || got.Env["GREETING"] != "Hello from template.yaml" ||
				got.Env["API_TOKEN"] != "example-token-4f7c2a91" || got.Env["AWS_REGION"] != "us-east-1" {
				t.Errorf("got %s", o[0].Result)
			}
			for _, field := range []string{"aws_request_id", "function_version", "invoked_function_arn", "log_group_name", "log_stream_name", "identity"} {
				if _, ok := got.Context[field]; !ok {
					t.Errorf("context lacks %s", field)
				}
			}
		}},
		{"counter-node", "", 3, func(t *testing.T, o []outcome, _ string) {
			wantJSON(t, o[0].Result, `{"invocations":1,"coldStart":true}`)
			wantJSON(t, o[2].Result, `{"invocations":3,"coldStart":false}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := tmpl.Function(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			event := tt.event
			if event == "" {
				data, err := os.ReadFile(filepath.Join(tmpl.Dir, "events", tt.name+".json"))
				if err != nil {
					t.Fatal(err)
				}
				event = string(data)
			}
			var cmd *exec.Cmd
			switch {
			case strings.HasPrefix(fn.Runtime, "nodejs"):
				module, _, _ := strings.Cut(fn.Handler, ".")
				file := filepath.Join(fn.CodeDir, module+".js")
				if _, err := os.Stat(file); err != nil {
					file = filepath.Join(fn.CodeDir, module+".mjs")
				}
				cmd = exec.Command("node", "--input-type=module", "-e", nodeHarness, file, event, strconv.Itoa(tt.times))
			case strings.HasPrefix(fn.Runtime, "python"):
				cmd = exec.Command("python3", "-c", pythonHarness, fn.CodeDir, fn.Handler, event, strconv.Itoa(tt.times))
			}
			cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME="+fn.Name, "AWS_REGION=us-east-1", "PYTHONDONTWRITEBYTECODE=1")
			for k, v := range fn.Environment {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			var outcomes []outcome
			for _, line := range strings.Split(string(stdout), "\n") {
				if result, ok := strings.CutPrefix(line, "RESULT "); ok {
					var o outcome
					if err := json.Unmarshal([]byte(result), &o); err != nil {
						t.Fatal(err)
					}
					outcomes = append(outcomes, o)
				}
			}
			if len(outcomes) != tt.times {
				t.Fatalf("got %d outcomes, want %d:\n%s%s", len(outcomes), tt.times, stdout, stderr.String())
			}
			tt.check(t, outcomes, string(stdout)+stderr.String())
		})
	}
}

func wantJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("result %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("result = %s, want %s", got, want)
	}
}
