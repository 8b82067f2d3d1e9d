package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// likeSearchSQL is the substring scan that InvocationFilter.Query was before
// the trigram index, and still is for queries under three characters: the
// reference the index must agree with.
const likeSearchSQL = `SELECT request_id FROM invocations
	WHERE request_id LIKE ? ESCAPE '\' OR error_message LIKE ? ESCAPE '\' OR event LIKE ? ESCAPE '\'
	ORDER BY started_at DESC, id DESC`

// likeSearch returns the request ids the LIKE scan matches for q, newest
// first.
func likeSearch(t *testing.T, db *DB, q string) []string {
	t.Helper()
	pattern := "%" + escapeLike(q) + "%"
	rows, err := db.read.Query(likeSearchSQL, pattern, pattern, pattern)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// search returns the request ids ListInvocations finds for f across every
// page, newest first, and checks that CountInvocations agrees.
func search(t *testing.T, db *DB, f InvocationFilter) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		page, err := db.ListInvocations(ctx, f)
		if err != nil {
			t.Fatalf("ListInvocations(%+v): %v", f, err)
		}
		for _, inv := range page.Items {
			ids = append(ids, inv.RequestID)
		}
		if page.Next == "" {
			break
		}
		f.Before = page.Next
	}
	f.Before = ""
	n, err := db.CountInvocations(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ids) {
		t.Errorf("CountInvocations(%+v) = %d, ListInvocations found %d", f, n, len(ids))
	}
	return ids
}

// searchCorpus is the text of the invocations of TestSearchAgreesWithLikeScan:
// request id, error message (empty for none) and event.
var searchCorpus = []struct{ requestID, errorMessage, event string }{
	{"req-plain", "", `{"greeting":"Hello, World"}`},
	{"req-upper", "", `{"GREETING":"HELLO WORLD"}`},
	{"req-percent", "", `{"discount":"100%","code":"a_b"}`},
	{"req-wildcards", "", `{"discount":"1000","code":"axb"}`},
	{"req-quotes", `unexpected token '"' at 3`, `{"say":"he said \"hi\" and 'bye'"}`},
	{"req-backslash", "", `{"path":"C:\\temp\\new"}`},
	{"req-syntax", "", `{"query":"cats AND dogs OR NEAR(x y) col:val ^start *"}`},
	{"req-accents", "", `{"dessert":"éclair","DESSERT":"ÉCLAIR","city":"Zürich"}`},
	{"req-kelvin", "", "{\"unit\":\"273 \u212a (kelvin sign)\",\"long\":\"\u017ftraße\"}"},
	{"req-cjk", "", `{"text":"日本語のテキスト","emoji":"ok 😀 fine"}`},
	{"ERROR-IN-ID-7f3a", "", `{}`},
	{"req-error", "TypeError: Cannot read properties of undefined (reading 'id')", `{"n":1}`},
	{"req-error-upper", "UPSTREAM TIMEOUT after 3000ms", `{"n":2}`},
	{"req-null-event", "connection reset by peer", ""},
	{"req-newlines", "", "{\"log\":\"line one\\nline two\",\"tab\":\"a\tb\"}"},
	{"req-numbers", "", `{"order":"order-9999","amount":12.50}`},
}

// TestSearchAgreesWithLikeScan checks that a query of three characters or
// more, answered by the trigram index, finds exactly what the LIKE scan
// finds: ASCII case folded, non-ASCII case not, wildcards and FTS5 query
// syntax taken literally, in the request id, the error message or the event.
func TestSearchAgreesWithLikeScan(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	for i, c := range searchCorpus {
		inv := newInvocation(c.requestID, "f", t0.Add(time.Duration(i)*time.Second))
		inv.Event = []byte(c.event)
		if c.event == "" {
			inv.Event = nil
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if c.errorMessage != "" {
			inv.Status = lambdadeck.StatusFailed
			inv.Error = &lambdadeck.FunctionError{Type: "Error", Message: c.errorMessage}
		}
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{
		"hello", "HELLO", "hElLo, wOrLd", "world\"}", "greeting",
		"100%", "0%\"", "a_b", "%\",", "_b\"",
		`"hi"`, `\"hi\"`, `'"'`, `'bye'`, `""`, `"""`,
		`C:\\temp`, `\\new`, `\\`,
		"AND", "cats AND dogs", "NEAR(x", "col:val", "^start", " *\"", "OR NEAR",
		"éclair", "ÉCLAIR", "Éclair", "zürich", "ZÜRICH", "Zürich",
		"kelvin", "273 k", "273 K", "273 \u212a", "straße", "STRASSE", "\u017ftr", "str",
		"日本語", "のテキ", "😀 f", "ok 😀",
		"error-in", "7F3A", "typeerror", "(reading 'id')", "upstream timeout", "timeout after",
		"reset by", "line one\\nline", "a\tb", "order-99", "12.50", "req-", "nothing matches this",
		// Under three characters: the scan itself.
		"%", "_", "ok", "日本", "é",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			want := likeSearch(t, db, q)
			got := search(t, db, InvocationFilter{Query: q, Limit: 3})
			if !slices.Equal(got, want) {
				t.Errorf("Query %q found %v, the LIKE scan %v", q, got, want)
			}
		})
	}
	// Cases where folding non-ASCII case (as the FTS5 trigram tokenizer
	// does by default) would have disagreed with LIKE: the corpus must
	// really hold them, or agreement proves little.
	for q, want := range map[string][]string{
		"ÉCLAIR":      {"req-accents"},
		"Zürich":      {"req-accents"},
		"ZÜRICH":      nil,
		"Kelvin":      {"req-kelvin"},
		"273 k":       nil, // the Kelvin sign folds to k in Unicode, not in LIKE
		"\u017ftraße": {"req-kelvin"},
		"stra":        nil, // nor does the long s fold to s
		`\"hi\"`:      {"req-quotes"},
	} {
		if got := likeSearch(t, db, q); !slices.Equal(got, want) {
			t.Errorf("corpus: LIKE finds %v for %q, want %v", got, q, want)
		}
	}
}

