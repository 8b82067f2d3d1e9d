package invoker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/runtimes"
)

// The Node.js bootstrap's conformance tests: real node processes behind the
// real Runtime API, driven only through Invoker.Invoke. Each case writes its
// handler code into a temporary folder.

// nodeDefaultTimeout is generous: the tests assert behaviour, not speed,
// and must hold on a loaded machine.
const nodeDefaultTimeout = 10 * time.Second

// requireNode skips the test when node is not installed.
func requireNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: the Node.js bootstrap tests run real node processes")
	}
}

// nodeFunction writes files (relative name → content) into a fresh folder and
// returns a Node.js function serving them with handler.
func nodeFunction(t *testing.T, name, handler string, files map[string]string, mutate ...func(*lambdadeck.Function)) lambdadeck.Function {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fn := lambdadeck.Function{
		Name: name, Runtime: "nodejs20.x", Handler: handler, CodeDir: dir,
		Timeout: nodeDefaultTimeout, MemoryMB: 256, Concurrency: 2,
	}
	for _, m := range mutate {
		m(&fn)
	}
	return fn
}

func nodeInvoker(t *testing.T, fns ...lambdadeck.Function) *Invoker {
	t.Helper()
	iv, err := New(Config{Functions: fns, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	return iv
}

func nodeInvoke(t *testing.T, iv *Invoker, name, event string) *lambdadeck.Invocation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inv, err := iv.Invoke(ctx, lambdadeck.InvokeRequest{Function: name, Event: []byte(event), Source: lambdadeck.SourceTest})
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	return inv
}

// nodeRapidError is the body the Node.js runtime posts to /error.
type nodeRapidError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

func decodeNodeError(t *testing.T, inv *lambdadeck.Invocation) nodeRapidError {
	t.Helper()
	var e nodeRapidError
	if err := json.Unmarshal(inv.Payload, &e); err != nil {
		t.Fatalf("error payload %q is not JSON: %v", inv.Payload, err)
	}
	return e
}

// nodeOutcome is what one invocation should produce. Exactly one of payload
// and errorType is set. errorMessage, when set, is matched exactly, unless
// errorMessagePrefix is set instead.
type nodeOutcome struct {
	payload            string
	errorType          string
	errorMessage       string
	errorMessagePrefix string
	status             lambdadeck.Status
	logs               []string // substrings the invocation's log must hold
	noLogs             []string // substrings it must not hold
}

func checkNodeOutcome(t *testing.T, inv *lambdadeck.Invocation, want nodeOutcome) {
	t.Helper()
	defer func() {
		if t.Failed() {
			t.Logf("payload: %s\nlogs:\n%s", inv.Payload, inv.Logs)
		}
	}()
	if want.status != "" && inv.Status != want.status {
		t.Errorf("status = %s, want %s", inv.Status, want.status)
	}
	if want.errorType == "" {
		if inv.Status != lambdadeck.StatusSucceeded {
			t.Errorf("status = %s, want succeeded", inv.Status)
		}
		if string(inv.Payload) != want.payload {
			t.Errorf("payload = %s, want %s", inv.Payload, want.payload)
		}
		if inv.Error != nil {
			t.Errorf("error = %+v, want none", inv.Error)
		}
	} else {
		if inv.Error == nil {
			t.Fatalf("no error, want %s", want.errorType)
		}
		got := decodeNodeError(t, inv)
		if got.ErrorType != want.errorType || inv.Error.Type != want.errorType {
			t.Errorf("errorType = %q (parsed %q), want %q", got.ErrorType, inv.Error.Type, want.errorType)
		}
		if want.errorMessage != "" && got.ErrorMessage != want.errorMessage {
			t.Errorf("errorMessage = %q, want %q", got.ErrorMessage, want.errorMessage)
		}
		if want.errorMessagePrefix != "" && !strings.HasPrefix(got.ErrorMessage, want.errorMessagePrefix) {
			t.Errorf("errorMessage = %q, want prefix %q", got.ErrorMessage, want.errorMessagePrefix)
		}
	}
	for _, s := range want.logs {
		if !strings.Contains(inv.Logs, s) {
			t.Errorf("logs lack %q", s)
		}
	}
	for _, s := range want.noLogs {
		if strings.Contains(inv.Logs, s) {
			t.Errorf("logs hold %q", s)
		}
	}
}

const nodeCJSHandler = `exports.handler = async () => "cjs";`

// nodeRetrievingProblem is the message Lambda's client posts for an error
// whose name, message or stack it cannot read as strings.
const nodeRetrievingProblem = "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack"

func TestNodeHandlerResolution(t *testing.T) {
	requireNode(t)
	cases := []struct {
		name    string
		handler string
		files   map[string]string
		want    nodeOutcome
	}{
		{"commonjs", "index.handler", map[string]string{"index.js": nodeCJSHandler},
			nodeOutcome{payload: `"cjs"`}},
		{"extensionless file", "app.handler", map[string]string{"app": `exports.handler = async () => "bare";`},
			nodeOutcome{payload: `"bare"`}},
		{"folder with index.js", "lib.handler", map[string]string{"lib/index.js": `exports.handler = async () => "dir";`},
			nodeOutcome{payload: `"dir"`}},
		{"mjs is ESM", "index.handler", map[string]string{"index.mjs": `export const handler = async () => typeof require;`},
			nodeOutcome{payload: `"undefined"`}},
		{"js in a type module package is ESM", "index.handler", map[string]string{
			"package.json": `{"type":"module"}`,
			"index.js":     `export const handler = async () => "esm " + typeof require;`},
			nodeOutcome{payload: `"esm undefined"`}},
		{"js in a type commonjs package is CJS", "index.handler", map[string]string{
			"package.json": `{"type":"commonjs"}`,
			"index.js":     `exports.handler = async () => "cjs " + typeof require;`},
			nodeOutcome{payload: `"cjs function"`}},
		{"cjs", "index.handler", map[string]string{"index.cjs": `exports.handler = async () => "cjs file";`},
			nodeOutcome{payload: `"cjs file"`}},
		{"nested folders", "src/handlers/app.handler", map[string]string{"src/handlers/app.js": `exports.handler = async () => "nested";`},
			nodeOutcome{payload: `"nested"`}},
		{"nested export path", "index.a.b", map[string]string{"index.js": `exports.a = { b: async () => "a.b" };`},
			nodeOutcome{payload: `"a.b"`}},
		{"ESM default export", "index.default", map[string]string{"index.mjs": `export default async () => "default";`},
			nodeOutcome{payload: `"default"`}},
		{"node resolution into node_modules", "mypkg.handler", map[string]string{
			"node_modules/mypkg/package.json": `{"main":"main.js"}`,
			"node_modules/mypkg/main.js":      `exports.handler = async () => "pkg";`},
			nodeOutcome{payload: `"pkg"`}},
		{"relative path", "../index.handler", map[string]string{"index.js": nodeCJSHandler},
			nodeOutcome{errorType: "Runtime.MalformedHandlerName",
				errorMessage: "'../index.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names."}},
		{"no dot", "index", map[string]string{"index.js": nodeCJSHandler},
			nodeOutcome{errorType: "Runtime.MalformedHandlerName", errorMessage: "Bad handler"}},
		{"missing module", "app.handler", map[string]string{"index.js": nodeCJSHandler},
			nodeOutcome{errorType: "Runtime.ImportModuleError",
				errorMessagePrefix: "Error: Cannot find module 'app'\nRequire stack:\n- /",
				logs:               []string{"\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\""}}},
		{"syntax error", "index.handler", map[string]string{"index.js": "exports.handler = async () => { return 1; }}"},
			nodeOutcome{errorType: "Runtime.UserCodeSyntaxError", errorMessage: "SyntaxError: Unexpected token '}'"}},
		{"ESM syntax error", "index.handler", map[string]string{"index.mjs": "export const handler = async () => {;"},
			nodeOutcome{errorType: "Runtime.UserCodeSyntaxError", errorMessagePrefix: "SyntaxError: "}},
		{"missing export", "index.nope", map[string]string{"index.js": nodeCJSHandler},
			nodeOutcome{errorType: "Runtime.HandlerNotFound", errorMessage: "index.nope is undefined or not exported"}},
		{"export is not a function", "index.value", map[string]string{"index.js": `exports.value = 42;`},
			nodeOutcome{errorType: "Runtime.HandlerNotFound", errorMessage: "index.value is not a function"}},
		{"ESM import of a missing package", "index.handler", map[string]string{"index.mjs": `import x from "nope-pkg"; export const handler = async () => x;`},
			nodeOutcome{errorType: "Error", errorMessagePrefix: "Cannot find package 'nope-pkg' imported from "}},
		{"throw at init", "index.handler", map[string]string{"index.js": `console.log("loading"); throw new TypeError("init boom");`},
			nodeOutcome{errorType: "TypeError", errorMessage: "init boom",
				logs: []string{"\tundefined\tINFO\tloading\n",
					"\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"TypeError\",\"errorMessage\":\"init boom\",\"stack\":[\"TypeError: init boom\""}}},
		{"unhandled rejection at init", "index.handler", map[string]string{"index.js": `Promise.reject(new Error("early")); exports.handler = async () => 1;`},
			nodeOutcome{errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: early",
				logs: []string{"\tERROR\tUnhandled Promise Rejection \t{\"errorType\":\"Runtime.UnhandledPromiseRejection\""}}},
	}
	var fns []lambdadeck.Function
	for i, c := range cases {
		fns = append(fns, nodeFunction(t, "resolve"+string(rune('a'+i)), c.handler, c.files))
	}
	iv := nodeInvoker(t, fns...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			inv := nodeInvoke(t, iv, fns[i].Name, `{}`)
			checkNodeOutcome(t, inv, c.want)
		})
	}
}

