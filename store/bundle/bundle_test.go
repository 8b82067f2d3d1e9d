package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 123456000, time.UTC)

// recordRun stores a finished invocation with every part set.
func recordRun(t *testing.T, db *store.DB, id string, payload []byte) *lambdadeck.Invocation {
	t.Helper()
	inv := &lambdadeck.Invocation{
		RequestID: id, Function: "hello", Source: lambdadeck.SourceAPI, UserAgent: "aws-cli/2",
		Event: json.RawMessage(`{"name":"Ada"}`), Context: json.RawMessage(`{"functionName":"hello"}`),
		ClientContext: json.RawMessage(`{"custom":{"k":"v"}}`), Identity: json.RawMessage(`{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}`),
		EnvOverrides: map[string]string{"MODE": "debug", "API_TOKEN": "s3cr3t"},
		Status:       lambdadeck.StatusRunning, MemorySizeMB: 256, StartedAt: t0, FixtureID: 4,
		Config: &lambdadeck.RunConfig{Runtime: "nodejs20.x", Handler: "index.handler", MemoryMB: 256, Timeout: 3 * time.Second, Architecture: "x86_64", EnvNames: []string{"A"}, EnvHash: "h"},
		Code:   &lambdadeck.CodeVersion{Commit: "0123456789abcdef0123456789abcdef01234567"},
	}
	ctx := context.Background()
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	inv.Status, inv.Payload, inv.ContentType = lambdadeck.StatusFailed, payload, "application/json"
	inv.Error = &lambdadeck.FunctionError{Type: "TypeError", Message: "boom", Stack: []string{"at x", "at y"}}
	inv.Logs, inv.Cold, inv.InitDuration, inv.Duration, inv.BilledDuration = "START\nboom\nEND\n", true, 120*time.Millisecond, 5*time.Millisecond, 6*time.Millisecond
	inv.MaxMemoryUsedMB, inv.EndedAt = 41, t0.Add(130*time.Millisecond)
	if err := db.FinishInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	from, into := openDB(t), openDB(t)
	recordRun(t, from, "r-text", []byte(`{"errorMessage":"boom"}`))
	recordRun(t, from, "r-binary", []byte{0xff, 0x00, 0xfe})

	var buf bytes.Buffer
	if err := Write(ctx, &buf, from, Header{Kind: KindComparison, Server: "lambdadeck at a (http://a)"}, []string{"r-text", "r-binary"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "s3cr3t") {
		t.Errorf("the bundle holds a secret-named override's value:\n%s", buf.String())
	}
	bundleBytes := buf.Bytes()

	_, out, err := Import(ctx, into, bytes.NewReader(bundleBytes))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Added) != 2 || len(out.Present) != 0 {
		t.Fatalf("first import: %+v", out)
	}
	_, again, err := Import(ctx, into, bytes.NewReader(bundleBytes))
	if err != nil || len(again.Added) != 0 || len(again.Present) != 2 {
		t.Fatalf("second import of the same bundle: %+v, %v; want nothing added", again, err)
	}
	if n, _ := into.CountInvocations(ctx, store.InvocationFilter{}); n != 2 {
		t.Errorf("%d invocations after two imports, want 2", n)
	}

	orig, _ := from.Invocation(ctx, "r-binary")
	got, err := into.Invocation(ctx, "r-binary")
	if err != nil {
		t.Fatal(err)
	}
	if got.Imported == nil || got.Imported.Server != "lambdadeck at a (http://a)" || got.Imported.ImportedAt.IsZero() {
		t.Errorf("imported mark = %+v", got.Imported)
	}
	if got.FixtureID != 0 || got.EnvOverrides["MODE"] != "debug" || got.EnvOverrides["API_TOKEN"] != "" {
		t.Errorf("fixture id %d, overrides %v: want no fixture link and the secret left out", got.FixtureID, got.EnvOverrides)
	}
	// Everything else arrives as it was.
	got.ID, got.Imported, got.FixtureID, got.EnvOverrides = orig.ID, nil, orig.FixtureID, orig.EnvOverrides
	if !reflect.DeepEqual(got, orig) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, orig)
	}
	// Exporting an imported invocation keeps where it really ran.
	buf.Reset()
	if err := Write(ctx, &buf, into, Header{Kind: KindInvocation, Server: "lambdadeck at b"}, []string{"r-text"}); err != nil {
		t.Fatal(err)
	}
	third := openDB(t)
	if _, _, err := Import(ctx, third, &buf); err != nil {
		t.Fatal(err)
	}
	if inv, _ := third.Invocation(ctx, "r-text"); inv.Imported == nil || inv.Imported.Server != "lambdadeck at a (http://a)" {
		t.Errorf("re-exported import says it came from %+v", inv.Imported)
	}
}

func TestBadBundlesImportNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	good := `{"requestId":"ok-1","function":"hello","status":"succeeded","event":{},"startedAt":"2026-12-02T12:00:00Z","logs":""}`
	wrap := func(invs ...string) string {
		return `{"format":"lambdadeck-invocations/1","kind":"history","server":"s","exportedAt":"2026-12-02T12:00:00Z","invocations":[` + strings.Join(invs, ",") + `]}`
	}
	for _, c := range []struct{ name, bundle, want string }{
		{"empty", "", "the bundle is empty"},
		{"not json", "{nope", "not a JSON object"},
		{"no format", `{"invocations":[]}`, `no "format" field`},
		{"other format", `{"format":"lambdadeck-invocations/9"}`, `bundle format "lambdadeck-invocations/9" is not one this lambdadeck reads`},
		{"no server", strings.Replace(wrap(good), `"server":"s"`, `"server":""`, 1), "does not say which server"},
		{"bad kind", strings.Replace(wrap(good), `"kind":"history"`, `"kind":"x"`, 1), `unknown bundle kind "x"`},
		{"no invocations", wrap(), "holds no invocations"},
		{"wrong type", strings.Replace(wrap(good), `"logs":""`, `"logs":5`, 1), "does not match format"},
		{"no request id", wrap(good, strings.Replace(good, `"ok-1"`, `""`, 1)), `invocation 2 of the bundle (request id ""): "requestId" is empty`},
		{"running", wrap(good, strings.NewReplacer(`"ok-1"`, `"r2"`, `"succeeded"`, `"running"`).Replace(good)), `invocation 2 of the bundle (request id "r2"): "status" is running`},
		{"unknown status", wrap(strings.Replace(good, `"succeeded"`, `"great"`, 1)), `"status" "great" is not a status`},
		{"no event", wrap(strings.Replace(good, `"event":{},`, ``, 1)), `"event" is missing`},
		{"no start", wrap(strings.Replace(good, `"startedAt":"2026-12-02T12:00:00Z",`, ``, 1)), `"startedAt" is missing`},
		{"bad base64", wrap(strings.Replace(good, `"logs":""`, `"logs":"","response":"!!","responseEncoding":"base64"`, 1)), `"response" is not valid base64`},
		{"bad encoding", wrap(strings.Replace(good, `"logs":""`, `"logs":"","response":"x","responseEncoding":"hex"`, 1)), `"responseEncoding" "hex" is not text or base64`},
		{"duplicate", wrap(good, good), `request id "ok-1" appears twice`},
		{"negative", wrap(strings.Replace(good, `"logs":""`, `"logs":"","durationUs":-1`, 1)), "must not be negative"},
	} {
		_, _, err := Import(ctx, db, strings.NewReader(c.bundle))
		if err == nil || !strings.Contains(lambdadeck.ErrorMessage(err), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
		if code := lambdadeck.ErrorCode(err); code != lambdadeck.EINVALID {
			t.Errorf("%s: code %s, want EINVALID", c.name, code)
		}
	}
	if n, _ := db.CountInvocations(ctx, store.InvocationFilter{}); n != 0 {
		t.Errorf("bad bundles imported %d invocations", n)
	}
	if _, out, err := Import(ctx, db, strings.NewReader(wrap(good))); err != nil || len(out.Added) != 1 {
		t.Errorf("the good bundle: %+v, %v", out, err)
	}
}
