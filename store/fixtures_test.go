package store

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// newFixture returns a valid fixture of function.
func newFixture(function, name, event string) *lambdadeck.Fixture {
	return &lambdadeck.Fixture{Function: function, Name: name, Event: json.RawMessage(event), Author: "ada"}
}

func mustCreate(t *testing.T, db *DB, f *lambdadeck.Fixture) *lambdadeck.Fixture {
	t.Helper()
	if err := db.CreateFixture(context.Background(), f); err != nil {
		t.Fatalf("CreateFixture(%q): %v", f.Name, err)
	}
	return f
}

func TestFixtureRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	f := &lambdadeck.Fixture{
		Function:      "hello",
		Name:          "  create order  ",
		Description:   "a typical order",
		Tags:          []string{" orders ", "smoke", "orders", ""},
		Event:         json.RawMessage(` {"id": 1, "items": ["a"]} `),
		ClientContext: json.RawMessage(`{"custom":{"k":"v"}}`),
		Identity:      &lambdadeck.CognitoIdentity{CognitoIdentityID: "id-1", CognitoIdentityPoolID: "pool-1"},
		Env:           map[string]string{"STAGE": "test"},
		Expectation:   &lambdadeck.Expectation{Contains: json.RawMessage(`{"ok":true}`), Assertions: []string{"statusCode == 200"}},
		Author:        " grace ",
	}
	mustCreate(t, db, f)
	if f.ID == 0 || f.Revision != 1 || f.CreatedAt.IsZero() || !f.CreatedAt.Equal(f.UpdatedAt) {
		t.Fatalf("after create: id %d, revision %d, created %v, updated %v", f.ID, f.Revision, f.CreatedAt, f.UpdatedAt)
	}
	got, err := db.Fixture(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *f
	want.Name, want.Author = "create order", "grace"
	want.Tags = []string{"orders", "smoke"}
	want.Event = json.RawMessage(`{"id": 1, "items": ["a"]}`)
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("stored fixture\n%+v\nwant\n%+v", *got, want)
	}
	byName, err := db.FixtureByName(ctx, "hello", "create order")
	if err != nil || byName.ID != f.ID {
		t.Errorf("FixtureByName = %v, %v", byName, err)
	}
	if _, err := db.FixtureByName(ctx, "", "create order"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("FixtureByName of the shared namespace: %v, want ENOTFOUND", err)
	}
	if _, err := db.Fixture(ctx, 9999); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("Fixture(9999): %v, want ENOTFOUND", err)
	}
}

func TestFixtureValidation(t *testing.T) {
	db := openTestDB(t)
	tests := []struct {
		name   string
		modify func(f *lambdadeck.Fixture)
		want   string
	}{
		{"empty name", func(f *lambdadeck.Fixture) { f.Name = "   " }, "needs a name"},
		{"long name", func(f *lambdadeck.Fixture) { f.Name = strings.Repeat("é", 101) }, "over 100 characters"},
		{"control character", func(f *lambdadeck.Fixture) { f.Name = "a\x00b" }, "control characters"},
		{"newline", func(f *lambdadeck.Fixture) { f.Name = "a\nb" }, "control characters"},
		{"no event", func(f *lambdadeck.Fixture) { f.Event = nil }, "needs an event"},
		{"invalid event", func(f *lambdadeck.Fixture) { f.Event = json.RawMessage(`{"a":`) }, "not valid JSON"},
		{"huge event", func(f *lambdadeck.Fixture) {
			f.Event = json.RawMessage(`"` + strings.Repeat("x", lambdadeck.MaxSyncPayload) + `"`)
		}, "over Lambda's 6 MB limit"},
		{"invalid client context", func(f *lambdadeck.Fixture) { f.ClientContext = json.RawMessage(`{`) }, "client context"},
		{"bad env name", func(f *lambdadeck.Fixture) { f.Env = map[string]string{"1X": "y"} }, "not a valid variable name"},
		{"long author", func(f *lambdadeck.Fixture) { f.Author = strings.Repeat("a", 61) }, "over 60 characters"},
		{"comma in tag", func(f *lambdadeck.Fixture) { f.Tags = []string{"a,b"} }, "comma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture("hello", "ok", `{}`)
			tt.modify(f)
			err := db.CreateFixture(context.Background(), f)
			if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CreateFixture: %v, want EINVALID saying %q", err, tt.want)
			}
		})
	}
	if list, _ := db.ListFixtures(context.Background(), FixtureFilter{IncludeDeleted: true}); len(list) != 0 {
		t.Errorf("invalid fixtures were saved: %d", len(list))
	}
	// A name of exactly 100 characters is fine.
	mustCreate(t, db, newFixture("hello", strings.Repeat("é", 100), `{}`))
}