func TestNodeImportModuleErrorNamesTheBootstrap(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "f", "app.handler", map[string]string{"index.js": nodeCJSHandler})
	iv := nodeInvoker(t, fn)
	inv := nodeInvoke(t, iv, "f", `{}`)
	e := decodeNodeError(t, inv)
	// The require stack points at the runtime, as Lambda's names /var/runtime/index.mjs.
	want := regexp.MustCompile(`^Error: Cannot find module 'app'\nRequire stack:\n- /.*/node/bootstrap\.mjs$`)
	if !want.MatchString(e.ErrorMessage) {
		t.Errorf("errorMessage = %q, want match %s", e.ErrorMessage, want)
	}
	if len(e.Trace) == 0 || !strings.HasPrefix(e.Trace[0], "Runtime.ImportModuleError: Error: Cannot find module 'app'") {
		t.Errorf("trace = %q", e.Trace)
	}
}

func TestNodeInvocationSemantics(t *testing.T) {
	requireNode(t)
	const alreadyDone = "\tERROR\tInvocation has already been reported as done. Cannot call complete more than once per invocation."
	const nodeJSExit = "The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a " +
		"Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes"
	cases := []struct {
		name string
		code string
		want nodeOutcome
	}{
		{"async resolves", `exports.handler = async (e) => ({ got: e.a });`,
			nodeOutcome{payload: `{"got":1}`}},
		{"async resolves undefined", `exports.handler = async () => {};`,
			nodeOutcome{payload: `null`}},
		{"returned promise resolves without waiting for the loop",
			`exports.handler = async () => { setTimeout(() => console.log("timer ran"), 2000); return "now"; };`,
			nodeOutcome{payload: `"now"`, noLogs: []string{"timer ran"}}},
		{"async rejects", `exports.handler = async () => { throw new Error("boom"); };`,
			nodeOutcome{errorType: "Error", errorMessage: "boom", status: lambdadeck.StatusFailed,
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\",\"stack\":[\"Error: boom\",\"    at "}}},
		{"sync throw", `exports.handler = (e, ctx, cb) => { null.x; };`,
			nodeOutcome{errorType: "TypeError", errorMessage: "Cannot read properties of null (reading 'x')"}},
		{"callback waits for the event loop",
			`exports.handler = (e, ctx, cb) => { setTimeout(() => console.log("timer ran"), 50); cb(null, "after"); };`,
			nodeOutcome{payload: `"after"`, logs: []string{"\tINFO\ttimer ran\n"}}},
		{"callback without waiting for the event loop",
			`exports.handler = (e, ctx, cb) => { ctx.callbackWaitsForEmptyEventLoop = false; setTimeout(() => console.log("timer ran"), 2000); cb(null, "now"); };`,
			nodeOutcome{payload: `"now"`, noLogs: []string{"timer ran"}}},
		{"callback with an error", `exports.handler = (e, ctx, cb) => cb(new RangeError("bad range"));`,
			nodeOutcome{errorType: "RangeError", errorMessage: "bad range",
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"RangeError\",\"errorMessage\":\"bad range\""}}},
		{"callback with a string", `exports.handler = (e, ctx, cb) => cb("oops");`,
			nodeOutcome{payload: "", errorType: "string", errorMessage: "oops"}},
		{"callback with an object", `exports.handler = (e, ctx, cb) => cb({ a: 1 });`,
			nodeOutcome{errorType: "object", errorMessage: "[object Object]"}},
		{"second callback ignored", `exports.handler = (e, ctx, cb) => { cb(null, "first"); cb(null, "second"); ctx.succeed("third"); };`,
			nodeOutcome{payload: `"first"`, noLogs: []string{alreadyDone}}},
		{"context.succeed answers at once",
			`exports.handler = (e, ctx) => { setTimeout(() => console.log("timer ran"), 2000); ctx.succeed({ s: 1 }); };`,
			nodeOutcome{payload: `{"s":1}`, noLogs: []string{"timer ran"}}},
		{"context.fail", `exports.handler = (e, ctx) => ctx.fail(new Error("failed"));`,
			nodeOutcome{errorType: "Error", errorMessage: "failed"}},
		{"context.fail without an error", `exports.handler = (e, ctx) => ctx.fail();`,
			nodeOutcome{errorType: "string", errorMessage: "handled"}},
		{"context.done with a result", `exports.handler = (e, ctx) => ctx.done(null, [1, 2]);`,
			nodeOutcome{payload: `[1,2]`}},
		{"context.done with an error", `exports.handler = (e, ctx) => ctx.done(new Error("done err"));`,
			nodeOutcome{errorType: "Error", errorMessage: "done err"}},
		{"sync handler returning a value", `exports.handler = (e, ctx) => { setTimeout(() => console.log("timer ran"), 50); return 42; };`,
			nodeOutcome{payload: `null`, logs: []string{"\tINFO\ttimer ran\n"}}},
		{"non-async handler returning a promise that never settles", `exports.handler = (e, ctx) => new Promise(() => {});`,
			nodeOutcome{payload: `null`}},
		{"async handler whose promise never settles", `exports.handler = async () => new Promise(() => {});`,
			nodeOutcome{errorType: "Runtime.NodeJsExit", errorMessage: nodeJSExit,
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"Runtime.NodeJsExit\""}}},
		{"circular result", `exports.handler = async () => { const o = {}; o.o = o; return o; };`,
			nodeOutcome{errorType: "Error", errorMessage: "Unable to stringify response body"}},
		{"BigInt result through the callback", `exports.handler = (e, ctx, cb) => { ctx.callbackWaitsForEmptyEventLoop = false; cb(null, 1n); };`,
			nodeOutcome{errorType: "Error", errorMessage: "Unable to stringify response body"}},
		{"DEL escaped", `exports.handler = async () => { throw new Error("bad\x7Fbyte"); };`,
			nodeOutcome{errorType: "Error", errorMessage: "bad%7Fbyte"}},
		{"subclass without a name reports Error", `class MyErr extends Error {}; exports.handler = async () => { throw new MyErr("mine"); };`,
			nodeOutcome{errorType: "Error", errorMessage: "mine"}},
		{"named subclass", `class MyErr extends Error { constructor(m) { super(m); this.name = "MyErr"; } }; exports.handler = async () => { throw new MyErr("mine"); };`,
			nodeOutcome{errorType: "MyErr", errorMessage: "mine"}},
		{"Error-like object", `exports.handler = async () => { throw { name: "Like", message: "alike", stack: "Like: alike\n    at x" }; };`,
			nodeOutcome{errorType: "Like", errorMessage: "alike"}},
		// Lambda's client reads error.stack.replace and error.name?.replace:
		// an Error without a stack, or whose name is not a string, fails
		// there and takes its "problem while retrieving" answer.
		{"rejected Error without a stack", `exports.handler = async () => { const e = new Error("no stack"); delete e.stack; throw e; };`,
			nodeOutcome{errorType: "handled", errorMessage: nodeRetrievingProblem,
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"no stack\"}\n"}}},
		{"callback with an Error whose name is a number", `exports.handler = (e, ctx, cb) => cb(Object.assign(new Error("numbered"), { name: 42 }));`,
			nodeOutcome{errorType: "handled", errorMessage: nodeRetrievingProblem,
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":42,\"errorMessage\":\"numbered\",\"name\":42,\"stack\":[\"42: numbered\","}}},
		// JSON.stringify gives no text at all for a function or a symbol;
		// Lambda's native Runtime API binding refuses that body.
		{"resolves to a function", `exports.handler = async () => () => 1;`,
			nodeOutcome{errorType: "TypeError", errorMessage: "Wrong arguments",
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"Wrong arguments\""}}},
		{"context.succeed with a symbol", `exports.handler = (e, ctx) => ctx.succeed(Symbol("s"));`,
			nodeOutcome{errorType: "TypeError", errorMessage: "Wrong arguments"}},
		{"event is parsed JSON", `exports.handler = async (e) => typeof e + ":" + e.a;`,
			nodeOutcome{payload: `"object:1"`}},
		{"console.log before and after the result is in the log",
			`exports.handler = (e, ctx, cb) => { console.log("before"); cb(null, 1); console.log("after"); };`,
			nodeOutcome{payload: `1`, logs: []string{"\tINFO\tbefore\n", "\tINFO\tafter\n"}}},
	}
	var fns []lambdadeck.Function
	for i, c := range cases {
		fns = append(fns, nodeFunction(t, "sem"+strconv.Itoa(i), "index.handler", map[string]string{"index.js": c.code}))
	}
	iv := nodeInvoker(t, fns...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			inv := nodeInvoke(t, iv, fns[i].Name, `{"a":1}`)
			checkNodeOutcome(t, inv, c.want)
			if c.want.errorType != "" && c.want.status == "" && inv.Status != lambdadeck.StatusFailed {
				t.Errorf("status = %s, want failed", inv.Status)
			}
		})
	}
}

