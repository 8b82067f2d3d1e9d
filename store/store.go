// Package store keeps lambdadeck's state in one SQLite file: the invocation
// history now, fixtures later. It uses modernc.org/sqlite (no cgo) with two
// connection pools on the same file: a single-connection write pool, so
// writers queue in Go instead of failing with SQLITE_BUSY, and a read pool
// that WAL mode lets run beside it. The schema comes from numbered SQL files
// embedded from migrations/, applied in order at Open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// migrationFiles holds the schema, one numbered file per step. Adding a
// migration is adding a file: NNNN_name.sql.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Pragmas for every connection, in the order they must run: busy_timeout
// (added first by dsn), so that the others wait for a lock rather than fail.
const dsnPragmas = "&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(ON)" +
	"&_pragma=synchronous(NORMAL)"

// DB is an open lambdadeck database.
type DB struct {
	path  string
	write *sql.DB // one connection: every write goes through it, in turn
	read  *sql.DB // several connections for concurrent readers

	// recovered is how many invocations Open found still running or queued
	// and marked interrupted.
	recovered int
	owner     *ownerLock // held while open; see lockOwner

	// health remembers whether the latest write of an invocation or of
	// the async queue failed (queue.go).
	health writeHealth

	writer  *groupWriter   // BeginInvocation and FinishInvocation (writer.go)
	indexer *searchIndexer // fills the search index (writer.go)
	// rows caches the number of invocations (search.go).
	rows rowCount

	// Statements of the warm path, prepared once.
	insertInvocation *sql.Stmt
	updateInvocation *sql.Stmt
	finishInvocation *sql.Stmt
	selectInvocation *sql.Stmt

	versions versionIDs // interned configuration snapshots and code versions (versions.go)
}

// Open opens (creating if needed) the database at path, brings its schema up
// to date and, unless another process has the database open, marks
// invocations left running or queued by a process that died as interrupted.
// Beside the database it keeps a "-lock" file for that check.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// Options tune Open.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock another
	// connection holds before it fails with "database is locked" (default
	// 10 s). Tests shorten it to see a locked database fail quickly.
	BusyTimeout time.Duration
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: embedded migrations: %w", err)
	}
	return openWithMigrations(ctx, path, migrations, opts)
}

// openWithMigrations is Open with the migrations read from fsys, so tests can
// feed it broken or extra ones.
func openWithMigrations(ctx context.Context, path string, fsys fs.FS, opts Options) (_ *DB, err error) {
	if path == "" {
		return nil, errors.New("store: no database path")
	}
	migrations, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	if err := prepareFile(ctx, path); err != nil {
		return nil, err
	}

	db := &DB{path: path}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()

	base, err := dsn(path, opts.BusyTimeout)
	if err != nil {
		return nil, err
	}
	// The write pool opens (and so creates and switches to WAL) first, and
	// migrates before any reader exists.
	if db.write, err = sql.Open("sqlite", base+"&_txlock=immediate"); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	if err := db.write.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := setAutoVacuum(ctx, db.write, path); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.write, migrations); err != nil {
		return nil, err
	}
	// Rows left running or queued are interrupted only if no other process
	// has the database open: a CLI opening it beside a live server must not
	// mark the server's running invocations.
	db.owner, err = lockOwner(path, func() (err error) {
		if db.recovered, err = recoverInterrupted(ctx, db.write); err != nil {
			return err
		}
		// Events dispatched but never finished go back to the async
		// queue, and the rows of events still waiting stay queued.
		restored, err := recoverQueue(ctx, db.write)
		db.recovered -= restored
		return err
	})
	if err != nil {
		return nil, err
	}

	if db.read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	db.read.SetMaxOpenConns(readers)
	db.read.SetMaxIdleConns(readers)
	if err := db.read.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	if err := db.prepare(ctx); err != nil {
		return nil, err
	}
	db.startWriter()
	db.startSearchIndexer()
	return db, nil
}

