package invoker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// The official Runtime Interface Client for Node.js (npm: aws-lambda-ric)
// must run unchanged against lambdadeck's Runtime API, as a provided.al2023
// function whose bootstrap starts it (testdata/ric). The package builds
// native code when installed (curl and aws-lambda-cpp, with cmake, autotools,
// make and g++, then a node-gyp addon), which takes minutes, so the installed
// node_modules is kept in the user cache per RIC version; when the install
// fails the test is skipped with the command it ran and the end of its output.

// ricTestdata is the fixture: package.json (pins the RIC), bootstrap, index.js.
const ricTestdata = "testdata/ric"

// ricBuildTools are what the package's install scripts run (preinstall.sh
// builds curl with autotools and aws-lambda-cpp with cmake; postinstall.sh
// runs node-gyp). Debian packages: cmake autoconf automake libtool make g++.
var ricBuildTools = []string{"cmake", "autoreconf", "aclocal", "libtoolize", "make", "g++"}

// ricInstallTimeout bounds one npm install; it takes about 3 minutes on two
// cores.
const ricInstallTimeout = 15 * time.Minute

// ricVersion returns the aws-lambda-ric version the fixture's package.json
// pins.
func ricVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(ricTestdata, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatalf("testdata/ric/package.json: %v", err)
	}
	v := pkg.Dependencies["aws-lambda-ric"]
	if v == "" || strings.ContainsAny(v, "^~<>=* ") {
		t.Fatalf("testdata/ric/package.json must pin aws-lambda-ric to one version, has %q", v)
	}
	return v
}

// ricAddons are where the install scripts leave the native Runtime API
// client (3.x: dist/, 4.x: the package's root); npm can succeed without it
// when install scripts are not allowed to run.
var ricAddons = []string{"dist/rapid-client.node", "rapid-client.node"}

// ricInstalled reports whether dir holds a complete install of the RIC.
func ricInstalled(dir string) bool {
	for _, addon := range ricAddons {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "aws-lambda-ric", filepath.FromSlash(addon))); err == nil {
			return true
		}
	}
	return false
}