// The exact error bodies: "trace" (not "stack") holds the stack lines, and
// values that are not Errors report their typeof.
func TestNodeErrorPayloads(t *testing.T) {
	requireNode(t)
	cases := []struct {
		name, code string
		want       *regexp.Regexp
	}{
		{"Error", `exports.handler = async () => { throw new Error("boom"); };`,
			regexp.MustCompile(`^\{"errorType":"Error","errorMessage":"boom","trace":\["Error: boom","    at exports\.handler \(/[^"]+/index\.js:1:\d+\)"(,"[^"]+")*\]\}$`)},
		{"callback string", `exports.handler = (e, ctx, cb) => cb("oops");`,
			regexp.MustCompile(`^\{"errorType":"string","errorMessage":"oops","trace":\[\]\}$`)},
		{"fail without argument", `exports.handler = (e, ctx) => ctx.fail();`,
			regexp.MustCompile(`^\{"errorType":"string","errorMessage":"handled","trace":\[\]\}$`)},
		{"rejected number", `exports.handler = async () => { throw 7; };`,
			regexp.MustCompile(`^\{"errorType":"number","errorMessage":"7","trace":\[\]\}$`)},
		{"Error without a stack", `exports.handler = async () => { const e = new TypeError("t"); e.stack = undefined; throw e; };`,
			regexp.MustCompile(`^\{"errorType":"handled","errorMessage":"` + regexp.QuoteMeta(nodeRetrievingProblem) + `"\}$`)},
	}
	var fns []lambdadeck.Function
	for i, c := range cases {
		fns = append(fns, nodeFunction(t, "payload"+strconv.Itoa(i), "index.handler", map[string]string{"index.js": c.code}))
	}
	iv := nodeInvoker(t, fns...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := nodeInvoke(t, iv, fns[i].Name, `{}`)
			if !c.want.Match(inv.Payload) {
				t.Errorf("payload = %s, want match %s", inv.Payload, c.want)
			}
			if inv.ContentType != "application/json" {
				t.Errorf("content type = %q", inv.ContentType)
			}
		})
	}
}

