package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// mode returns path's permission bits.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// writeSomething records an invocation, so that the -wal file exists.
func writeSomething(t *testing.T, db *DB) {
	t.Helper()
	inv := &lambdadeck.Invocation{RequestID: "perm-" + time.Now().Format("150405.000000000"), Function: "f",
		Source: lambdadeck.SourceCLI, Event: json.RawMessage(`{}`), Status: lambdadeck.StatusRunning, StartedAt: time.Now()}
	if err := db.BeginInvocation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
}

// TestOpenCreatesPrivateFiles: the folder, the database, its -wal, -shm
// and -lock files are the user's alone, even under a umask of 0. Not
// parallel: the umask is the process's.
func TestOpenCreatesPrivateFiles(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "lambdadeck.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writeSomething(t, db)
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("folder mode %o, want 700", got)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-lock"} {
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s mode %o, want 600", filepath.Base(p), got)
		}
	}
}

// TestOpenTightensExistingFiles: a database left world-readable by an
// older lambdadeck is made private when opened.
func TestOpenTightensExistingFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lambdadeck.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	writeSomething(t, db)
	// While open, so that -wal and -shm exist; a second Open shares them.
	files := []string{path, path + "-wal", path + "-shm", path + "-lock"}
	for _, p := range files {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	db.Close()
	for _, p := range files[:1] {
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s mode %o after Open, want 600", filepath.Base(p), got)
		}
	}
	for _, p := range files[1:] {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o after Open, want 600", filepath.Base(p), st.Mode().Perm())
		}
	}
}

// TestOpenRefusesForeignDatabase: pointing Open at another program's SQLite
// file, or at a file that is not SQLite at all, is refused with a clear
// message, and the file stays byte-identical with nothing created beside it.
func TestOpenRefusesForeignDatabase(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "app.db")
	other, err := sql.Open("sqlite", "file:"+foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	text := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(text, []byte("just some notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		foreign: "is another program's SQLite database (tables users, none of them lambdadeck's); lambdadeck leaves it as it is",
		text:    "is not a SQLite database",
	} {
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		db, err := Open(context.Background(), path)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%s) accepted it", path)
		}
		if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(lambdadeck.ErrorMessage(err), want) {
			t.Errorf("Open(%s): %v, want %q", path, err, want)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Errorf("%s changed", path)
		}
		if now, _ := os.ReadDir(dir); len(now) != len(entries) {
			t.Errorf("files beside %s: %d before, %d after", path, len(entries), len(now))
		}
		if got := mode(t, path); got != 0o644 {
			t.Errorf("%s mode changed to %o", path, got)
		}
	}
	// An empty file is adopted, as a new database.
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), empty)
	if err != nil {
		t.Fatalf("an empty file: %v", err)
	}
	db.Close()
}
