package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// openDB opens the database at path for a test's own reads and writes.
func openDB(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// git runs git in dir and returns its output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedFixtures saves fixtures of every shape in the database at path.
func seedFixtures(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, path)
	defer db.Close()
	fixtures := []*lambdadeck.Fixture{
		{
			Function: "greeter", Name: "greet ada", Description: "the usual", Tags: []string{"smoke", "greet"},
			Event:         json.RawMessage(`{"name":"Ada","nested":{"list":[1,2,{"x":null}]}}`),
			ClientContext: json.RawMessage(`{"custom":{"app":"web"}}`),
			Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
			Env:           map[string]string{"EXTRA": "yes"},
			Expectation:   &lambdadeck.Expectation{Contains: json.RawMessage(`{"greeting":"hello Ada"}`), Assertions: []string{`greeting contains "Ada"`}},
		},
		{Function: "greeter", Name: "a/b: odd name", Event: json.RawMessage(`[1, "two"]`)},
		{Function: "greeter", Name: "Case", Event: json.RawMessage(`{"c":1}`)},
		{Function: "greeter", Name: "case", Event: json.RawMessage(`{"c":2}`)},
		{Function: "Failer", Name: "plain", Event: json.RawMessage(`{"what": "thing"}`)},
		{Name: "common", Event: json.RawMessage(`"just a string"`), Tags: []string{"shared"}},
	}
	for _, f := range fixtures {
		f.Author = "ada"
		if err := db.CreateFixture(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// A few revisions: the files carry only the current content.
	plain := fixtures[4]
	for i, event := range []string{`{"what":"v2"}`, `{"what": "v3"}`} {
		plain.Event = json.RawMessage(event)
		if err := db.UpdateFixture(ctx, plain, i+1); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixturesGitRoundTrip exports fixtures into a git repository, imports
// them into a fresh database, exports again (the tree stays clean), imports
// again (nothing changes) and imports an edited file (a new revision).
func TestFixturesGitRoundTrip(t *testing.T) {
	dir := writeProject(t)
	seedFixtures(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	repo := filepath.Join(dir, "repo")
	events := filepath.Join(repo, "events")
	git(t, dir, "init", "-q", repo)

	code, _, stderr := run(t, "", "fixtures", "export", "--dir", events)
	if code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	// The event file is exactly the event, pretty-printed, so that
	// sam local invoke -e still works on it.
	wantFiles := map[string]string{
		"greeter/greet_ada.json":     "{\n  \"name\": \"Ada\",\n  \"nested\": {\n    \"list\": [\n      1,\n      2,\n      {\n        \"x\": null\n      }\n    ]\n  }\n}\n",
		"Failer/plain.json":          "{\n  \"what\": \"v3\"\n}\n",
		"_shared/common.json":        "\"just a string\"\n",
		"greeter/a_b__odd_name.json": "[\n  1,\n  \"two\"\n]\n",
		"greeter/Case.json":          "{\n  \"c\": 1\n}\n",
		"greeter/case.json":          "{\n  \"c\": 2\n}\n",
	}
	for name, want := range wantFiles {
		if name == "greeter/Case.json" || name == "greeter/case.json" {
			continue // checked below: they clash on case-insensitive file systems
		}
		if got := readFile(t, filepath.Join(events, name)); got != want {
			t.Errorf("%s =\n%s\nwant\n%s", name, got, want)
		}
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(events, "greeter", "greet_ada.meta.json"))), &meta); err != nil {
		t.Fatal(err)
	}
	wantMeta := map[string]any{
		"name": "greet ada", "description": "the usual", "tags": []any{"smoke", "greet"},
		"clientContext": map[string]any{"custom": map[string]any{"app": "web"}},
		"identity":      map[string]any{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
		"env":           map[string]any{"EXTRA": "yes"},
		"expectation":   map[string]any{"contains": map[string]any{"greeting": "hello Ada"}, "assertions": []any{`greeting contains "Ada"`}},
	}
	if !reflect.DeepEqual(meta, wantMeta) {
		t.Errorf("sidecar = %v\nwant %v", meta, wantMeta)
	}
	if _, err := os.Stat(filepath.Join(events, "Failer", "plain.meta.json")); !os.IsNotExist(err) {
		t.Errorf("a fixture with nothing but an event got a sidecar (%v)", err)
	}
	// "Case" and "case" would be one file on macOS: both get a hash suffix.
	caseFiles, _ := filepath.Glob(filepath.Join(events, "greeter", "[Cc]ase-*.json"))
	if len(caseFiles) != 4 { // two event files, two sidecars naming them
		t.Errorf("case-clashing fixtures wrote %v", caseFiles)
	}

	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "fixtures")

	fresh := filepath.Join(dir, "fresh.db")
	code, stdout, stderr := run(t, "", "fixtures", "import", "--dir", events, "--db", fresh, "--author", "grace")
	if code != exitOK || !strings.Contains(stdout, "6 created, 0 updated, 0 unchanged, 0 failed") {
		t.Fatalf("import: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "", "fixtures", "export", "--dir", events, "--db", fresh)
	if code != exitOK {
		t.Fatalf("re-export: %d %s", code, stderr)
	}
	if status := git(t, repo, "status", "--porcelain"); status != "" {
		t.Errorf("re-export from the fresh database changed the tree:\n%s\n%s", status, git(t, repo, "diff"))
	}

	// The imported fixtures are the originals, field by field.
	orig, copy := openDB(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db")), openDB(t, fresh)
	a, err := loadFixtures(context.Background(), orig, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadFixtures(context.Background(), copy, "")
	if err != nil {
		t.Fatal(err)
	}
	orig.Close()
	if len(a) != len(b) {
		t.Fatalf("%d fixtures imported, want %d", len(b), len(a))
	}
	for i := range a {
		x, y := *a[i], *b[i]
		if y.Author != "grace" || y.Revision != 1 {
			t.Errorf("%s: imported by %q at revision %d", y.Name, y.Author, y.Revision)
		}
		x.ID, x.Author, x.Revision, x.CreatedAt, x.UpdatedAt = 0, "", 0, y.CreatedAt, y.UpdatedAt
		y.ID, y.Author, y.Revision = 0, "", 0
		x.Event, y.Event = compactJSON(x.Event), compactJSON(y.Event)
		if !reflect.DeepEqual(x, y) {
			t.Errorf("imported\n%+v\nwant\n%+v", y, x)
		}
	}
	copy.Close()

	// A second import changes nothing.
	code, stdout, _ = run(t, "", "fixtures", "import", "--dir", events, "--db", fresh)
	if code != exitOK || !strings.Contains(stdout, "0 created, 0 updated, 6 unchanged, 0 failed") {
		t.Errorf("second import: exit %d, %q", code, stdout)
	}

	// An edited file becomes a new revision, by the importing author.
	writeFile(t, filepath.Join(events, "Failer", "plain.json"), "{\"what\": \"edited\"}\n")
	code, stdout, _ = run(t, "", "fixtures", "import", "--dir", events, "--db", fresh, "--author", "linus")
	if code != exitOK || !strings.Contains(stdout, "0 created, 1 updated, 5 unchanged, 0 failed") {
		t.Errorf("import of an edit: exit %d, %q", code, stdout)
	}
	db := openDB(t, fresh)
	defer db.Close()
	f, err := db.FixtureByName(context.Background(), "Failer", "plain")
	if err != nil {
		t.Fatal(err)
	}
	revs, _ := db.FixtureRevisions(context.Background(), f.ID)
	if f.Revision != 2 || f.Author != "linus" || string(compactJSON(f.Event)) != `{"what":"edited"}` || len(revs) != 2 {
		t.Errorf("after the edit: revision %d by %s, event %s, %d revisions", f.Revision, f.Author, f.Event, len(revs))
	}

	code, stdout, _ = run(t, "", "fixtures", "list", "--db", fresh, "--function", "Failer")
	if code != exitOK || !strings.Contains(stdout, "plain") || !strings.Contains(stdout, "(shared)") || strings.Contains(stdout, "greet ada") {
		t.Errorf("list: exit %d:\n%s", code, stdout)
	}
}

// TestFixturesImportBadFiles checks that every bad file is reported with
// its reason while the good ones import.
func TestFixturesImportBadFiles(t *testing.T) {
	dir := writeProject(t)
	events := filepath.Join(dir, "events")
	writeFile(t, filepath.Join(events, "greeter", "ok.json"), `{"name":"Ada"}`)
	writeFile(t, filepath.Join(events, "greeter", "broken.json"), "{\n  \"name\": \"Ada\",\n  oops\n}")
	writeFile(t, filepath.Join(events, "nosuch", "x.json"), `{}`)
	writeFile(t, filepath.Join(events, "greeter", "first.json"), `{"n":1}`)
	writeFile(t, filepath.Join(events, "greeter", "second.json"), `{"n":2}`)
	writeFile(t, filepath.Join(events, "greeter", "second.meta.json"), `{"name":"first"}`)
	writeFile(t, filepath.Join(events, "greeter", "typo.json"), `{}`)
	writeFile(t, filepath.Join(events, "greeter", "typo.meta.json"), `{"descripton":"x"}`)
	writeFile(t, filepath.Join(events, "greeter", "orphan.meta.json"), `{}`)
	writeFile(t, filepath.Join(events, "greeter", "badcheck.json"), `{}`)
	writeFile(t, filepath.Join(events, "greeter", "badcheck.meta.json"), `{"expectation":{"assertions":["statusCode ==="]}}`)
	writeFile(t, filepath.Join(events, "top.json"), `{"shared":true}`)
	writeFile(t, filepath.Join(events, "README.md"), "not an event")

	code, stdout, stderr := run(t, "", "fixtures", "import", "--dir", events, "--author", "ada")
	if code != exitFunction {
		t.Errorf("exit %d, want %d", code, exitFunction)
	}
	wantErrors := []string{
		filepath.Join(events, "greeter", "broken.json") + ": not JSON: line 3, column 3: invalid character 'o' looking for beginning of object key string",
		filepath.Join(events, "nosuch", "x.json") + ": unknown function nosuch",
		filepath.Join(events, "greeter", "second.json") + ": name clash: " + filepath.Join(events, "greeter", "first.json") + ` already imported fixture "first"`,
		filepath.Join(events, "greeter", "typo.meta.json") + `: not a fixture sidecar: json: unknown field "descripton"`,
		filepath.Join(events, "greeter", "orphan.meta.json") + ": a sidecar without its event file orphan.json",
		filepath.Join(events, "greeter", "badcheck.meta.json") + ": assertion 1 (statusCode ===): ",
	}
	for _, want := range wantErrors {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "3 created, 0 updated, 0 unchanged, 6 failed") {
		t.Errorf("summary %q", stdout)
	}
	db := openDB(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	defer db.Close()
	list, err := db.ListFixtures(context.Background(), store.FixtureFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range list {
		got = append(got, f.Function+"/"+f.Name)
	}
	if strings.Join(got, ",") != "/top,greeter/first,greeter/ok" {
		t.Errorf("imported %v, want the shared top, greeter's first and ok", got)
	}
	first, _ := db.FixtureByName(context.Background(), "greeter", "first")
	if string(first.Event) != `{"n":1}` {
		t.Errorf("the clash overwrote first: %s", first.Event)
	}
}

// TestFixturesImportPlainSAMFolder imports a SAM events folder (no
// function subfolders) for one function.
func TestFixturesImportPlainSAMFolder(t *testing.T) {
	dir := writeProject(t)
	events := filepath.Join(dir, "sam-events")
	writeFile(t, filepath.Join(events, "event.json"), `{"name":"Ada"}`)
	writeFile(t, filepath.Join(events, "other event.json"), `{"name":"Grace"}`)

	code, stdout, stderr := run(t, "", "fixtures", "import", "--dir", events, "--function", "greeter")
	if code != exitOK || !strings.Contains(stdout, "2 created") {
		t.Fatalf("import: exit %d, %q, %s", code, stdout, stderr)
	}
	if code, _, stderr := run(t, "", "fixtures", "import", "--dir", events, "--function", "nope"); code != exitUsage || !strings.Contains(stderr, "unknown function nope") {
		t.Errorf("unknown --function: exit %d, %s", code, stderr)
	}
	db := openDB(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	defer db.Close()
	f, err := db.FixtureByName(context.Background(), "greeter", "other event")
	if err != nil || string(f.Event) != `{"name":"Grace"}` || f.Author != os.Getenv("USER") && os.Getenv("USER") != "" {
		t.Errorf("imported %+v, %v", f, err)
	}
}

// TestFixturesConsoleFormat round-trips the Lambda console's shareable
// test events document.
func TestFixturesConsoleFormat(t *testing.T) {
	dir := writeProject(t)
	seedFixtures(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))

	code, doc, stderr := run(t, "", "fixtures", "export", "--format", "console", "--function", "greeter")
	if code != exitOK {
		t.Fatalf("export: %d %s", code, stderr)
	}
	var parsed struct {
		OpenAPI    string         `json:"openapi"`
		Info       map[string]any `json:"info"`
		Paths      map[string]any `json:"paths"`
		Components struct {
			Schemas  map[string]map[string]any             `json:"schemas"`
			Examples map[string]map[string]json.RawMessage `json:"examples"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, doc)
	}
	if parsed.OpenAPI != "3.0.0" || parsed.Info["title"] != "Event" || parsed.Paths == nil || parsed.Components.Schemas["Event"]["type"] == nil {
		t.Errorf("document head: %s", doc)
	}
	if len(parsed.Components.Examples) != 4 {
		t.Errorf("%d examples, want greeter's 4 (not the shared one)", len(parsed.Components.Examples))
	}
	if got := string(compactJSON(parsed.Components.Examples["greet ada"]["value"])); got != `{"name":"Ada","nested":{"list":[1,2,{"x":null}]}}` {
		t.Errorf("example value %s", got)
	}

	file := filepath.Join(dir, "greeter-events.json")
	writeFile(t, file, doc)
	fresh := filepath.Join(dir, "fresh.db")
	code, stdout, stderr := run(t, "", "fixtures", "import", "--format", "console", "--function", "Failer", "--db", fresh, file)
	if code != exitOK || !strings.Contains(stdout, "4 created") {
		t.Fatalf("import: exit %d, %q, %s", code, stdout, stderr)
	}
	code, again, _ := run(t, "", "fixtures", "export", "--format", "console", "--function", "Failer", "--db", fresh)
	if code != exitOK || again != doc {
		t.Errorf("re-export differs:\n%s\nwant\n%s", again, doc)
	}
	code, stdout, _ = run(t, "", "fixtures", "import", "--format", "console", "--function", "Failer", "--db", fresh, file)
	if code != exitOK || !strings.Contains(stdout, "0 created, 0 updated, 4 unchanged") {
		t.Errorf("second import: %d %q", code, stdout)
	}

	writeFile(t, filepath.Join(dir, "not-openapi.json"), `{"hello":"world"}`)
	code, _, stderr = run(t, "", "fixtures", "import", "--format", "console", "not-openapi.json")
	if code != exitFunction || !strings.Contains(stderr, "not-openapi.json: not the Lambda console's test events document") {
		t.Errorf("bad document: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "fixtures", "export", "--format", "console"); code != exitUsage || !strings.Contains(stderr, "give --function") {
		t.Errorf("console export without --function: %d %s", code, stderr)
	}
}

func TestFileStems(t *testing.T) {
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"create-order_v1.2"}, []string{"create-order_v1.2"}},
		{[]string{"a b/c:d"}, []string{"a_b_c_d"}},
		{[]string{".hidden"}, []string{"_hidden"}},
		{[]string{"x.meta"}, []string{"x_meta"}},
		{[]string{"con"}, []string{"con_"}},
		{[]string{"Bestellung für Café"}, []string{"Bestellung_für_Café"}},
		{[]string{"a_b", "a b"}, []string{"a_b", "a_b-" + nameHash("a b")}},
		{[]string{"Case", "case"}, []string{"Case-" + nameHash("Case"), "case-" + nameHash("case")}},
		{[]string{strings.Repeat("é", 100)}, []string{strings.Repeat("é", 55) + "-" + nameHash(strings.Repeat("é", 100))}},
	}
	for _, tt := range tests {
		if got := fileStems(tt.names); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("fileStems(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

// TestFixturesImportRefusesLinksAndBadOverrides: a symbolic link in the
// folder (a file, a sidecar, a function folder) is refused and named, never
// followed out of the folder; a sidecar whose overrides no run would accept
// is refused with the invoker's message. The good files still import.
func TestFixturesImportRefusesLinksAndBadOverrides(t *testing.T) {
	dir := writeProject(t)
	events := filepath.Join(dir, "events")
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.json"), `{"secret":"from outside"}`)
	writeFile(t, filepath.Join(outside, "greeter", "x.json"), `{"secret":"folder outside"}`)
	writeFile(t, filepath.Join(outside, "meta.json"), `{"description":"linked"}`)
	writeFile(t, filepath.Join(events, "greeter", "ok.json"), `{"name":"Ada"}`)
	writeFile(t, filepath.Join(events, "greeter", "withmeta.json"), `{"name":"Meta"}`)
	writeFile(t, filepath.Join(events, "greeter", "badenv.json"), `{"name":"Env"}`)
	writeFile(t, filepath.Join(events, "greeter", "badenv.meta.json"), `{"env":{"NODE_OPTIONS":"--require /tmp/x.js"}}`)
	writeFile(t, filepath.Join(events, "greeter", "goodenv.json"), `{"name":"Env"}`)
	writeFile(t, filepath.Join(events, "greeter", "goodenv.meta.json"), `{"env":{"STAGE":"prod","AWS_LAMBDA_LOG_LEVEL":"DEBUG"}}`)
	writeFile(t, filepath.Join(events, "_shared", "sharedenv.json"), `{}`)
	writeFile(t, filepath.Join(events, "_shared", "sharedenv.meta.json"), `{"env":{"UNKNOWN_VAR":"x"}}`)
	for link, target := range map[string]string{
		filepath.Join(events, "greeter", "linked.json"):        filepath.Join(outside, "secret.json"),
		filepath.Join(events, "greeter", "withmeta.meta.json"): filepath.Join(outside, "meta.json"),
		filepath.Join(events, "Failer"):                        filepath.Join(outside, "greeter"),
		filepath.Join(events, "top.json"):                      filepath.Join(outside, "secret.json"),
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, "", "fixtures", "import", "--dir", events, "--author", "ada")
	if code != exitFunction || !strings.Contains(stdout, "2 created, 0 updated, 0 unchanged, 6 failed") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		filepath.Join(events, "greeter", "linked.json") + ": a symbolic link: fixtures import reads only regular files inside its folder",
		filepath.Join(events, "greeter", "withmeta.meta.json") + ": a symbolic link",
		filepath.Join(events, "Failer") + ": a symbolic link",
		filepath.Join(events, "top.json") + ": a symbolic link",
		filepath.Join(events, "greeter", "badenv.meta.json") + ": NODE_OPTIONS changes what code runs and can only be set in the template",
		filepath.Join(events, "_shared", "sharedenv.meta.json") + ": a shared fixture runs with any function: UNKNOWN_VAR cannot be overridden for function",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	db := openDB(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	defer db.Close()
	list, err := db.ListFixtures(context.Background(), store.FixtureFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range list {
		if strings.Contains(string(f.Event), "outside") || f.Name == "badenv" || f.Name == "sharedenv" {
			t.Errorf("imported %s: %s %v", f.Name, f.Event, f.Env)
		}
	}
}