func TestFixtureNameClash(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	first := mustCreate(t, db, newFixture("hello", "order", `{"n":1}`))

	err := db.CreateFixture(ctx, newFixture("hello", " order ", `{"n":2}`))
	if lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT || err.Error() != `a fixture named "order" already exists for function hello` {
		t.Fatalf("duplicate create: %v", err)
	}
	got, _ := db.Fixture(ctx, first.ID)
	if string(got.Event) != `{"n":1}` {
		t.Errorf("the clash overwrote the event: %s", got.Event)
	}
	// The same name is fine for another function and for a shared fixture.
	mustCreate(t, db, newFixture("other", "order", `{}`))
	shared := mustCreate(t, db, newFixture("", "order", `{}`))
	if err := db.CreateFixture(ctx, newFixture("", "order", `{}`)); err == nil || err.Error() != `a shared fixture named "order" already exists` {
		t.Errorf("duplicate shared: %v", err)
	}

	// Renaming into a clash is refused too.
	second := mustCreate(t, db, newFixture("hello", "refund", `{}`))
	second.Name = "order"
	if err := db.UpdateFixture(ctx, second, 1); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("rename into a clash: %v, want ECONFLICT", err)
	}
	// A deleted fixture frees its name.
	if err := db.DeleteFixture(ctx, shared.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, newFixture("", "order", `{"again":true}`))
}

func TestFixtureUpdateRevisions(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	f := mustCreate(t, db, newFixture("hello", "order", `{"n":1}`))

	edit := *f
	edit.Event = json.RawMessage(`{"n":2}`)
	edit.Tags = []string{"v2"}
	edit.Author = "grace"
	if err := db.UpdateFixture(ctx, &edit, 1); err != nil {
		t.Fatal(err)
	}
	if edit.Revision != 2 || !edit.CreatedAt.Equal(f.CreatedAt) {
		t.Errorf("after update: revision %d, created %v (was %v)", edit.Revision, edit.CreatedAt, f.CreatedAt)
	}

	// Someone else, still on revision 1, saves: refused, nothing changes.
	stale := *f
	stale.Event = json.RawMessage(`{"n":"stale"}`)
	err := db.UpdateFixture(ctx, &stale, 1)
	if lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT || !strings.Contains(err.Error(), "changed by grace") {
		t.Fatalf("stale update: %v, want ECONFLICT naming grace", err)
	}
	got, _ := db.Fixture(ctx, f.ID)
	if string(got.Event) != `{"n":2}` || got.Revision != 2 || got.Author != "grace" {
		t.Errorf("after the stale update: %s rev %d by %s", got.Event, got.Revision, got.Author)
	}

	// Saving without a change makes no revision.
	same := *got
	same.Author = "someone"
	if err := db.UpdateFixture(ctx, &same, 2); err != nil || same.Revision != 2 {
		t.Errorf("no-op update: %v, revision %d", err, same.Revision)
	}

	revs, err := db.FixtureRevisions(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 {
		t.Fatalf("%d revisions, want 2", len(revs))
	}
	// Newest first, each a full snapshot with its author.
	if revs[0].Revision != 2 || revs[0].Author != "grace" || string(revs[0].Fixture.Event) != `{"n":2}` ||
		!reflect.DeepEqual(revs[0].Fixture.Tags, []string{"v2"}) {
		t.Errorf("revision 2: %+v", revs[0])
	}
	if revs[1].Revision != 1 || revs[1].Author != "ada" || string(revs[1].Fixture.Event) != `{"n":1}` || revs[1].Fixture.Tags != nil {
		t.Errorf("revision 1: %+v", revs[1])
	}
	if _, err := db.FixtureRevisions(ctx, 4242); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("revisions of an unknown fixture: %v", err)
	}
	missing := newFixture("hello", "x", `{}`)
	missing.ID = 4242
	if err := db.UpdateFixture(ctx, missing, 1); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("update of an unknown fixture: %v", err)
	}
}

