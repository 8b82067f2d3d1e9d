package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

func requireRuntimes(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
}

// run runs the command line with args and returns its exit status, stdout
// and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeProject writes a small SAM project into a temp dir and makes it the
// working directory.
func writeProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"template.yaml": `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 2
    Environment:
      Variables:
        STAGE: test
        EXTRA: ""
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: greeter
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: src/
  Failer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: fail.handler
      CodeUri: py/
  Image:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: !Sub '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/x:latest'
`,
		"src/app.js": `exports.handler = async (event) => {
  console.log("greeting", event.name);
  return { greeting: "hello " + event.name, stage: process.env.STAGE, extra: process.env.EXTRA || null };
};
`,
		"py/fail.py":  "def handler(event, context):\n    raise ValueError('no ' + event.get('what', 'thing'))\n",
		"event.json":  `{"name": "Ada"}`,
		"broken.json": "{\n  \"name\": \"Ada\",\n}",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

func TestInvokeCommand(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)

	code, stdout, stderr := run(t, "", "invoke", "greeter", "--event", "event.json", "--env", "EXTRA=yes")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stdout != `{"greeting":"hello Ada","stage":"test","extra":"yes"}` {
		t.Errorf("stdout = %q", stdout)
	}
	for _, want := range []string{"START RequestId: ", "\tINFO\tgreeting Ada\n", "END RequestId: ", "REPORT RequestId: ", "Init Duration: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// The event can come on standard input.
	code, stdout, _ = run(t, `{"name":"Grace"}`, "invoke", "--event", "-", "greeter")
	if code != exitOK || !strings.Contains(stdout, "hello Grace") {
		t.Errorf("stdin event: exit %d, stdout %q", code, stdout)
	}

	// A function error: the error JSON on stdout, exit status 1.
	code, stdout, stderr = run(t, "", "invoke", "Failer", "--event", "-", "--quiet")
	if code != exitFunction {
		t.Errorf("function error: exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, `"errorType": "ValueError"`) && !strings.Contains(stdout, `"errorType":"ValueError"`) {
		t.Errorf("function error stdout = %s", stdout)
	}

	// Every invocation is recorded, with its source.
	db, err := store.Open(context.Background(), filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	page, err := db.ListInvocations(context.Background(), store.InvocationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Fatalf("recorded %d invocations, want 3", len(page.Items))
	}
	for _, inv := range page.Items {
		if inv.Source != lambdadeck.SourceCLI {
			t.Errorf("source = %s", inv.Source)
		}
	}
	if page.Items[0].Status != lambdadeck.StatusFailed || page.Items[1].Status != lambdadeck.StatusSucceeded {
		t.Errorf("statuses = %s, %s", page.Items[0].Status, page.Items[1].Status)
	}
}

func TestInvokeCommandErrors(t *testing.T) {
	requireRuntimes(t)
	writeProject(t)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no function", []string{"invoke"}, exitUsage, "invoke takes one function name"},
		{"unknown function", []string{"invoke", "nope"}, exitUsage, "Function not found: nope"},
		{"not runnable", []string{"invoke", "Image"}, exitUsage, "cannot run here"},
		{"missing event file", []string{"invoke", "greeter", "--event", "missing.json"}, exitUsage, "cannot read missing.json"},
		{"invalid event", []string{"invoke", "greeter", "--event", "broken.json"}, exitUsage, "line 3, column 1"},
		{"bad env flag", []string{"invoke", "greeter", "--env", "NOVALUE"}, exitUsage, "want KEY=VALUE"},
		{"reserved env", []string{"invoke", "greeter", "--env", "AWS_LAMBDA_FUNCTION_NAME=x"}, exitUsage, "reserved by Lambda"},
		{"unknown flag", []string{"invoke", "greeter", "--nope"}, exitUsage, "flag provided but not defined"},
		{"missing template", []string{"invoke", "greeter", "-t", "nothere.yaml"}, exitUsage, "nothere.yaml"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.code, stderr, tc.want)
			}
		})
	}
}