// TestSearchCombinesWithFilters checks the indexed search under the other
// filters and the cursor, against the LIKE scan narrowed the same way.
func TestSearchCombinesWithFilters(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	for i := range 90 {
		inv := newInvocation(fmt.Sprintf("r%02d", i), fmt.Sprint("fn", i%3), t0.Add(time.Duration(i/2)*time.Second))
		inv.Event = []byte(fmt.Sprintf(`{"customer":"Customer-%d","tier":"%s"}`, i%7, []string{"gold", "SILVER"}[i%2]))
		if err := db.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if i%4 == 0 {
			inv.Status = lambdadeck.StatusFailed
			inv.Error = &lambdadeck.FunctionError{Type: "Error", Message: "customer not found"}
		}
		if err := db.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	tests := []InvocationFilter{
		{Query: "customer-3", Limit: 2},
		{Query: "silver", Function: "fn1", Limit: 4},
		{Query: "Not Found", Status: "failed", Limit: 5},
		{Query: "gold", Function: "fn2", Status: "succeeded", Limit: 3},
		{Query: "customer", Source: "browser", Limit: 7},
		{Query: "customer", Source: "api"},
	}
	for _, f := range tests {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []string
			for _, id := range likeSearch(t, db, f.Query) {
				inv, err := db.Invocation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if (f.Function == "" || inv.Function == f.Function) &&
					(f.Status == "" || string(inv.Status) == f.Status) &&
					(f.Source == "" || string(inv.Source) == f.Source) {
					want = append(want, id)
				}
			}
			if got := search(t, db, f); !slices.Equal(got, want) {
				t.Errorf("found %v, want %v", got, want)
			}
		})
	}
}