// ricNodeModules returns a node_modules folder holding aws-lambda-ric at
// version, installing it into os.UserCacheDir()/lambdadeck-test/
// aws-lambda-ric-<version>/ on first use. It skips the test when the install
// cannot be done here, saying why.
func ricNodeModules(t *testing.T, version string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "lambdadeck-test")
	dir := filepath.Join(root, "aws-lambda-ric-"+version)
	if ricInstalled(dir) {
		return filepath.Join(dir, "node_modules")
	}
	if testing.Short() {
		t.Skipf("-short: not installing aws-lambda-ric %s (npm builds native code for minutes); no cached install in %s", version, dir)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: cannot install aws-lambda-ric %s", tool, version)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	// Install into a fresh folder and rename it into place, so a failed or
	// concurrent install never leaves a half-built cache behind.
	staging, err := os.MkdirTemp(root, "aws-lambda-ric-"+version+".install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(staging)
	ricCopyFile(t, filepath.Join(ricTestdata, "package.json"), filepath.Join(staging, "package.json"), 0o644)

	args := []string{"install", "--no-audit", "--no-fund", "--foreground-scripts"}
	command := fmt.Sprintf("npm %s (in %s, a fresh folder holding %s/package.json)", strings.Join(args, " "), staging, ricTestdata)
	t.Logf("installing aws-lambda-ric %s: %s", version, command)
	ctx, cancel := context.WithTimeout(context.Background(), ricInstallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = staging
	// node-gyp would download Node's headers, which the sandbox cannot:
	// Debian's nodejs package ships them under /usr/include/node.
	if _, err := os.Stat("/usr/include/node/node.h"); err == nil {
		cmd.Env = append(os.Environ(), "npm_config_nodedir=/usr")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// npm runs sh, make, cc1plus...: kill them all on timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	took := time.Since(start).Round(time.Second)
	if runErr == nil && !ricInstalled(staging) {
		runErr = fmt.Errorf("npm succeeded but built no node_modules/aws-lambda-ric/{%s}: its install scripts did not run (see npm's allowScripts)",
			strings.Join(ricAddons, ","))
	}
	if runErr != nil {
		t.Skipf("cannot install aws-lambda-ric %s here: %v (after %s)\ncommand: %s\n%slast lines of its output:\n%s",
			version, runErr, took, command, ricMissingBuildTools(), ricLastLines(out.String(), 40))
	}
	t.Logf("installed aws-lambda-ric %s in %s", version, took)
	if err := os.Rename(staging, dir); err != nil && !ricInstalled(dir) {
		t.Fatalf("caching the install: %v", err)
	}
	return filepath.Join(dir, "node_modules")
}

// ricMissingBuildTools names the RIC's build tools that are not on PATH, as a
// line for a skip message, or "" when all are there.
func ricMissingBuildTools() string {
	var missing []string
	for _, tool := range ricBuildTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "not on PATH: " + strings.Join(missing, ", ") +
		" (Debian: apt-get install cmake autoconf automake libtool make g++)\n"
}

// ricLastLines returns the last n lines of s.
func ricLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func ricCopyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// ricFunctionDir lays out the fixture function in a temp folder, its
// node_modules a link to the cached install.
func ricFunctionDir(t *testing.T, nodeModules string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"package.json", 0o644}, {"index.js", 0o644}, {"bootstrap", 0o755}} {
		ricCopyFile(t, filepath.Join(ricTestdata, f.name), filepath.Join(dir, f.name), f.mode)
	}
	if err := os.Symlink(nodeModules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ricContext is what testdata/ric/index.js's context handler returns.
type ricContext struct {
	Event              json.RawMessage `json:"event"`
	AwsRequestID       string          `json:"awsRequestId"`
	RemainingMs        int64           `json:"remainingMs"`
	InvokedFunctionArn string          `json:"invokedFunctionArn"`
	FunctionName       string          `json:"functionName"`
	FunctionVersion    string          `json:"functionVersion"`
	MemoryLimitInMB    string          `json:"memoryLimitInMB"`
	LogGroupName       string          `json:"logGroupName"`
	LogStreamName      string          `json:"logStreamName"`
	ClientContext      json.RawMessage `json:"clientContext"`
	Identity           json.RawMessage `json:"identity"`
	TraceID            string          `json:"traceId"`
	PID                int             `json:"pid"`
	Invocations        int             `json:"invocations"`
}

// ricInvoker invokes the fixture's functions through the real invoker.
type ricInvoker struct{ iv *Invoker }

// invoke runs req and logs the invocation's payload and logs if the test
// fails.
func (r ricInvoker) invoke(t *testing.T, req lambdadeck.InvokeRequest) *lambdadeck.Invocation {
	t.Helper()
	req.Source = lambdadeck.SourceTest
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inv, err := r.iv.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("invoke %s: %v", req.Function, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s: status %s, payload %s\nlogs:\n%s", req.Function, inv.Status, inv.Payload, inv.Logs)
		}
	})
	return inv
}

func TestNodeRuntimeInterfaceClient(t *testing.T) {
	requireTools(t, "node")
	version := ricVersion(t)
	dir := ricFunctionDir(t, ricNodeModules(t, version))

	const timeout = 10 * time.Second
	function := func(name, handler string) lambdadeck.Function {
		return lambdadeck.Function{Name: name, Runtime: "provided.al2023", Handler: handler, CodeDir: dir,
			Timeout: timeout, MemoryMB: lambdadeck.DefaultMemoryMB, Concurrency: 1}
	}
	// The RIC's other client for /next: Node's http module with a
	// keep-alive agent, in place of the native curl-based one.
	alternative := function("ric-alternative-client", "index.context")
	alternative.Environment = map[string]string{"AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1": "true"}
	fns := []lambdadeck.Function{
		function("ric-context", "index.context"),
		alternative,
		function("ric-stream", "index.stream"),
		function("ric-stream-error", "index.streamError"),
		function("ric-throws", "index.throws"),
		function("ric-callback", "index.callback"),
		function("ric-callback-error", "index.callbackError"),
		function("ric-missing", "index.missing"),
	}
	ric := ricInvoker{newTestInvoker(t, nil, fns...)}

	for _, name := range []string{"ric-context", "ric-alternative-client"} {
		t.Run(name+" context and warm reuse", func(t *testing.T) { checkRICContext(t, ric, name, timeout) })
	}

	// errorType, errorMessage and trace as the RIC posts them to /error.
	errorCases := []struct {
		name, function string
		event          string
		status         lambdadeck.Status
		errorType      string
		errorMessage   string
		traceHas       string // a trace line holds this
		logs           string // the RIC's log line for the error
	}{
		{"thrown error", "ric-throws", `{"id":"A-17"}`, lambdadeck.StatusFailed,
			"OrderError", "order A-17 has no price", "index.js:", "\tERROR\tInvoke Error \t"},
		{"callback error", "ric-callback-error", `{}`, lambdadeck.StatusFailed,
			"TypeError", "callback failed", "index.js:", "\tERROR\tInvoke Error \t"},
		{"error after streaming began", "ric-stream-error", `{}`, lambdadeck.StatusFailed,
			"RangeError", "stream broke", "index.js:", "\tERROR\tInvoke Error \t"},
		{"handler not found is an init error", "ric-missing", `{}`, lambdadeck.StatusFailed,
			"Runtime.HandlerNotFound", "index.missing is undefined or not exported", "Runtime.HandlerNotFound: ", "\tundefined\tERROR\tUncaught Exception \t"},
	}
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			inv := ric.invoke(t, lambdadeck.InvokeRequest{Function: c.function, Event: []byte(c.event)})
			if inv.Status != c.status {
				t.Errorf("status = %s, want %s", inv.Status, c.status)
			}
			var body struct {
				ErrorType    string   `json:"errorType"`
				ErrorMessage string   `json:"errorMessage"`
				Trace        []string `json:"trace"`
			}
			if err := json.Unmarshal(inv.Payload, &body); err != nil {
				t.Fatalf("error payload %s: %v", inv.Payload, err)
			}
			if body.ErrorType != c.errorType || body.ErrorMessage != c.errorMessage {
				t.Errorf("posted errorType %q errorMessage %q, want %q %q", body.ErrorType, body.ErrorMessage, c.errorType, c.errorMessage)
			}
			if len(body.Trace) < 2 || body.Trace[0] != c.errorType+": "+c.errorMessage || !strings.Contains(strings.Join(body.Trace, "\n"), c.traceHas) {
				t.Errorf("trace = %q, want %q first, then frames holding %q", body.Trace, c.errorType+": "+c.errorMessage, c.traceHas)
			}
			if inv.Error == nil || inv.Error.Type != c.errorType || inv.Error.Message != c.errorMessage || len(inv.Error.Stack) != len(body.Trace) {
				t.Errorf("recorded error = %+v", inv.Error)
			}
			if !strings.Contains(inv.Logs, c.logs) {
				t.Errorf("logs lack %q", c.logs)
			}
		})
	}

	t.Run("errors keep the instance", func(t *testing.T) {
		again := ric.invoke(t, lambdadeck.InvokeRequest{Function: "ric-throws", Event: []byte(`{"id":"B-2"}`)})
		if again.Cold || again.Error == nil || again.Error.Message != "order B-2 has no price" {
			t.Errorf("after an error: cold=%v error %+v, want the warm instance to answer", again.Cold, again.Error)
		}
	})

	t.Run("streamed response", func(t *testing.T) {
		inv := ric.invoke(t, lambdadeck.InvokeRequest{Function: "ric-stream", Event: []byte(`{"who":"world"}`)})
		if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != "hello streamed world" || inv.ContentType != "text/plain" {
			t.Errorf("status %s payload %q content type %q, want the streamed text/plain body", inv.Status, inv.Payload, inv.ContentType)
		}
	})

	t.Run("callback handler", func(t *testing.T) {
		inv := ric.invoke(t, lambdadeck.InvokeRequest{Function: "ric-callback", Event: []byte(`{"n":42}`)})
		if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `{"via":"callback","n":42}` {
			t.Errorf("status %s payload %s, want the callback's value", inv.Status, inv.Payload)
		}
	})
}