// prepareFile makes the database file ready before SQLite writes anything:
// it refuses a file that is not lambdadeck's database (leaving it
// byte-identical), creates a missing file and folder private to the user
// (0600 and 0700, whatever the umask), and tightens the modes of an
// existing database and its -wal, -shm and -lock files. SQLite gives the
// -wal and -shm files it creates the database file's mode.
func prepareFile(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s is not a regular file, so it cannot be lambdadeck's database", path)
	case err == nil && st.Size() > 0:
		if err := checkOwnDatabase(ctx, path); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: %w", err)
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: create database directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("store: create %s: %w", path, err)
		}
		if f != nil {
			f.Close()
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-lock"} {
		if err := makePrivate(p); err != nil {
			return err
		}
	}
	return nil
}

// makePrivate sets a file's mode to 0600 unless it is already private.
func makePrivate(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if st.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("store: make %s private: %w", path, err)
		}
	}
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkOwnDatabase refuses a file that is not a SQLite database, or one
// with tables of its own and no schema_migrations: someone else's
// database, which lambdadeck must not change. It only reads: the file is
// opened immutable, so SQLite takes no lock and writes no -wal or -shm.
func checkOwnDatabase(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	head := make([]byte, len(sqliteHeader))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != sqliteHeader {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s is not a SQLite database; lambdadeck leaves it as it is (give --db a new file)", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	db, err := sql.Open("sqlite", "file:"+u.EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s cannot be read as a SQLite database (%v); lambdadeck leaves it as it is", path, err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(tables) > 0 && !slices.Contains(tables, "schema_migrations") {
		if len(tables) > 5 {
			tables = append(tables[:5], "…")
		}
		return lambdadeck.Errorf(lambdadeck.EINVALID,
			"%s is another program's SQLite database (tables %s, none of them lambdadeck's); lambdadeck leaves it as it is (give --db a new file)",
			path, strings.Join(tables, ", "))
	}
	return nil
}

// dsn is the driver data source name for the file at path: an absolute
// file: URI (escaped, so any file name works) with the pragmas.
func dsn(path string, busyTimeout time.Duration) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("store: database path %q: %w", path, err)
	}
	if busyTimeout <= 0 {
		busyTimeout = 10 * time.Second
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?_pragma=busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")" + dsnPragmas, nil
}

// recoverInterrupted marks every invocation still running or queued as
// interrupted: the process that was running it is gone.
func recoverInterrupted(ctx context.Context, write *sql.DB) (int, error) {
	res, err := write.ExecContext(ctx,
		`UPDATE invocations SET status = 'interrupted' WHERE status IN ('running', 'queued')`)
	if err != nil {
		return 0, fmt.Errorf("store: mark interrupted invocations: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: mark interrupted invocations: %w", err)
	}
	return int(n), nil
}

// prepare prepares the statements every invocation uses.
func (db *DB) prepare(ctx context.Context) error {
	var err error
	if db.insertInvocation, err = db.write.PrepareContext(ctx, insertInvocationSQL); err != nil {
		return fmt.Errorf("store: prepare insert invocation: %w", err)
	}
	if db.updateInvocation, err = db.write.PrepareContext(ctx, updateInvocationSQL); err != nil {
		return fmt.Errorf("store: prepare update invocation: %w", err)
	}
	if db.finishInvocation, err = db.write.PrepareContext(ctx, finishInvocationSQL); err != nil {
		return fmt.Errorf("store: prepare finish invocation: %w", err)
	}
	if db.selectInvocation, err = db.read.PrepareContext(ctx, selectInvocationSQL); err != nil {
		return fmt.Errorf("store: prepare select invocation: %w", err)
	}
	return nil
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Recovered returns how many invocations Open found still running or queued
// (their process died with them) and marked interrupted. Open recovers only
// when no other process has the database open (see lockOwner), so it is 0
// for a CLI opening the database of a running server.
func (db *DB) Recovered() int { return db.recovered }

// Ping checks that both pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database. It is safe to call on a partly opened DB.
func (db *DB) Close() error {
	var errs []error
	// The writer first: the rows handed to it are written before the
	// statements close; then the indexer indexes them.
	db.stopWriter()
	if db.indexer != nil && db.write != nil {
		db.stopSearchIndexer()
	}
	for _, stmt := range []*sql.Stmt{db.insertInvocation, db.updateInvocation, db.finishInvocation, db.selectInvocation} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		// Let SQLite refresh its planner statistics, as it recommends on close.
		_, _ = db.write.Exec(`PRAGMA optimize`)
		errs = append(errs, db.write.Close())
	}
	if db.owner != nil {
		errs = append(errs, db.owner.release())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
