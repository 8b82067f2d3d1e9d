package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// TestInvocationsExportImport exports the history of one database with the
// CLI and imports it into another: the second shows them as imported, a
// second import adds nothing, and a bad bundle is refused with its reason.
func TestInvocationsExportImport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fromPath, intoPath := filepath.Join(dir, "from.db"), filepath.Join(dir, "into.db")
	from := openDB(t, fromPath)
	for i, fn := range []string{"hello", "other", "hello"} {
		inv := &lambdadeck.Invocation{RequestID: "req-" + string(rune('a'+i)), Function: fn, Event: json.RawMessage(`{"i":1}`),
			Status: lambdadeck.StatusRunning, StartedAt: time.Now().Add(time.Duration(i) * time.Second)}
		if err := from.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status, inv.Payload, inv.EndedAt = lambdadeck.StatusSucceeded, []byte(`"ok"`), inv.StartedAt.Add(time.Millisecond)
		if err := from.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	from.Close()

	code, bundle, stderr := run(t, "", "invocations", "export", "--function", "hello", "--db", fromPath)
	if code != exitOK || !strings.Contains(stderr, "exported 2 invocations") {
		t.Fatalf("export: %d %s", code, stderr)
	}
	var head struct {
		Format, Kind, Server string
		Filter               map[string]string
		Invocations          []struct{ RequestID string }
	}
	if err := json.Unmarshal([]byte(bundle), &head); err != nil || head.Format != "lambdadeck-invocations/1" || head.Kind != "history" ||
		head.Filter["function"] != "hello" || len(head.Invocations) != 2 || !strings.Contains(head.Server, fromPath) {
		t.Fatalf("bundle %+v (%v)", head, err)
	}
	bundleFile := filepath.Join(dir, "bundle.json")
	writeFile(t, bundleFile, bundle)

	code, out, stderr := run(t, "", "invocations", "import", bundleFile, "--db", intoPath)
	if code != exitOK || !strings.Contains(out, "imported 2 invocations from lambdadeck at") || !strings.Contains(out, "0 were already here") {
		t.Fatalf("import: %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, bundle, "invocations", "import", "-", "--db", intoPath)
	if code != exitOK || !strings.Contains(out, "imported 0 invocations") || !strings.Contains(out, "2 were already here") {
		t.Errorf("second import from stdin: %d %s", code, out)
	}
	code, _, stderr = run(t, `{"format":"other"}`, "invocations", "import", "-", "--db", intoPath)
	if code != exitUsage || !strings.Contains(stderr, `bundle format "other" is not one this lambdadeck reads`) {
		t.Errorf("bad bundle: exit %d, %s", code, stderr)
	}
	code, out, stderr = run(t, "", "invocations", "export", "--request-id", "req-a", "--request-id", "nope", "--db", intoPath)
	if code == exitOK || !strings.Contains(stderr, `no invocation with request id "nope"`) || out != "" {
		t.Errorf("unknown request id: exit %d, stdout %q, %s", code, out, stderr)
	}

	into := openDB(t, intoPath)
	defer into.Close()
	page, err := into.ListInvocations(ctx, store.InvocationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Imported == nil || page.Items[1].Imported == nil {
		t.Errorf("the second history: %+v", page.Items)
	}
}