// A result reported after the invocation already ended (here: a context
// kept from an invocation that ended when the loop drained) is logged and
// dropped.
func TestNodeLateCompletionIsLogged(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": `
let saved;
exports.handler = (event, context) => {
  if (event.step === 1) { saved = context; return; }
  saved.succeed("stale");
  context.succeed("second");
};`})
	iv := nodeInvoker(t, fn)
	first := nodeInvoke(t, iv, "f", `{"step":1}`)
	checkNodeOutcome(t, first, nodeOutcome{payload: `null`})
	second := nodeInvoke(t, iv, "f", `{"step":2}`)
	checkNodeOutcome(t, second, nodeOutcome{payload: `"second"`,
		logs: []string{"\tERROR\tInvocation has already been reported as done. Cannot call complete more than once per invocation.\n"}})
}

// Uncaught exceptions and unhandled rejections during an invocation are that
// invocation's error; the process then exits (129 / 128) and the next
// invocation runs in a fresh one, with module state reset.
func TestNodeProcessLevelErrorsRestart(t *testing.T) {
	requireNode(t)
	cases := []struct {
		name string
		fail string
		want nodeOutcome
	}{
		{"uncaught exception", `setTimeout(() => { throw new Error("from a timer"); }, 0);`,
			nodeOutcome{errorType: "Error", errorMessage: "from a timer",
				logs: []string{"\tERROR\tUncaught Exception \t{\"errorType\":\"Error\",\"errorMessage\":\"from a timer\""}}},
		{"unhandled rejection", `Promise.reject(new Error("nobody caught me"));`,
			nodeOutcome{errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: nobody caught me",
				logs: []string{"\tERROR\tUnhandled Promise Rejection \t{\"errorType\":\"Runtime.UnhandledPromiseRejection\""}}},
		{"unhandled rejection with a string", `Promise.reject("plain reason");`,
			nodeOutcome{errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "plain reason"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": `
let count = 0;
exports.handler = (event, context, callback) => {
  count++;
  if (event.fail) { ` + c.fail + ` return; }
  callback(null, { count });
};`})
			iv := nodeInvoker(t, fn)
			checkNodeOutcome(t, nodeInvoke(t, iv, "f", `{}`), nodeOutcome{payload: `{"count":1}`})
			failed := nodeInvoke(t, iv, "f", `{"fail":true}`)
			checkNodeOutcome(t, failed, c.want)
			after := nodeInvoke(t, iv, "f", `{}`)
			// count restarted: the process exited and a new one loaded the module.
			checkNodeOutcome(t, after, nodeOutcome{payload: `{"count":1}`})
		})
	}
}

func TestNodeWarmReuseAndColdStart(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": `
let count = 0;
exports.handler = async () => ++count;`})
	iv := nodeInvoker(t, fn)
	first := nodeInvoke(t, iv, "f", `{}`)
	second := nodeInvoke(t, iv, "f", `{}`)
	checkNodeOutcome(t, first, nodeOutcome{payload: `1`})
	checkNodeOutcome(t, second, nodeOutcome{payload: `2`})
	if !first.Cold || first.InitDuration <= 0 {
		t.Errorf("first invocation: cold = %v, init duration = %v; want a cold start", first.Cold, first.InitDuration)
	}
	if second.Cold || second.InitDuration != 0 {
		t.Errorf("second invocation: cold = %v, init duration = %v; want warm", second.Cold, second.InitDuration)
	}
}

func TestNodeContextObject(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "ctxfn", "index.handler", map[string]string{"index.js": `
exports.handler = async (event, context) => ({
  json: JSON.parse(JSON.stringify(context)),
  remaining: context.getRemainingTimeInMillis(),
  remainingType: typeof context.getRemainingTimeInMillis(),
  memoryType: typeof context.memoryLimitInMB,
  clientContext: context.clientContext,
  identity: context.identity,
  tenantId: context.tenantId === undefined ? "undefined" : context.tenantId,
  trace: process.env._X_AMZN_TRACE_ID,
  legacy: [typeof context.succeed, typeof context.fail, typeof context.done, context.callbackWaitsForEmptyEventLoop],
});`}, func(f *lambdadeck.Function) { f.MemoryMB = 192 })
	iv := nodeInvoker(t, fn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	inv, err := iv.Invoke(ctx, lambdadeck.InvokeRequest{
		Function:      "ctxfn",
		Event:         []byte(`{}`),
		ClientContext: []byte(`{"client":{"app_title":"deck"},"custom":{"k":"v"},"env":{"platform":"test"}}`),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("status %s: %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	var got struct {
		JSON          map[string]any `json:"json"`
		Remaining     float64        `json:"remaining"`
		RemainingType string         `json:"remainingType"`
		MemoryType    string         `json:"memoryType"`
		ClientContext map[string]any `json:"clientContext"`
		Identity      map[string]any `json:"identity"`
		TenantID      string         `json:"tenantId"`
		Trace         string         `json:"trace"`
		Legacy        []any          `json:"legacy"`
	}
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatal(err)
	}
	wantFields := map[string]any{
		"functionName":                   "ctxfn",
		"functionVersion":                "$LATEST",
		"memoryLimitInMB":                "192",
		"logGroupName":                   "/aws/lambda/ctxfn",
		"invokedFunctionArn":             fn.ARN(),
		"awsRequestId":                   inv.RequestID,
		"callbackWaitsForEmptyEventLoop": true,
	}
	for k, v := range wantFields {
		if got.JSON[k] != v {
			t.Errorf("context.%s = %#v, want %#v", k, got.JSON[k], v)
		}
	}
	if s, _ := got.JSON["logStreamName"].(string); !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(s) {
		t.Errorf("context.logStreamName = %q", s)
	}
	if got.MemoryType != "string" || got.RemainingType != "number" {
		t.Errorf("memoryLimitInMB is a %s, getRemainingTimeInMillis() a %s", got.MemoryType, got.RemainingType)
	}
	timeoutMs := float64(nodeDefaultTimeout.Milliseconds())
	if got.Remaining <= timeoutMs-5000 || got.Remaining > timeoutMs {
		t.Errorf("getRemainingTimeInMillis() = %v, want just under %v", got.Remaining, timeoutMs)
	}
	if got.ClientContext["custom"].(map[string]any)["k"] != "v" || got.ClientContext["client"].(map[string]any)["app_title"] != "deck" {
		t.Errorf("clientContext = %v", got.ClientContext)
	}
	if got.Identity["cognitoIdentityId"] != "id-1" || got.Identity["cognitoIdentityPoolId"] != "pool-1" {
		t.Errorf("identity = %v", got.Identity)
	}
	if got.TenantID != "undefined" {
		t.Errorf("tenantId = %q, want undefined", got.TenantID)
	}
	if !strings.HasPrefix(got.Trace, "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q", got.Trace)
	}
	if want := []any{"function", "function", "function", true}; !nodeEqualAny(got.Legacy, want) {
		t.Errorf("succeed/fail/done/callbackWaitsForEmptyEventLoop = %v, want %v", got.Legacy, want)
	}
}

func nodeEqualAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var nodeTextRecord = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t([^\t]+)\t([A-Z]+)\t(.*)$`)