func TestFunctionsCommand(t *testing.T) {
	writeProject(t)
	code, stdout, stderr := run(t, "", "functions")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"NAME", "greeter", "nodejs20.x", "app.handler", "2s", "Failer", "python3.12", "Image", "not runnable"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("functions output lacks %q:\n%s", want, stdout)
		}
	}
	if code, stdout, _ := run(t, "", "version"); code != exitOK || !strings.HasPrefix(stdout, "lambdadeck ") {
		t.Errorf("version: %d %q", code, stdout)
	}
	if code, _, stderr := run(t, "", "invoke", "--help"); code != exitOK || !strings.Contains(stderr, "--event") && !strings.Contains(stderr, "-event") {
		t.Errorf("invoke --help: %d %q", code, stderr)
	}
}

// TestServeBuiltInExamples starts the whole server on port 0 in an empty
// directory (so it serves the built-in examples), invokes an example through
// the browser form, and finds the invocation in the history.
func TestServeBuiltInExamples(t *testing.T) {
	requireRuntimes(t)
	dir := t.TempDir()
	t.Chdir(dir)
	base := startServer(t)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	status, body := get("/")
	if status != 200 || !strings.Contains(body, "hello-node") || !strings.Contains(body, "hello-python") {
		t.Fatalf("dashboard: %d\n%.2000s", status, body)
	}
	status, body = get("/functions/hello-python")
	if status != 200 {
		t.Fatalf("function page: %d", status)
	}
	// The page says which local interpreter serves python3.12, and warns
	// when its version differs.
	if !regexp.MustCompile(`data-testid="config-local-runtime">\s*3\.\d+\.\d+ at /`).MatchString(body) {
		t.Errorf("function page does not show the local Python interpreter")
	}
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no CSRF token on the function page")
	}
	resp, err := client.PostForm(base+"/functions/hello-python/invoke", url.Values{"_csrf": {token[1]}, "event": {`{"from":"test"}`}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("invoke form: status %d, want a 303 redirect to the invocation", resp.StatusCode)
	}
	permalink := resp.Header.Get("Location")
	status, body = get(permalink)
	if status != 200 || !strings.Contains(body, "Your Lambda function has successfully executed!") {
		t.Fatalf("permalink %s: %d\n%.3000s", permalink, status, body)
	}
	requestID := permalink[strings.LastIndex(permalink, "/")+1:]
	status, body = get("/invocations")
	if status != 200 || !strings.Contains(body, requestID) {
		t.Errorf("history does not list %s", requestID)
	}
	status, body = get("/healthz")
	if status != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz: %d %s", status, body)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lambdadeck", "lambdadeck.db")); err != nil {
		t.Errorf("state is not under .lambdadeck: %v", err)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, _, stderr := run(t, "", "serve", "--addr", "not-an-address"); code == exitOK || !strings.Contains(stderr, "not-an-address") {
		t.Errorf("bad address: exit %d, %s", code, stderr)
	}
	os.WriteFile("template.yaml", []byte("Resources: [\n"), 0o644)
	if code, _, stderr := run(t, "", "serve"); code != exitUsage || !strings.Contains(stderr, "line") {
		t.Errorf("broken template: exit %d, %s", code, stderr)
	}
}

// startServer runs `lambdadeck serve` in the current directory on port 0
// and returns its base URL; it stops when the test ends.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Listening on "); ok {
			base = rest
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start; stderr:\n%s", stderr.String())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return base
}