func TestFixtureRestore(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	f := mustCreate(t, db, newFixture("hello", "order", `{"n":1}`))
	f.Description = "first"
	for i, event := range []string{`{"n":2}`, `{"n":3}`} {
		f.Event = json.RawMessage(event)
		f.Description = "edit"
		if err := db.UpdateFixture(ctx, f, i+1); err != nil {
			t.Fatal(err)
		}
	}
	restored, err := db.RestoreFixtureRevision(ctx, f.ID, 1, "linus")
	if err != nil {
		t.Fatal(err)
	}
	if restored.Revision != 4 || string(restored.Event) != `{"n":1}` || restored.Description != "" || restored.Author != "linus" {
		t.Errorf("restored: rev %d, event %s, description %q, author %q", restored.Revision, restored.Event, restored.Description, restored.Author)
	}
	got, _ := db.Fixture(ctx, f.ID)
	if got.Revision != 4 || string(got.Event) != `{"n":1}` {
		t.Errorf("stored after restore: rev %d, %s", got.Revision, got.Event)
	}
	revs, _ := db.FixtureRevisions(ctx, f.ID)
	if len(revs) != 4 || revs[0].Author != "linus" {
		t.Errorf("revisions after restore: %d, newest by %q", len(revs), revs[0].Author)
	}
	if _, err := db.RestoreFixtureRevision(ctx, f.ID, 99, "linus"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("restore of a missing revision: %v", err)
	}

	// Restoring a deleted fixture brings it back, unless its name was taken.
	if err := db.DeleteFixture(ctx, f.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	back, err := db.RestoreFixtureRevision(ctx, f.ID, 2, "ada")
	if err != nil || back.Deleted() || string(back.Event) != `{"n":2}` {
		t.Fatalf("restore of a deleted fixture: %+v, %v", back, err)
	}
	if err := db.DeleteFixture(ctx, f.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, newFixture("hello", "order", `{"taken":true}`))
	if _, err := db.RestoreFixtureRevision(ctx, f.ID, 1, "ada"); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("restore onto a taken name: %v, want ECONFLICT", err)
	}
}

func TestFixtureDeleteAndPurge(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	f := mustCreate(t, db, newFixture("hello", "order", `{"n":1}`))
	f.Event = json.RawMessage(`{"n":2}`)
	if err := db.UpdateFixture(ctx, f, 1); err != nil {
		t.Fatal(err)
	}
	inv := newInvocation("req-with-fixture", "hello", t0)
	inv.FixtureID = f.ID
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}

	if err := db.PurgeFixture(ctx, f.ID); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("purge of a live fixture: %v, want ECONFLICT", err)
	}
	if err := db.DeleteFixture(ctx, f.ID, "grace"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteFixture(ctx, f.ID, "grace"); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if err := db.DeleteFixture(ctx, 4242, "grace"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("delete of an unknown fixture: %v", err)
	}
	got, err := db.Fixture(ctx, f.ID)
	if err != nil || !got.Deleted() || got.DeletedBy != "grace" {
		t.Fatalf("deleted fixture: %+v, %v", got, err)
	}
	if revs, err := db.FixtureRevisions(ctx, f.ID); err != nil || len(revs) != 2 {
		t.Errorf("revisions of the deleted fixture: %d, %v", len(revs), err)
	}
	if stored, _ := db.Invocation(ctx, "req-with-fixture"); stored.FixtureID != f.ID {
		t.Errorf("invocation's fixture id %d, want %d", stored.FixtureID, f.ID)
	}
	if _, err := db.FixtureByName(ctx, "hello", "order"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("FixtureByName finds a deleted fixture: %v", err)
	}
	if live, _ := db.ListFixtures(ctx, FixtureFilter{}); len(live) != 0 {
		t.Errorf("ListFixtures lists %d deleted fixtures", len(live))
	}
	if all, _ := db.ListFixtures(ctx, FixtureFilter{IncludeDeleted: true}); len(all) != 1 || !all[0].Deleted() {
		t.Errorf("IncludeDeleted: %+v", all)
	}
	edit := *got
	edit.Event = json.RawMessage(`{}`)
	if err := db.UpdateFixture(ctx, &edit, got.Revision); lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT {
		t.Errorf("update of a deleted fixture: %v, want ECONFLICT", err)
	}

	if err := db.PurgeFixture(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Fixture(ctx, f.ID); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("purged fixture: %v", err)
	}
	var revisions int
	if err := db.read.QueryRow(`SELECT count(*) FROM fixture_revisions WHERE fixture_id = ?`, f.ID).Scan(&revisions); err != nil || revisions != 0 {
		t.Errorf("purge left %d revisions (%v)", revisions, err)
	}
	if stored, _ := db.Invocation(ctx, "req-with-fixture"); stored.FixtureID != f.ID {
		t.Errorf("purge changed the invocation's fixture id to %d", stored.FixtureID)
	}
	// The purged id is never handed out again.
	next := mustCreate(t, db, newFixture("hello", "next", `{}`))
	if next.ID <= f.ID {
		t.Errorf("new fixture got id %d, not above the purged %d", next.ID, f.ID)
	}
	if err := db.PurgeFixture(ctx, f.ID); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("second purge: %v", err)
	}
}