// nodeTextRecords returns the TEXT-format console records in logs as [request
// id, level, message] triples.
func nodeTextRecords(logs string) [][3]string {
	var out [][3]string
	for _, line := range strings.Split(logs, "\n") {
		if m := nodeTextRecord.FindStringSubmatch(line); m != nil {
			out = append(out, [3]string{m[1], m[2], m[3]})
		}
	}
	return out
}

const nodeAllLevels = `
console.log("at init");
exports.handler = async () => {
  console.trace("t"); console.debug("d"); console.info("i"); console.log("l\nsecond line");
  console.warn("w"); console.error("e %d", 5); console.fatal("f");
  return 1;
};`

func TestNodeConsoleText(t *testing.T) {
	requireNode(t)
	cases := []struct {
		name  string
		level string
		want  [][2]string // level, message
	}{
		{"all levels by default", "", [][2]string{{"TRACE", "t"}, {"DEBUG", "d"}, {"INFO", "i"}, {"INFO", "l\rsecond line"},
			{"WARN", "w"}, {"ERROR", "e 5"}, {"FATAL", "f"}}},
		{"filtered at WARN", "WARN", [][2]string{{"WARN", "w"}, {"ERROR", "e 5"}, {"FATAL", "f"}}},
		{"FATAL is never filtered", "fatal", [][2]string{{"FATAL", "f"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": nodeAllLevels},
				func(f *lambdadeck.Function) { f.LogLevel = c.level })
			iv := nodeInvoker(t, fn)
			inv := nodeInvoke(t, iv, "f", `{}`)
			var got [][2]string
			for _, r := range nodeTextRecords(inv.Logs) {
				if r[0] != inv.RequestID {
					continue // the init record, checked below
				}
				got = append(got, [2]string{r[1], r[2]})
			}
			if len(got) != len(c.want) {
				t.Fatalf("records = %q, want %q\n%s", got, c.want, inv.Logs)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("record %d = %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestNodeConsoleBeforeFirstInvokeHasUndefinedRequestID(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": nodeAllLevels})
	iv := nodeInvoker(t, fn)
	inv := nodeInvoke(t, iv, "f", `{}`)
	found := false
	for _, r := range nodeTextRecords(inv.Logs) {
		if r == [3]string{"undefined", "INFO", "at init"} {
			found = true
		}
	}
	if !found {
		t.Errorf("no init record with request id undefined in\n%s", inv.Logs)
	}
}

func TestNodeConsoleJSON(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": `
console.log("at init");
exports.handler = async () => {
  console.log({ a: 1 });
  console.info("x %d", 5);
  console.warn("multi\nline");
  console.error("failed:", new TypeError("bad"));
  console.debug("filtered");
  throw new Error("boom");
};`}, func(f *lambdadeck.Function) { f.LogFormat = "JSON"; f.LogLevel = "INFO" })
	iv := nodeInvoker(t, fn)
	inv := nodeInvoke(t, iv, "f", `{}`)
	var records []map[string]any
	for _, line := range strings.Split(inv.Logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["level"] != nil {
			records = append(records, rec)
		}
	}
	byMessage := func(pred func(map[string]any) bool) map[string]any {
		for _, r := range records {
			if pred(r) {
				return r
			}
		}
		t.Fatalf("no such record in\n%s", inv.Logs)
		return nil
	}
	initRec := byMessage(func(r map[string]any) bool { return r["message"] == "at init" })
	if _, has := initRec["requestId"]; has {
		t.Errorf("init record has a requestId: %v", initRec)
	}
	obj := byMessage(func(r map[string]any) bool { m, ok := r["message"].(map[string]any); return ok && m["a"] == float64(1) })
	if obj["level"] != "INFO" || obj["requestId"] != inv.RequestID {
		t.Errorf("object record = %v", obj)
	}
	if _, err := time.Parse(time.RFC3339Nano, obj["timestamp"].(string)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	byMessage(func(r map[string]any) bool { return r["message"] == "x 5" })
	// The record is JSON, so a newline inside it is already escaped.
	byMessage(func(r map[string]any) bool { return r["message"] == "multi\nline" && r["level"] == "WARN" })
	withErr := byMessage(func(r map[string]any) bool { return r["errorType"] == "TypeError" })
	if withErr["errorMessage"] != "bad" || !strings.HasPrefix(withErr["message"].(string), "failed: TypeError: bad") {
		t.Errorf("error record = %v", withErr)
	}
	invokeErr := byMessage(func(r map[string]any) bool {
		m, ok := r["message"].(map[string]any)
		return ok && m["errorMessage"] == "boom"
	})
	m := invokeErr["message"].(map[string]any)
	if invokeErr["level"] != "ERROR" || m["errorType"] != "Error" || len(m["stackTrace"].([]any)) < 2 {
		t.Errorf("Invoke Error record = %v", invokeErr)
	}
	if strings.Contains(inv.Logs, "filtered") {
		t.Errorf("DEBUG record not filtered at INFO")
	}
	if e := decodeNodeError(t, inv); e.ErrorType != "Error" || e.ErrorMessage != "boom" {
		t.Errorf("payload = %s", inv.Payload)
	}
}

func TestNodeCallbackWarning(t *testing.T) {
	requireNode(t)
	const warning = "\tWARN\tAWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. " +
		"You will need to update this function to use an async handler to use Node.js 24 or later. For more information and " +
		"to provide feedback on this change, see https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. " +
		"To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.\n"
	cases := []struct {
		name   string
		code   string
		env    map[string]string
		warned bool
	}{
		{"callback handler", `exports.handler = (e, c, cb) => cb(null, 1);`, nil, true},
		{"disabled", `exports.handler = (e, c, cb) => cb(null, 1);`, map[string]string{"AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING": "1"}, false},
		{"async handler", `exports.handler = async (e, c) => 1;`, nil, false},
		{"async handler with three parameters", `exports.handler = async (e, c, cb) => 1;`, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": c.code},
				func(f *lambdadeck.Function) { f.Environment = c.env })
			iv := nodeInvoker(t, fn)
			inv := nodeInvoke(t, iv, "f", `{}`)
			checkNodeOutcome(t, inv, nodeOutcome{payload: `1`})
			if got := strings.Contains(inv.Logs, warning); got != c.warned {
				t.Errorf("warned = %v, want %v\n%s", got, c.warned, inv.Logs)
			}
			if again := nodeInvoke(t, iv, "f", `{}`); strings.Contains(again.Logs, "AWS Lambda plans") {
				t.Errorf("warning repeated on a warm invocation")
			}
		})
	}
}

func TestNodeAwsLambdaGlobal(t *testing.T) {
	requireNode(t)
	code := `exports.handler = async () => [typeof globalThis.awslambda, typeof globalThis.awslambda?.streamifyResponse, typeof globalThis.awslambda?.HttpResponseStream?.from];`
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"defined", nil, `["object","function","function"]`},
		{"opted out", map[string]string{"AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA": "1"}, `["undefined","undefined","undefined"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": code},
				func(f *lambdadeck.Function) { f.Environment = c.env })
			iv := nodeInvoker(t, fn)
			checkNodeOutcome(t, nodeInvoke(t, iv, "f", `{}`), nodeOutcome{payload: c.want})
		})
	}
}

