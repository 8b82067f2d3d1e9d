package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestConfigAndCodeVersionsAreInternedAndFiltered(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	cfg := &lambdadeck.RunConfig{Runtime: "nodejs20.x", Handler: "index.handler", MemoryMB: 256, Timeout: 3 * time.Second,
		Architecture: "x86_64", EnvNames: []string{"A", "B"}, EnvHash: "abc", Interpreter: "node v20.1.0"}
	v1 := &lambdadeck.CodeVersion{Commit: "1111111111111111111111111111111111111111"}
	v2 := &lambdadeck.CodeVersion{Commit: "2222222222222222222222222222222222222222", Dirty: true, ContentHash: "ffffeeeeddddccccbbbbaaaa"}
	for i, code := range []*lambdadeck.CodeVersion{v1, v1, v2, nil} {
		inv := newInvocation("r"+string(rune('a'+i)), "hello", t0.Add(time.Duration(i)*time.Second))
		inv.Config, inv.Code = cfg, code
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	var configs, codes int
	db.read.QueryRow(`SELECT count(*) FROM config_snapshots`).Scan(&configs)
	db.read.QueryRow(`SELECT count(*) FROM code_versions`).Scan(&codes)
	if configs != 1 || codes != 2 {
		t.Errorf("rows: %d config snapshots, %d code versions; want 1 and 2 (interned)", configs, codes)
	}

	got, err := db.Invocation(ctx, "rc")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Config, cfg) || !reflect.DeepEqual(got.Code, v2) {
		t.Errorf("read back config %+v code %+v, want %+v %+v", got.Config, got.Code, cfg, v2)
	}
	head, _, err := db.InvocationHead(ctx, "ra", 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(head.Code, v1) {
		t.Errorf("head's code = %+v, want %+v", head.Code, v1)
	}
	if none, _ := db.Invocation(ctx, "rd"); none.Code != nil {
		t.Errorf("an invocation without a code version reads back %+v", none.Code)
	}

	if v2.Key() != "222222222222+dirty.ffffeeeedddd" {
		t.Errorf("key = %q", v2.Key())
	}
	page, err := db.ListInvocations(ctx, InvocationFilter{Code: v1.Key()})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].RequestID != "rb" || page.Items[1].RequestID != "ra" {
		t.Errorf("code filter %s found %v", v1.Key(), page.Items)
	}
	if n, _ := db.CountInvocations(ctx, InvocationFilter{Code: v2.Key()}); n != 1 {
		t.Errorf("count of %s = %d, want 1", v2.Key(), n)
	}

	prev, err := db.PreviousInvocation(ctx, "rc")
	if err != nil || prev != "rb" {
		t.Errorf("previous of rc = %q, %v; want rb", prev, err)
	}
	_, err = db.PreviousInvocation(ctx, "ra")
	wantCode(t, err, lambdadeck.ENOTFOUND)
}

// BenchmarkBeginFinishInvocationWithVersions is BenchmarkBeginFinishInvocation
// with a configuration snapshot and code version on each invocation, as
// the invoker records them: the difference is the cost of recording what
// code ran (two hashes and map lookups; the rows are interned once).
func BenchmarkBeginFinishInvocationWithVersions(b *testing.B) {
	ctx := context.Background()
	db := openTestDB(b)
	event := []byte(`{"httpMethod":"GET","path":"/hello","queryStringParameters":{"name":"world"}}`)
	cfg := &lambdadeck.RunConfig{Runtime: "nodejs20.x", Handler: "index.handler", MemoryMB: 128, Timeout: 3 * time.Second,
		Architecture: "x86_64", EnvNames: []string{"A", "B", "C"}, EnvHash: strings.Repeat("a", 64), Interpreter: "node v20.20.2"}
	code := &lambdadeck.CodeVersion{Commit: strings.Repeat("b", 40)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		inv := &lambdadeck.Invocation{
			RequestID: fmt.Sprintf("bench-%d", i), Function: "hello", Source: lambdadeck.SourceAPI, Event: event,
			Context: []byte(`{"functionName":"hello"}`), MemorySizeMB: 128, StartedAt: time.Now(), Config: cfg, Code: code,
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
		inv.Payload = []byte(`{"statusCode":200,"body":"hello world"}`)
		inv.ContentType = "application/json"
		inv.Logs = "START RequestId: x Version: $LATEST\nhello\nEND RequestId: x\nREPORT RequestId: x\n"
		inv.Status = lambdadeck.StatusSucceeded
		inv.Duration, inv.BilledDuration = 1200*time.Microsecond, 2*time.Millisecond
		inv.MaxMemoryUsedMB = 60
		inv.EndedAt = time.Now()
		if err := db.FinishInvocation(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}