// apiInvoke invokes a function through the server's Lambda API.
func apiInvoke(t *testing.T, base, function, event string) string {
	t.Helper()
	resp, err := http.Post(base+"/2015-03-31/functions/"+function+"/invocations", "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestServeReloadsChangedCodeAndTemplate edits a handler and the template
// while the server runs: the next invocations run the new code and the new
// configuration, with no restart; a broken template keeps the old functions.
func TestServeReloadsChangedCodeAndTemplate(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)
	base := startServer(t)
	eventually := func(what, want string, get func() string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		var got string
		for time.Now().Before(deadline) {
			if got = get(); strings.Contains(got, want) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: never saw %q; last: %s", what, want, got)
	}
	invokeGreeter := func() string { return apiInvoke(t, base, "greeter", `{"name":"Ada"}`) }
	if got := invokeGreeter(); !strings.Contains(got, `"greeting":"hello Ada"`) || !strings.Contains(got, `"stage":"test"`) {
		t.Fatalf("first invoke: %s", got)
	}

	// Edit the handler: the warm instance is retired, the new code runs.
	code := strings.Replace(readFile(t, filepath.Join(dir, "src", "app.js")), `"hello "`, `"bonjour "`, 1)
	os.WriteFile(filepath.Join(dir, "src", "app.js"), []byte(code), 0o644)
	eventually("new code", `"greeting":"bonjour Ada"`, invokeGreeter)

	// Edit the template: the new environment applies.
	tpl := readFile(t, filepath.Join(dir, "template.yaml"))
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(strings.Replace(tpl, "STAGE: test", "STAGE: prod", 1)), 0o644)
	eventually("new configuration", `"stage":"prod"`, invokeGreeter)
	page := func() string {
		resp, err := http.Get(base + "/functions/greeter")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if !strings.Contains(page(), `data-testid="reloaded"`) {
		t.Error("the function page does not say the function was reloaded")
	}

	// A broken template keeps the functions running and says why.
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte("Resources: [\n"), 0o644)
	eventually("broken template warning", "cannot be loaded", func() string {
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	})
	if got := invokeGreeter(); !strings.Contains(got, `"stage":"prod"`) {
		t.Errorf("after a broken template: %s", got)
	}
}

func TestInvokeFixture(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*lambdadeck.Fixture{
		{Function: "greeter", Name: "ada", Event: []byte(`{"name":"Ada {{who}}"}`), Env: map[string]string{"EXTRA": "from-fixture"},
			Expectation: &lambdadeck.Expectation{Assertions: []string{`greeting == "hello Ada Lovelace"`}}},
		{Name: "shared-grace", Event: []byte(`{"name":"Grace"}`),
			Expectation: &lambdadeck.Expectation{Assertions: []string{`greeting == "hello Ada"`}}},
	} {
		if err := db.CreateFixture(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	os.WriteFile(filepath.Join(dir, "lambdadeck.env.json"), []byte(`{"dev": {"who": "Lovelace"}}`), 0o644)

	code, stdout, stderr := run(t, "", "invoke", "greeter", "--fixture", "ada", "--vars", "dev")
	if code != exitOK || stdout != `{"greeting":"hello Ada Lovelace","stage":"test","extra":"from-fixture"}` {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, `expectation of fixture "ada": passed`) {
		t.Errorf("stderr lacks the verdict:\n%s", stderr)
	}
	// A shared fixture, an --env flag over the fixture's, a failed expectation.
	code, stdout, stderr = run(t, "", "invoke", "greeter", "--fixture", "shared-grace", "--env", "EXTRA=flag", "--quiet")
	if code != exitOK || !strings.Contains(stdout, `"extra":"flag"`) || !strings.Contains(stderr, "FAILED") ||
		!strings.Contains(stderr, `greeting == "hello Ada": got "hello Grace"`) {
		t.Errorf("shared fixture: exit %d, %q\nstderr: %s", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"invoke", "greeter", "--fixture", "nope"},
		{"invoke", "greeter", "--fixture", "ada", "--event", "event.json"},
		{"invoke", "greeter", "--fixture", "ada"}, // {{who}} has no value
	} {
		if code, _, stderr := run(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
}

// TestInvokeCommandOnAFailingStoreExits3 holds the database's write lock
// from another connection, as a process stuck in a write would: the
// invocation cannot be recorded, so the handler does not run and the CLI
// exits 3 with the reason.
func TestInvokeCommandOnAFailingStoreExits3(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)
	ctx := context.Background()
	path := filepath.Join(dir, ".lambdadeck", "lambdadeck.db")
	// Another process has the database open (a server), so the CLI's Open
	// does not write to recover anything.
	server, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "", "invoke", "greeter", "--event", "event.json", "--db-busy-timeout", "200ms")
	conn.ExecContext(ctx, "ROLLBACK")
	conn.Close()
	if code != exitInternal || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 3 and nothing", code, stdout)
	}
	if !strings.Contains(stderr, "greeter was not run") || !strings.Contains(stderr, "database is locked") || strings.Contains(stderr, "greeting Ada") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if n, _ := server.CountInvocations(ctx, store.InvocationFilter{}); n != 0 {
		t.Errorf("%d invocations recorded", n)
	}
	if code, _, stderr := run(t, "", "invoke", "greeter", "--db-busy-timeout", "0s"); code != exitUsage || !strings.Contains(stderr, "--db-busy-timeout must be positive") {
		t.Errorf("a zero busy timeout: exit %d, %s", code, stderr)
	}
}

// TestStateIsPrivate runs the CLI whole: the state folder, the database and
// the installed bootstraps are made private to the user (an older
// lambdadeck left them world-readable), and --db pointing at another
// program's SQLite file is refused with the file left byte-identical.
func TestStateIsPrivate(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)
	state := filepath.Join(dir, ".lambdadeck")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, `{"name":"Ada"}`, "invoke", "greeter", "--event", "-")
	if code != exitOK {
		t.Fatalf("invoke: exit %d\n%s", code, stderr)
	}
	for path, want := range map[string]os.FileMode{
		state: 0o700, filepath.Join(state, "lambdadeck.db"): 0o600, filepath.Join(state, "lambdadeck.db-lock"): 0o600,
		filepath.Join(state, "runtimes"): 0o700,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", path, st.Mode().Perm(), want)
		}
	}

	foreign := filepath.Join(dir, "app.db")
	other, err := sql.Open("sqlite", "file:"+foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	before, _ := os.ReadFile(foreign)
	code, _, stderr = run(t, `{}`, "invoke", "greeter", "--event", "-", "--db", foreign)
	if code == exitOK || !strings.Contains(stderr, "is another program's SQLite database (tables orders, none of them lambdadeck's)") {
		t.Errorf("--db at a foreign database: exit %d\n%s", code, stderr)
	}
	if after, _ := os.ReadFile(foreign); !bytes.Equal(before, after) {
		t.Error("the foreign database changed")
	}
	for _, suffix := range []string{"-wal", "-shm", "-lock"} {
		if _, err := os.Stat(foreign + suffix); err == nil {
			t.Errorf("%s was created", foreign+suffix)
		}
	}
}