// TestSearchFollowsWrites checks that a row is found by its event as soon as
// it is begun, and by what each later write says (and no longer by what it
// said before).
func TestSearchFollowsWrites(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	other := newInvocation("other", "f", t0)
	other.Event = []byte(`{"unrelated":true}`)
	if err := db.BeginInvocation(ctx, other); err != nil {
		t.Fatal(err)
	}

	inv := newInvocation("async-1", "f", t0.Add(time.Second))
	inv.Status = lambdadeck.StatusQueued
	inv.Event = []byte(`{"job":"Resize-Thumbnail"}`)
	steps := []struct {
		name  string
		write func() error
		found []string // queries that must find the row
		gone  []string // queries that must not
	}{
		{"begun queued", func() error { return db.BeginInvocation(ctx, inv) },
			[]string{"resize-thumbnail", "async-1"}, []string{"out of memory"}},
		{"running", func() error {
			inv.Status = lambdadeck.StatusRunning
			return db.FinishInvocation(ctx, inv)
		}, []string{"resize-thumbnail"}, []string{"out of memory"}},
		{"failed", func() error {
			inv.Status = lambdadeck.StatusFailed
			inv.Error = &lambdadeck.FunctionError{Type: "Runtime.OutOfMemory", Message: "Out Of Memory: 128 MB"}
			return db.FinishInvocation(ctx, inv)
		}, []string{"resize-thumbnail", "out of memory", "128 mb"}, nil},
		{"retried and succeeded", func() error {
			inv.Status = lambdadeck.StatusSucceeded
			inv.Error = nil
			inv.Event = []byte(`{"job":"Crop-Image"}`)
			return db.FinishInvocation(ctx, inv)
		}, []string{"crop-image"}, []string{"resize-thumbnail", "out of memory"}},
	}
	for _, step := range steps {
		if err := step.write(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		for _, q := range step.found {
			if got := search(t, db, InvocationFilter{Query: q}); !slices.Equal(got, []string{"async-1"}) {
				t.Errorf("%s: Query %q found %v, want [async-1]", step.name, q, got)
			}
		}
		for _, q := range step.gone {
			if got := search(t, db, InvocationFilter{Query: q}); len(got) != 0 {
				t.Errorf("%s: Query %q found %v, want nothing", step.name, q, got)
			}
		}
	}
	if got := search(t, db, InvocationFilter{Query: "unrelated"}); !slices.Equal(got, []string{"other"}) {
		t.Errorf("the other row: found %v, want [other]", got)
	}
	// No store method deletes invocations yet; a row deleted by SQL leaves
	// the index too.
	if _, err := db.write.Exec(`DELETE FROM invocations WHERE request_id = 'other'`); err != nil {
		t.Fatal(err)
	}
	var indexed int
	if err := db.read.QueryRow(`SELECT count(*) FROM invocation_search`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != 1 {
		t.Errorf("%d rows indexed after a delete, want 1", indexed)
	}
}

// TestSearchIndexesFirst64KiCharactersOfEvent checks the documented limit:
// text within the first 65,536 characters of an event is found, text past
// them is not (while the error message and request id are whole).
func TestSearchIndexesFirst64KiCharactersOfEvent(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	// Two-byte characters: the limit counts characters, not bytes.
	head := strings.Repeat("é", 65_536-len(`{"a":"`)-len("near-the-end"))
	event := `{"a":"` + head + "near-the-end" + strings.Repeat("x", 1000) + `past-the-limit"}`
	inv := newInvocation("big-event", "f", t0)
	inv.Event = []byte(event)
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, InvocationFilter{Query: "near-the-end"}); !slices.Equal(got, []string{"big-event"}) {
		t.Errorf("text ending at character 65,536: found %v, want [big-event]", got)
	}
	if got := search(t, db, InvocationFilter{Query: "past-the-limit"}); len(got) != 0 {
		t.Errorf("text past character 65,536: found %v, want nothing (not indexed)", got)
	}
	// Under three characters the scan reads the whole event.
	if got := search(t, db, InvocationFilter{Query: `t"`}); !slices.Equal(got, []string{"big-event"}) {
		t.Errorf("short query: found %v, want [big-event]", got)
	}
}

// TestSearchIndexBackfill opens a database written at migration 0004 (before
// the index existed): migrating it indexes every row already there.
func TestSearchIndexBackfill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	before := embeddedMigrations(t, nil)
	delete(before, "0005_invocation_search.sql")
	delete(before, "0019_search_queue.sql") // it replaces 0005's triggers
	old, err := openWithMigrations(ctx, path, before, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		inv := newInvocation(fmt.Sprintf("old-%02d", i), "f", t0.Add(time.Duration(i)*time.Second))
		inv.Event = []byte(fmt.Sprintf(`{"Sku":"SKU-%03d"}`, i))
		if err := old.BeginInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.Status = lambdadeck.StatusSucceeded
		if i%10 == 3 {
			inv.Status, inv.Error = lambdadeck.StatusFailed, &lambdadeck.FunctionError{Type: "Error", Message: "Stock Exhausted"}
		}
		if err := old.FinishInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := strings.Join(appliedVersions(t, db), ","); got != embeddedNames(t) {
		t.Fatalf("applied %s, want %s", got, embeddedNames(t))
	}
	var indexed int
	if err := db.read.QueryRow(`SELECT count(*) FROM invocation_search`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != 30 {
		t.Errorf("%d rows indexed, want 30", indexed)
	}
	for q, want := range map[string][]string{
		"sku-017":         {"old-17"},
		"stock exhausted": {"old-23", "old-13", "old-03"},
		"old-2":           {"old-29", "old-28", "old-27", "old-26", "old-25", "old-24", "old-23", "old-22", "old-21", "old-20"},
	} {
		if got := search(t, db, InvocationFilter{Query: q}); !slices.Equal(got, want) {
			t.Errorf("Query %q found %v, want %v", q, got, want)
		}
	}
	// Rows written after the migration are indexed by the triggers.
	inv := newInvocation("new-1", "f", t0.Add(time.Hour))
	inv.Event = []byte(`{"Sku":"SKU-999"}`)
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, InvocationFilter{Query: "sku-9"}); !slices.Equal(got, []string{"new-1"}) {
		t.Errorf("after migration: found %v, want [new-1]", got)
	}
}