// checkRICContext invokes name twice and checks the context object the RIC
// built from the Runtime API's headers, and that the second invocation reused
// the first's process.
func checkRICContext(t *testing.T, ric ricInvoker, name string, timeout time.Duration) {
	t.Helper()
	first := ric.invoke(t, lambdadeck.InvokeRequest{Function: name, Event: []byte(`{"order":1}`),
		ClientContext: []byte(`{"custom":{"tenant":"acme"},"env":{"platform":"test"}}`),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-7", CognitoIdentityPoolID: "pool-7"}})
	if first.Status != lambdadeck.StatusSucceeded || first.Error != nil {
		t.Fatalf("status %s, error %+v", first.Status, first.Error)
	}
	var got ricContext
	if err := json.Unmarshal(first.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", first.Payload, err)
	}
	if string(got.Event) != `{"order":1}` {
		t.Errorf("event = %s", got.Event)
	}
	if got.AwsRequestID != first.RequestID {
		t.Errorf("awsRequestId = %q, want the invocation's %q", got.AwsRequestID, first.RequestID)
	}
	if got.RemainingMs <= 0 || got.RemainingMs > timeout.Milliseconds() {
		t.Errorf("getRemainingTimeInMillis() = %d, want within (0, %d]", got.RemainingMs, timeout.Milliseconds())
	}
	want := map[string][2]string{
		"invokedFunctionArn": {got.InvokedFunctionArn, "arn:aws:lambda:us-east-1:123456789012:function:" + name},
		"functionName":       {got.FunctionName, name},
		"functionVersion":    {got.FunctionVersion, lambdadeck.LatestVersion},
		"memoryLimitInMB":    {got.MemoryLimitInMB, "128"},
		"logGroupName":       {got.LogGroupName, "/aws/lambda/" + name},
	}
	for field, v := range want {
		if v[0] != v[1] {
			t.Errorf("context.%s = %q, want %q", field, v[0], v[1])
		}
	}
	if !strings.Contains(got.LogStreamName, "/[$LATEST]") {
		t.Errorf("context.logStreamName = %q", got.LogStreamName)
	}
	if !strings.HasPrefix(got.TraceID, "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q, want the invocation's trace header", got.TraceID)
	}
	var cc struct {
		Custom map[string]string `json:"custom"`
		Env    map[string]string `json:"env"`
	}
	if err := json.Unmarshal(got.ClientContext, &cc); err != nil || cc.Custom["tenant"] != "acme" || cc.Env["platform"] != "test" {
		t.Errorf("context.clientContext = %s (%v)", got.ClientContext, err)
	}
	var id lambdadeck.CognitoIdentity
	if err := json.Unmarshal(got.Identity, &id); err != nil || id.CognitoIdentityID != "id-7" || id.CognitoIdentityPoolID != "pool-7" {
		t.Errorf("context.identity = %s (%v)", got.Identity, err)
	}
	// The RIC patches console.log: timestamp, request id, level, message.
	if line := "\t" + first.RequestID + "\tINFO\tcontext handler saw {\"order\":1}\n"; !strings.Contains(first.Logs, line) {
		t.Errorf("logs lack the RIC's console line %q", line)
	}
	if !first.Cold || !strings.Contains(first.Logs, "REPORT RequestId: "+first.RequestID) {
		t.Errorf("first invocation: cold=%v, want a cold start with a REPORT line", first.Cold)
	}

	second := ric.invoke(t, lambdadeck.InvokeRequest{Function: name, Event: []byte(`{"order":2}`)})
	var again ricContext
	if err := json.Unmarshal(second.Payload, &again); err != nil {
		t.Fatalf("payload %s: %v", second.Payload, err)
	}
	if second.Cold || again.PID != got.PID || again.Invocations != 2 {
		t.Errorf("second invocation: cold=%v pid %d (first %d) invocations %d, want the same warm process's 2nd",
			second.Cold, again.PID, got.PID, again.Invocations)
	}
	if again.AwsRequestID != second.RequestID || again.AwsRequestID == got.AwsRequestID {
		t.Errorf("second awsRequestId = %q, want %q", again.AwsRequestID, second.RequestID)
	}
	if string(again.ClientContext) != "null" || string(again.Identity) != "null" {
		t.Errorf("second invocation kept the first's client context %s / identity %s", again.ClientContext, again.Identity)
	}
	if live, idle, _ := ric.iv.PoolStats(name); live != 1 || idle != 1 {
		t.Errorf("pool: live=%d idle=%d, want the one instance, idle", live, idle)
	}
}

// ricDifferentialCases are handlers whose outcome lambdadeck's Node.js
// bootstrap must give exactly as the official client does: each runs under
// both, and the two outcomes are compared (TestNodeBootstrapMatchesRIC).
var ricDifferentialCases = []struct {
	name, code string
	timeout    time.Duration // 0: ricDifferentialTimeout
}{
	{"thrown Error", `exports.handler = async () => { throw new RangeError("out of range"); };`, 0},
	{"callback with a string", `exports.handler = (e, ctx, cb) => cb("oops");`, 0},
	{"rejected Error without a stack", `exports.handler = async () => { const e = new Error("no stack"); delete e.stack; throw e; };`, 0},
	{"callback Error whose name is a number", `exports.handler = (e, ctx, cb) => cb(Object.assign(new Error("numbered"), { name: 42 }));`, 0},
	{"resolves to a function", `exports.handler = async () => () => 1;`, 0},
	{"context.succeed with a symbol", `exports.handler = (e, ctx) => ctx.succeed(Symbol("s"));`, 0},
	{"callback with a function, waiting for the loop", `exports.handler = (e, ctx, cb) => cb(null, function f() {});`, 0},
	{"stream written and ended", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("a"); stream.end("b"); });`, 0},
	{"stream ended after the handler resolved", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("early "); setTimeout(() => stream.end("late"), 50); });`, 0},
	{"non-async streaming handler that ends its stream", `exports.handler = awslambda.streamifyResponse((e, stream) => { stream.write("wr"); stream.end("itten"); });`, 0},
	{"non-async streaming handler that leaves its stream open", `exports.handler = awslambda.streamifyResponse((e, stream) => { stream.write("x"); });`, 0},
	{"streaming error after end()", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.end("done"); throw new TypeError("too late"); });`, 0},
	{"streaming error mid-stream", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("partial"); throw new TypeError("mid-stream"); });`, 0},
	{"stream never ended", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("x"); });`, 2 * time.Second},
	{"streaming promise never settles", `exports.handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("x"); await new Promise(() => {}); });`, 2 * time.Second},
}

// ricDifferentialTimeout is generous: these cases end long before it.
const ricDifferentialTimeout = 10 * time.Second

// ricOutcome is what of an invocation must agree between lambdadeck's
// bootstrap and the official client: frames and times aside.
type ricOutcome struct {
	Status      lambdadeck.Status
	ContentType string
	Payload     string   // a success's body
	Error       string   // a failure's body without its trace: errorType, errorMessage
	TraceHead   string   // the trace's first line, "" when it has none
	HasTrace    bool     // the body has a "trace" member
	LoggedError []string // the runtime's ERROR log records: label, errorType, errorMessage
}

// ricLoggedError matches the runtime's error record in the TEXT log format.
var ricLoggedError = regexp.MustCompile(`(?m)^\S+\t\S+\tERROR\t(Invoke Error|Uncaught Exception|Unhandled Promise Rejection) \t(.*)$`)

func ricOutcomeOf(t *testing.T, inv *lambdadeck.Invocation) ricOutcome {
	t.Helper()
	o := ricOutcome{Status: inv.Status, ContentType: inv.ContentType}
	if inv.Error == nil {
		o.Payload = string(inv.Payload)
	} else {
		var body map[string]any
		if err := json.Unmarshal(inv.Payload, &body); err != nil {
			t.Fatalf("error payload %q: %v", inv.Payload, err)
		}
		trace, hasTrace := body["trace"]
		o.HasTrace = hasTrace
		if lines, ok := trace.([]any); ok && len(lines) > 0 {
			o.TraceHead = fmt.Sprint(lines[0])
		}
		delete(body, "trace")
		raw, _ := json.Marshal(body)
		o.Error = strings.ReplaceAll(string(raw), inv.RequestID, "{id}")
	}
	for _, m := range ricLoggedError.FindAllStringSubmatch(inv.Logs, -1) {
		var record struct {
			ErrorType    any    `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal([]byte(m[2]), &record); err != nil {
			t.Fatalf("log record %q: %v", m[0], err)
		}
		o.LoggedError = append(o.LoggedError, fmt.Sprintf("%s: %v: %s", m[1], record.ErrorType, record.ErrorMessage))
	}
	return o
}