func TestNode24(t *testing.T) {
	requireNode(t)
	const removed = "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. " +
		"You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more " +
		"information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html."
	cases := []struct {
		name string
		code string
		want nodeOutcome
	}{
		{"callback handler fails init", `exports.handler = (e, c, cb) => cb(null, 1);`,
			nodeOutcome{errorType: "Runtime.CallbackHandlerDeprecated", errorMessage: removed,
				logs: []string{"\tERROR\tInit Error \t{\"errorType\":\"Runtime.CallbackHandlerDeprecated\"", "at errorOnDeprecatedCallback"}}},
		{"no legacy context members",
			`exports.handler = async (e, c) => [typeof c.callbackWaitsForEmptyEventLoop, typeof c.succeed, typeof c.fail, typeof c.done, typeof c.awsRequestId];`,
			nodeOutcome{payload: `["undefined","undefined","undefined","undefined","string"]`}},
		{"sync handler's value is the result", `exports.handler = (e, c) => ({ v: 1 });`,
			nodeOutcome{payload: `{"v":1}`}},
		{"sync throw", `exports.handler = (e, c) => { throw new Error("sync"); };`,
			nodeOutcome{errorType: "Error", errorMessage: "sync"}},
		{"missing module is logged as Init Error", `exports.other = 1;`,
			nodeOutcome{errorType: "Runtime.HandlerNotFound", logs: []string{"\tERROR\tInit Error \t{\"errorType\":\"Runtime.HandlerNotFound\""}}},
		{"no callback warning", `exports.handler = async (e) => 1;`,
			nodeOutcome{payload: `1`, noLogs: []string{"AWS Lambda plans"}}},
		// Node.js 24 treats unsettled streaming handlers as others: no wait
		// for the timeout.
		{"stream not ended", `exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.write("x"); });`,
			nodeOutcome{errorType: "string", errorMessage: "Response stream is not finished."}},
		{"streaming promise never settles", `exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.write("x"); await new Promise(() => {}); });`,
			nodeOutcome{errorType: "Runtime.NodeJsExit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": c.code},
				func(f *lambdadeck.Function) { f.Runtime = "nodejs24.x" })
			iv := nodeInvoker(t, fn)
			checkNodeOutcome(t, nodeInvoke(t, iv, "f", `{}`), c.want)
		})
	}
}