func TestListFixtures(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	add := func(function, name, event, description string, tags ...string) *lambdadeck.Fixture {
		f := newFixture(function, name, event)
		f.Description, f.Tags = description, tags
		return mustCreate(t, db, f)
	}
	add("hello", "Order", `{"customer":"ACME corp"}`, "", "orders")
	add("hello", "percent", `{"discount":"100%"}`, "", "pricing")
	add("hello", "under_score", `{}`, "handles a_b", "pricing", "edge")
	add("other", "beta", `{}`, "", "orders")
	add("", "alpha shared", `{}`, "used everywhere", `tag "quoted"`)
	withExpectation := newFixture("other", "checked", `{}`)
	withExpectation.Expectation = &lambdadeck.Expectation{Assertions: []string{"statusCode == 200"}}
	mustCreate(t, db, withExpectation)

	names := func(f FixtureFilter) string {
		t.Helper()
		list, err := db.ListFixtures(ctx, f)
		if err != nil {
			t.Fatalf("ListFixtures(%+v): %v", f, err)
		}
		var out []string
		for _, fx := range list {
			if fx.Event != nil || fx.ClientContext != nil {
				t.Errorf("list item %q carries its event", fx.Name)
			}
			out = append(out, fx.Name)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name   string
		filter FixtureFilter
		want   string
	}{
		{"all, shared first, then by function and name", FixtureFilter{}, "alpha shared,Order,percent,under_score,beta,checked"},
		{"function includes shared", FixtureFilter{Function: "other"}, "alpha shared,beta,checked"},
		{"tag", FixtureFilter{Tag: "pricing"}, "percent,under_score"},
		{"tag with quotes", FixtureFilter{Tag: `tag "quoted"`}, "alpha shared"},
		{"query in event, any case", FixtureFilter{Query: "acme"}, "Order"},
		{"query in name, any case", FixtureFilter{Query: "PERC"}, "percent"},
		{"query in description", FixtureFilter{Query: "everywhere"}, "alpha shared"},
		{"query in tags", FixtureFilter{Query: "edge"}, "under_score"},
		{"query with quotes matches tags", FixtureFilter{Query: `"quoted"`}, "alpha shared"},
		{"percent is literal", FixtureFilter{Query: "%"}, "percent"},
		{"underscore is literal", FixtureFilter{Query: "_"}, "under_score"},
		{"backslash is literal", FixtureFilter{Query: `\`}, ""},
		{"has expectation", FixtureFilter{HasExpectation: true}, "checked"},
		{"combined", FixtureFilter{Function: "hello", Tag: "orders", Query: "corp"}, "Order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.filter); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	tags, err := db.FixtureTags(ctx)
	if err != nil || strings.Join(tags, ",") != `edge,orders,pricing,tag "quoted"` {
		t.Errorf("FixtureTags = %q, %v", tags, err)
	}
}