// TestNodeBootstrapMatchesRIC is a differential test: every handler of
// ricDifferentialCases runs under lambdadeck's Node.js bootstrap (as
// nodejs20.x) and under the official client (a provided.al2023 function
// starting aws-lambda-ric), and both outcomes must be the same.
func TestNodeBootstrapMatchesRIC(t *testing.T) {
	requireTools(t, "node")
	// The official client's folder holds its package.json, whose dependency
	// a nodejs20.x function would have built: lambdadeck's side gets a
	// folder of its own, with the same handler files.
	officialDir := ricFunctionDir(t, ricNodeModules(t, ricVersion(t)))
	oursDir := t.TempDir()
	var fns []lambdadeck.Function
	for i, c := range ricDifferentialCases {
		module := fmt.Sprintf("differential%d", i)
		for _, dir := range []string{oursDir, officialDir} {
			if err := os.WriteFile(filepath.Join(dir, module+".js"), []byte(c.code), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		timeout := c.timeout
		if timeout == 0 {
			timeout = ricDifferentialTimeout
		}
		for _, side := range []struct{ runtime, dir string }{{"nodejs20.x", oursDir}, {"provided.al2023", officialDir}} {
			fns = append(fns, lambdadeck.Function{Name: fmt.Sprintf("%s-%d", strings.TrimSuffix(side.runtime, ".x"), i), Runtime: side.runtime,
				Handler: module + ".handler", CodeDir: side.dir, Timeout: timeout, MemoryMB: lambdadeck.DefaultMemoryMB, Concurrency: 1})
		}
	}
	ric := ricInvoker{newTestInvoker(t, nil, fns...)}
	for i, c := range ricDifferentialCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ours := ricOutcomeOf(t, ric.invoke(t, lambdadeck.InvokeRequest{Function: fns[2*i].Name, Event: []byte(`{}`)}))
			official := ricOutcomeOf(t, ric.invoke(t, lambdadeck.InvokeRequest{Function: fns[2*i+1].Name, Event: []byte(`{}`)}))
			if fmt.Sprintf("%#v", ours) != fmt.Sprintf("%#v", official) {
				t.Errorf("lambdadeck's bootstrap:\n%#v\nthe official client:\n%#v", ours, official)
			}
		})
	}
}