func TestNodeStreaming(t *testing.T) {
	requireNode(t)
	cases := []struct {
		name        string
		code        string
		payload     string
		contentType string
		want        nodeOutcome // for failures
	}{
		{"chunks", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write("hello ");
  await new Promise((r) => setTimeout(r, 20));
  stream.write(Buffer.from("streamed "));
  stream.end("world");
});`, "hello streamed world", "application/octet-stream", nodeOutcome{}},
		{"content type and JSON values", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.setContentType("application/x-ndjson");
  stream.write({ a: 1 });
  stream.end();
});`, `{"a":1}`, "application/x-ndjson", nodeOutcome{}},
		{"pipeline", `const { pipeline } = require("node:stream/promises");
const { Readable } = require("node:stream");
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  await pipeline(Readable.from(["a", "b", "c"]), stream);
});`, "abc", "application/octet-stream", nodeOutcome{}},
		{"HTTP integration prelude", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { "x-a": "b" } });
  stream.write("body");
  stream.end();
});`, `{"statusCode":201,"headers":{"x-a":"b"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00body",
			"application/vnd.awslambda.http-integration-response", nodeOutcome{}},
		// Lambda's client runs a non-async streaming handler and logs the
		// error; a response the handler already ended goes out as written.
		{"non-async handler that ends its stream", `exports.handler = awslambda.streamifyResponse((event, stream) => { stream.write("wr"); stream.end("itten"); });`,
			"written", "application/octet-stream", nodeOutcome{
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"Streaming does not support non-async handlers.\""}}},
		{"non-async handler that leaves its stream open", `exports.handler = awslambda.streamifyResponse((event, stream) => { stream.write("x"); });`,
			"", "", nodeOutcome{errorType: "string", errorMessage: "Streaming does not support non-async handlers.",
				logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"Streaming does not support non-async handlers.\""}}},
		{"error mid-stream", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write("partial");
  throw new TypeError("mid-stream");
});`, "", "", nodeOutcome{errorType: "TypeError", errorMessage: "mid-stream"}},
		{"error after end() is only logged", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.end("done");
  throw new TypeError("too late");
});`, "done", "application/octet-stream", nodeOutcome{logs: []string{"\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"too late\""}}},
		{"stream ended after the handler resolved", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write("early ");
  setTimeout(() => stream.end("late"), 50);
});`, "early late", "application/octet-stream", nodeOutcome{}},
		{"content type after the first write", `exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write("x");
  stream.setContentType("text/plain");
});`, "", "", nodeOutcome{errorType: "Runtime.InvalidStreamingOperation", errorMessage: "Cannot set content-type, too late."}},
		// Node.js 22 and older: the open response keeps the runtime waiting,
		// so a stream never ended runs into the timeout, as with Lambda's client.
		{"stream never ended", `exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.write("x"); });`,
			"", "", nodeOutcome{errorType: "Sandbox.Timedout", status: lambdadeck.StatusTimedOut}},
		{"promise never settles", `exports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.write("x"); await new Promise(() => {}); });`,
			"", "", nodeOutcome{errorType: "Sandbox.Timedout", status: lambdadeck.StatusTimedOut}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			timesOut := c.want.status == lambdadeck.StatusTimedOut
			fn := nodeFunction(t, "f", "index.handler", map[string]string{"index.js": c.code}, func(fn *lambdadeck.Function) {
				if timesOut {
					fn.Timeout = 2 * time.Second
				}
			})
			iv := nodeInvoker(t, fn)
			inv := nodeInvoke(t, iv, "f", `{}`)
			if c.want.errorType != "" {
				checkNodeOutcome(t, inv, c.want)
			} else {
				c.want.payload = c.payload
				checkNodeOutcome(t, inv, c.want)
				if inv.ContentType != c.contentType {
					t.Errorf("content type = %q, want %q", inv.ContentType, c.contentType)
				}
			}
			if timesOut {
				return
			}
			// The instance serves the next invocation.
			again := nodeInvoke(t, iv, "f", `{}`)
			if again.Status == lambdadeck.StatusTimedOut || again.Status == lambdadeck.StatusCrashed {
				t.Errorf("second invocation %s: %s", again.Status, again.Payload)
			}
		})
	}
}

// nodeBootstrapCommand prepares the Node.js bootstrap to run by hand against a
// Runtime API stand-in at apiAddr, for what the invoker cannot show.
func nodeBootstrapCommand(t *testing.T, ctx context.Context, apiAddr, handler string, files map[string]string) *exec.Cmd {
	t.Helper()
	dirs, err := runtimes.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fn := nodeFunction(t, "f", handler, files)
	cmd := exec.CommandContext(ctx, "node", dirs.NodeBootstrap())
	cmd.Dir = fn.CodeDir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "_HANDLER=" + handler, "AWS_LAMBDA_RUNTIME_API=" + apiAddr,
		"LAMBDA_TASK_ROOT=" + fn.CodeDir, "AWS_EXECUTION_ENV=AWS_Lambda_nodejs20.x",
	}
	return cmd
}

// runNodeBootstrap runs the bootstrap to its exit and returns its exit
// code, stdout and stderr.
func runNodeBootstrap(t *testing.T, apiAddr, handler string, files map[string]string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := nodeBootstrapCommand(t, ctx, apiAddr, handler, files)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// A streamed response leaves in chunks as the handler writes them: the
// handler below cannot go on until the server has received its first chunk.
func TestNodeStreamingSendsChunksAsWritten(t *testing.T) {
	requireNode(t)
	flag := filepath.Join(t.TempDir(), "first-chunk-arrived")
	type received struct {
		header   http.Header
		encoding []string
		trailer  http.Header
		body     string
	}
	result := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			select {
			case <-result:
				<-r.Context().Done() // the second /next: park it
				return
			default:
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:f")
			json.NewEncoder(w).Encode(map[string]string{"flag": flag})
		case r.Method == http.MethodPost && r.URL.Path == "/2018-06-01/runtime/invocation/req-1/response":
			got := received{header: r.Header.Clone(), encoding: r.TransferEncoding}
			var body []byte
			buf := make([]byte, 64)
			for {
				n, err := r.Body.Read(buf)
				body = append(body, buf[:n]...)
				if string(body) == "first" {
					os.WriteFile(flag, nil, 0o644)
				}
				if err != nil {
					break
				}
			}
			got.body, got.trailer = string(body), r.Trailer.Clone()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"OK"}`+"\n")
			result <- got
			result <- got // once for the test, once to mark the second /next
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := nodeBootstrapCommand(t, ctx, srv.Listener.Addr().String(), "index.handler", map[string]string{"index.js": `
const fs = require("node:fs");
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write("first");
  while (!fs.existsSync(event.flag)) await new Promise((r) => setTimeout(r, 5));
  stream.end("second");
});`})
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var got received
	select {
	case got = <-result:
	case <-ctx.Done():
		t.Fatalf("no streamed response; output:\n%s", output.String())
	}
	if got.body != "firstsecond" {
		t.Errorf("body = %q", got.body)
	}
	if got.header.Get("Lambda-Runtime-Function-Response-Mode") != "streaming" ||
		got.header.Get("Content-Type") != "application/octet-stream" ||
		len(got.encoding) != 1 || got.encoding[0] != "chunked" {
		t.Errorf("headers %v, transfer encoding %v", got.header, got.encoding)
	}
	if _, announced := got.trailer["Lambda-Runtime-Function-Error-Type"]; !announced {
		t.Errorf("error trailers not announced: %v", got.trailer)
	}
	if got.trailer.Get("Lambda-Runtime-Function-Error-Type") != "" {
		t.Errorf("error trailer set on a good response: %v", got.trailer)
	}
}

