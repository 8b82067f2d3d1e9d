package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lambdadeck/lambdadeck"
)

// openTestDB opens a fresh database in a temporary directory, closed when
// the test ends.
func openTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "state", "lambdadeck.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// embeddedMigrations returns the real migrations plus extra files, for tests
// that add a migration of their own.
func embeddedMigrations(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded migrations (%v)", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	for name, text := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

// embeddedNames lists the embedded migrations' file names in order, joined
// by commas: what a freshly opened database has applied.
func embeddedNames(t *testing.T) string {
	t.Helper()
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded migrations (%v)", err)
	}
	for i, name := range names {
		names[i] = strings.TrimPrefix(name, "migrations/")
	}
	return strings.Join(names, ",")
}

func appliedVersions(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.read.Query(`SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func tableExists(t *testing.T, db *DB, name string) bool {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "lambdadeck.db")
	for range 2 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got, want := strings.Join(appliedVersions(t, db), ","), embeddedNames(t); got != want {
			t.Errorf("applied migrations = %v, want %v", got, want)
		}
		if err := db.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if db.Path() != path {
			t.Errorf("Path() = %q, want %q", db.Path(), path)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag%20", "lambda deck.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var file string
	if err := db.read.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("database file = %q, want %q", file, path)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	db := openTestDB(t)
	pools := []struct {
		name string
		db   *sql.DB
	}{{"write", db.write}, {"read", db.read}}
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "10000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, pool := range pools {
		for _, tt := range tests {
			var got string
			if err := pool.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", pool.name, tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("%s pool: %s = %q, want %q", pool.name, tt.pragma, got, tt.want)
			}
		}
	}
	var queryOnly string
	if err := db.read.QueryRow("PRAGMA query_only").Scan(&queryOnly); err != nil || queryOnly != "1" {
		t.Errorf("read pool query_only = %q (%v), want 1", queryOnly, err)
	}
}

func TestBrokenMigrationStopsOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	broken := embeddedMigrations(t, map[string]string{
		// The first statement succeeds; the second fails, so the
		// transaction must undo the first.
		"0900_broken.sql": "CREATE TABLE half_done (a INTEGER);\nINSERT INTO no_such_table VALUES (1);",
	})
	_, err := openWithMigrations(ctx, path, broken, Options{})
	if err == nil {
		t.Fatal("Open with a broken migration succeeded")
	}
	if want := "store: migration 0900_broken.sql failed: "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %q, want prefix %q", err, want)
	}
	if !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("error %q does not say what failed", err)
	}

	// The good migration stays applied; the broken one left nothing.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the failure: %v", err)
	}
	defer db.Close()
	if got, want := strings.Join(appliedVersions(t, db), ","), embeddedNames(t); got != want {
		t.Errorf("applied migrations = %v, want %v", got, want)
	}
	if tableExists(t, db, "half_done") {
		t.Error("the broken migration's first statement was kept")
	}
	if !tableExists(t, db, "invocations") {
		t.Error("invocations table missing")
	}
}

func TestAddedMigrationApplies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	next := embeddedMigrations(t, map[string]string{
		"0901_extra.sql": "CREATE TABLE extra (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
	})
	db, err = openWithMigrations(ctx, path, next, Options{})
	if err != nil {
		t.Fatalf("Open with a new migration: %v", err)
	}
	defer db.Close()
	if got := appliedVersions(t, db); strings.Join(got, ",") != embeddedNames(t)+",0901_extra.sql" {
		t.Errorf("applied migrations = %v", got)
	}
	if !tableExists(t, db, "extra") {
		t.Error("extra table missing")
	}
}

func TestOpenRefusesNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	newer := embeddedMigrations(t, map[string]string{"0099_future.sql": "CREATE TABLE future (a INTEGER);"})
	db, err := openWithMigrations(ctx, path, newer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(ctx, path)
	if err == nil {
		t.Fatal("Open of a database from a newer version succeeded")
	}
	for _, want := range []string{"0099_future.sql", "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMigrationNames(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no number", map[string]string{"init.sql": ""}, "init.sql: name must be NNNN_name.sql"},
		{"no underscore", map[string]string{"0001.sql": ""}, "0001.sql: name must be NNNN_name.sql"},
		{"zero", map[string]string{"0000_zero.sql": ""}, "0000_zero.sql: name must be NNNN_name.sql"},
		{"same number", map[string]string{"0001_a.sql": "", "1_b.sql": ""}, "have the same number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, text := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(text)}
			}
			_, err := openWithMigrations(context.Background(), filepath.Join(t.TempDir(), "x.db"), fsys, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMigrationsApplyInNumericOrder(t *testing.T) {
	fsys := fstest.MapFS{
		// Lexically 10 sorts before 9; numerically it must run after.
		"10_second.sql": {Data: []byte("ALTER TABLE t ADD COLUMN b INTEGER;")},
		"9_first.sql":   {Data: []byte("CREATE TABLE t (a INTEGER);")},
	}
	db, err := openWithMigrations(context.Background(), filepath.Join(t.TempDir(), "x.db"), fsys, Options{})
	if err == nil {
		// recoverInterrupted needs the invocations table, which this
		// schema lacks; reaching it proves both migrations ran.
		db.Close()
		t.Fatal("Open without an invocations table succeeded")
	}
	if !strings.Contains(err.Error(), "mark interrupted") {
		t.Fatalf("error = %v, want the migrations to succeed and recovery to fail", err)
	}
}

func TestErrorsHaveCodes(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	_, err := db.Invocation(ctx, "nope")
	var e *lambdadeck.Error
	if !errors.As(err, &e) || e.Code != lambdadeck.ENOTFOUND || e.Message != `no invocation with request id "nope"` {
		t.Errorf("Invocation(unknown) error = %#v", err)
	}
}
