package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// writeTestProject writes a SAM project with one Node.js function, api,
// that answers as API Gateway does, and makes it the working directory.
func writeTestProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"template.yaml": `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: api
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: api/
      Timeout: 3
      ReservedConcurrentExecutions: 2
`,
		"api/index.js": `exports.handler = async (event) => {
  console.log("greeting", event.name);
  return { statusCode: event.code || 200, headers: { "Content-Type": "application/json" },
           body: JSON.stringify({ message: "hello " + event.name }) };
};
`,
	}
	for name, content := range files {
		all[name] = content
	}
	for name, content := range all {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// openProjectDB opens the project's database, as the commands do.
func openProjectDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testFixtures stores the fixtures the test command runs: one that passes
// with the dev environment, one whose expected subset fails, a shared one,
// and one without an expectation.
func testFixtures(t *testing.T, db *store.DB) map[string]*lambdadeck.Fixture {
	t.Helper()
	fixtures := map[string]*lambdadeck.Fixture{
		"greets ada": {Function: "api", Name: "greets ada", Event: json.RawMessage(`{"name": "{{who}}"}`),
			Expectation: &lambdadeck.Expectation{Assertions: []string{
				"statusCode == 200", `body.message == "hello Ada"`, `headers["Content-Type"] contains "json"`,
				`status == "succeeded"`, "duration < 3s", "error !exists", `logs contains "greeting Ada"`}}},
		"expects bob": {Function: "api", Name: "expects bob", Event: json.RawMessage(`{"name": "Ada", "code": 201}`),
			Expectation: &lambdadeck.Expectation{Contains: json.RawMessage(`{"statusCode": 200, "body": {"message": "hello Bob"}}`)}},
		"any ok": {Name: "any ok", Event: json.RawMessage(`{"name": "anyone"}`),
			Expectation: &lambdadeck.Expectation{Assertions: []string{"statusCode == 200"}}},
		"no expectation": {Function: "api", Name: "no expectation", Event: json.RawMessage(`{}`)},
	}
	for _, f := range fixtures {
		if err := db.CreateFixture(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	return fixtures
}

func TestTestCommand(t *testing.T) {
	requireRuntimes(t)
	dir := writeTestProject(t, map[string]string{
		// The file's dev wins over the database's dev.
		"lambdadeck.env.json": `{"dev": {"who": "Ada"}, "stage": {"who": "Stage"}}`,
	})
	db := openProjectDB(t, dir)
	fixtures := testFixtures(t, db)
	if err := db.SaveEnvironment(context.Background(), &store.Environment{Name: "dev", Variables: map[string]string{"who": "Bob"}}); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := run(t, "", "test", "--env", "dev", "--junit", "reports/junit.xml")
	if code != exitFunction {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitFunction, stdout, stderr)
	}
	for _, want := range []string{
		"✓ greets ada  api  ",
		`✗ expects bob  api  `,
		`contains at .body.message: expected "hello Bob", got "hello Ada" (+1 more)`,
		"- any ok  (shared)  skipped: shared fixture",
		"\n1 passed, 1 failed, 1 skipped (",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "no expectation") {
		t.Errorf("a fixture without an expectation ran:\n%s", stdout)
	}

	// The history has each run, as sent (expanded), with its verdict.
	page, err := db.ListInvocations(context.Background(), store.InvocationFilter{Source: string(lambdadeck.SourceTest)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("%d test invocations recorded, want 2", len(page.Items))
	}
	for _, item := range page.Items {
		inv, err := db.Invocation(context.Background(), item.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		switch inv.FixtureID {
		case fixtures["greets ada"].ID:
			if string(inv.Event) != `{"name": "Ada"}` || inv.Expectation == nil || !inv.Expectation.Passed {
				t.Errorf("greets ada: event %s, verdict %+v", inv.Event, inv.Expectation)
			}
		case fixtures["expects bob"].ID:
			if inv.Expectation == nil || inv.Expectation.Passed || len(inv.Expectation.Failures) != 2 ||
				inv.Expectation.Failures[0] != "contains at .body.message: expected \"hello Bob\", got \"hello Ada\"" ||
				inv.Expectation.Failures[1] != "contains at .statusCode: expected 200, got 201" {
				t.Errorf("expects bob: verdict %+v", inv.Expectation)
			}
		default:
			t.Errorf("invocation of fixture %d", inv.FixtureID)
		}
	}
	latest, err := db.LatestFixtureResults(context.Background())
	if err != nil || len(latest) != 2 || !latest[fixtures["greets ada"].ID].Result.Passed {
		t.Errorf("latest results = %+v, %v", latest, err)
	}

	checkJUnit(t, filepath.Join(dir, "reports", "junit.xml"))
}

// junitNode is any element of a JUnit report, with its attributes.
type junitNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr  `xml:",any,attr"`
	Text     string      `xml:",chardata"`
	Children []junitNode `xml:",any"`
}

func (n junitNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n junitNode) children(name string) []junitNode {
	var out []junitNode
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// requireAttrs fails unless n has every attribute named.
func requireAttrs(t *testing.T, n junitNode, names ...string) map[string]string {
	t.Helper()
	values := map[string]string{}
	for _, name := range names {
		v, ok := n.attr(name)
		if !ok {
			t.Errorf("<%s> lacks the required attribute %s", n.XMLName.Local, name)
		}
		values[name] = v
	}
	return values
}

// checkJUnit parses the report back and checks the elements and attributes
// JUnit's schema requires, and the counts and contents of this run.
func checkJUnit(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root junitNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("the JUnit report does not parse: %v\n%s", err, data)
	}
	if root.XMLName.Local != "testsuites" {
		t.Fatalf("root element is <%s>, want <testsuites>", root.XMLName.Local)
	}
	top := requireAttrs(t, root, "tests", "failures", "errors", "time")
	if top["tests"] != "3" || top["failures"] != "1" || top["errors"] != "0" {
		t.Errorf("testsuites counts = %v", top)
	}
	suites := root.children("testsuite")
	if len(suites) != 2 {
		t.Fatalf("%d testsuites, want 2 (api and the skipped shared fixture):\n%s", len(suites), data)
	}
	var api junitNode
	for _, s := range suites {
		attrs := requireAttrs(t, s, "name", "tests", "failures", "errors", "skipped", "time")
		if attrs["name"] == "api" {
			api = s
		}
	}
	attrs := requireAttrs(t, api, "name", "tests", "failures", "errors", "skipped", "time")
	if attrs["tests"] != "2" || attrs["failures"] != "1" || attrs["errors"] != "0" || attrs["skipped"] != "0" {
		t.Errorf("api suite = %v", attrs)
	}
	cases := api.children("testcase")
	if len(cases) != 2 {
		t.Fatalf("api has %d testcases", len(cases))
	}
	for _, tc := range cases {
		attrs := requireAttrs(t, tc, "classname", "name", "time")
		if attrs["classname"] != "api" {
			t.Errorf("classname = %q", attrs["classname"])
		}
		out := tc.children("system-out")
		if len(out) != 1 || !strings.Contains(out[0].Text, "REPORT RequestId:") {
			t.Errorf("%s: system-out = %+v", attrs["name"], out)
		}
		failures := tc.children("failure")
		switch attrs["name"] {
		case "greets ada":
			if len(failures) != 0 {
				t.Errorf("greets ada has a failure: %+v", failures)
			}
		case "expects bob":
			if len(failures) != 1 {
				t.Fatalf("expects bob has %d failures", len(failures))
			}
			f := requireAttrs(t, failures[0], "message", "type")
			if f["message"] != `contains at .body.message: expected "hello Bob", got "hello Ada"` ||
				!strings.Contains(failures[0].Text, "contains at .statusCode: expected 200, got 201") ||
				!strings.Contains(failures[0].Text, `"statusCode":201`) {
				t.Errorf("failure = %v, text:\n%s", f, failures[0].Text)
			}
		default:
			t.Errorf("unexpected testcase %q", attrs["name"])
		}
	}
}

func TestTestCommandFilters(t *testing.T) {
	requireRuntimes(t)
	dir := writeTestProject(t, nil)
	db := openProjectDB(t, dir)
	testFixtures(t, db)
	if err := db.SaveEnvironment(context.Background(), &store.Environment{Name: "dev", Variables: map[string]string{"who": "Ada"}}); err != nil {
		t.Fatal(err)
	}

	// One fixture, its variables from the database's environment.
	code, stdout, stderr := run(t, "", "test", "--fixture", "greets ada", "--env", "dev")
	if code != exitOK || !strings.Contains(stdout, "✓ greets ada  api") || !strings.Contains(stdout, "1 passed, 0 failed (") {
		t.Errorf("--fixture: exit %d\n%s%s", code, stdout, stderr)
	}
	// A shared fixture runs against --function.
	code, stdout, stderr = run(t, "", "test", "--function", "api", "--fixture", "any ok")
	if code != exitOK || !strings.Contains(stdout, "✓ any ok  api") {
		t.Errorf("shared fixture with --function: exit %d\n%s%s", code, stdout, stderr)
	}
	// Without an environment, {{who}} is unknown: the fixture cannot run.
	code, stdout, _ = run(t, "", "test", "--fixture", "greets ada")
	if code != exitFunction || !strings.Contains(stdout, "! greets ada  api  could not run: unknown variable {{who}} in the event; known: date, now, timestamp, uuid") ||
		!strings.Contains(stdout, "0 passed, 0 failed, 1 errors") {
		t.Errorf("unknown variable: exit %d\n%s", code, stdout)
	}
}

func TestTestCommandNothingToRun(t *testing.T) {
	requireRuntimes(t)
	writeTestProject(t, nil)
	code, stdout, stderr := run(t, "", "test", "--junit", "junit.xml")
	if code != exitOK || !strings.Contains(stdout, "No fixtures with expectations to run") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	var doc struct {
		XMLName xml.Name `xml:"testsuites"`
		Tests   int      `xml:"tests,attr"`
	}
	data, err := os.ReadFile("junit.xml")
	if err != nil || xml.Unmarshal(data, &doc) != nil || doc.Tests != 0 {
		t.Errorf("empty report: %v\n%s", err, data)
	}
}

func TestTestCommandUsageErrors(t *testing.T) {
	requireRuntimes(t)
	dir := writeTestProject(t, map[string]string{"broken/lambdadeck.env.json": "{"})
	testFixtures(t, openProjectDB(t, dir))
	os.WriteFile(filepath.Join(dir, "broken", "template.yaml"), []byte("Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x, Handler: index.handler, CodeUri: ../api/}\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"argument", []string{"test", "api"}, "test takes no arguments"},
		{"unknown flag", []string{"test", "--nope"}, "flag provided but not defined"},
		{"unknown environment", []string{"test", "--env", "prod"}, `no environment named "prod" in `},
		{"broken environment file", []string{"test", "-t", "broken/template.yaml", "--env", "dev"}, "must be a JSON object of environments"},
		{"unknown function", []string{"test", "--function", "ghost"}, "Function not found: ghost"},
		{"unknown fixture", []string{"test", "--fixture", "ghost"}, `no fixture named "ghost" has an expectation`},
		{"fixture without expectation", []string{"test", "--fixture", "no expectation"}, `no fixture named "no expectation" has an expectation`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, exitUsage, stderr, tc.want)
			}
		})
	}
}