// When the Runtime API fails, the bootstrap exits non-zero with one line on
// stderr; an init error goes to /init/error with its type in a header.
func TestNodeBootstrapAgainstFailingRuntimeAPI(t *testing.T) {
	requireNode(t)
	t.Run("500 on next", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"errorMessage":"Internal Server Error","errorType":"InternalServerError"}`+"\n")
		}))
		defer srv.Close()
		code, _, stderr := runNodeBootstrap(t, srv.Listener.Addr().String(), "index.handler", map[string]string{"index.js": nodeCJSHandler})
		if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "unexpected status 500") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		addr := srv.Listener.Addr().String()
		srv.Close()
		code, _, stderr := runNodeBootstrap(t, addr, "index.handler", map[string]string{"index.js": nodeCJSHandler})
		if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "ECONNREFUSED") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("init error", func(t *testing.T) {
		var mu sync.Mutex
		var errorType, contentType string
		var body []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/2018-06-01/runtime/init/error" {
				http.Error(w, "unexpected", http.StatusBadRequest)
				return
			}
			mu.Lock()
			errorType = r.Header.Get("Lambda-Runtime-Function-Error-Type")
			contentType = r.Header.Get("Content-Type")
			body, _ = io.ReadAll(r.Body)
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"OK"}`+"\n")
		}))
		defer srv.Close()
		code, stdout, _ := runNodeBootstrap(t, srv.Listener.Addr().String(), "missing.handler", map[string]string{"index.js": nodeCJSHandler})
		mu.Lock()
		defer mu.Unlock()
		if code != 129 {
			t.Errorf("exit %d, want 129", code)
		}
		if errorType != "Runtime.ImportModuleError" || contentType != "application/json" {
			t.Errorf("Lambda-Runtime-Function-Error-Type %q, Content-Type %q", errorType, contentType)
		}
		var e nodeRapidError
		if err := json.Unmarshal(body, &e); err != nil || e.ErrorType != "Runtime.ImportModuleError" ||
			!strings.HasPrefix(e.ErrorMessage, "Error: Cannot find module 'missing'") {
			t.Errorf("body %s (%v)", body, err)
		}
		if !strings.Contains(stdout, "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\"") {
			t.Errorf("stdout %q", stdout)
		}
	})
}