// TestInvokeRefusesInvalidUTF8: the CLI refuses an event that is not valid
// UTF-8 with a clear message, and fixtures import names the file.
func TestInvokeRefusesInvalidUTF8(t *testing.T) {
	dir := writeProject(t)
	code, _, stderr := run(t, "{\"name\":\"\xff\"}", "invoke", "greeter", "--event", "-")
	if code == exitOK || !strings.Contains(stderr, "the event is not valid UTF-8: byte 0xff at offset 9") {
		t.Errorf("invoke: exit %d\n%s", code, stderr)
	}
	events := filepath.Join(dir, "events", "greeter")
	if err := os.MkdirAll(events, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(events, "bad.json"), []byte("{\"name\":\"\xff\"}"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "", "fixtures", "import", "--dir", filepath.Join(dir, "events"))
	if code == exitOK || !strings.Contains(stderr, "bad.json: not valid UTF-8") {
		t.Errorf("import: exit %d\n%s", code, stderr)
	}
}

// TestServeAllowedHost runs serve whole: a Host it does not know is a 421,
// one given with --allowed-host is answered, and a malformed one is a
// usage error.
func TestServeAllowedHost(t *testing.T) {
	writeProject(t)
	base := startServer(t, "--allowed-host", "dev.example", "--watch=false")
	for host, want := range map[string]int{"dev.example:9999": http.StatusOK, "evil.test": http.StatusMisdirectedRequest,
		strings.TrimPrefix(base, "http://"): http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	// A bad flag is refused before anything is opened: no state folder,
	// no database, in a project that has none yet.
	fresh := writeProject(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--allowed-host", "http://x/"}, `allowed host "http://x/" is not a host name or host:port`},
		{[]string{"--api-addr", "8081"}, `--api-addr "8081" is not host:port`},
		{[]string{"--http-addr", "127.0.0.1:http"}, `--http-addr "127.0.0.1:http" has an invalid port`},
	} {
		code, _, stderr := run(t, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d, want %d and %q\n%s", c.args, code, exitUsage, c.want, stderr)
		}
		if _, err := os.Stat(filepath.Join(fresh, ".lambdadeck")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("serve %v left a state folder behind (%v)", c.args, err)
		}
	}
}
