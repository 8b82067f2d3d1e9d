package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// Limits of a fixture's fields.
const (
	MaxFixtureName        = 100  // characters
	MaxFixtureDescription = 4000 // characters
	MaxFixtureTag         = 50   // characters per tag
	MaxFixtureTags        = 30   // tags per fixture
	MaxAuthor             = 60   // characters
	// DefaultAuthor is who saved a fixture when nobody said.
	DefaultAuthor = "anonymous"
)

// The content columns a fixture row and a revision row share, in the order
// fixtureContentArgs binds them and scanFixtureContent reads them. Large
// columns come last, as in the schema.
const fixtureContentColumns = `function, name, description, tags, identity, env, expectation, client_context, event`

// fixtureColumns are the columns of a fixtures row.
const fixtureColumns = `id, author, revision, created_at, updated_at, deleted_at, deleted_by, ` + fixtureContentColumns

// fixtureSummaryColumns are fixtureColumns without the event and client
// context, which can be megabytes: what lists read.
const fixtureSummaryColumns = `id, author, revision, created_at, updated_at, deleted_at, deleted_by,
	function, name, description, tags, identity, env, expectation`

const selectFixtureSQL = `SELECT ` + fixtureColumns + ` FROM fixtures WHERE id = ?`

const insertRevisionSQL = `INSERT INTO fixture_revisions (fixture_id, revision, author, at, ` + fixtureContentColumns + `)
	VALUES (?, ?, ?, ?,  ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateFixture saves a new fixture as revision 1 and sets f's ID,
// Revision and times; it also normalises f (trimmed name and tags, the
// default author). Invalid fields are EINVALID; a live fixture with the same
// function and name is ECONFLICT: a fixture is never overwritten.
func (db *DB) CreateFixture(ctx context.Context, f *lambdadeck.Fixture) error {
	if err := normalizeFixture(f); err != nil {
		return err
	}
	content, err := fixtureContentArgs(f)
	if err != nil {
		return err
	}
	now := nowMicros()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create fixture: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO fixtures (author, revision, created_at, updated_at, `+fixtureContentColumns+`)
		VALUES (?, 1, ?, ?,  ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{f.Author, now, now}, content...)...)
	if isUniqueViolation(err) {
		return nameClash(f.Function, f.Name)
	} else if err != nil {
		return fmt.Errorf("store: create fixture: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("store: create fixture: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertRevisionSQL, append([]any{id, 1, f.Author, now}, content...)...); err != nil {
		return fmt.Errorf("store: create fixture: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create fixture: %w", err)
	}
	f.ID, f.Revision = id, 1
	f.CreatedAt, f.UpdatedAt = fromMicros(now), fromMicros(now)
	f.DeletedAt, f.DeletedBy = time.Time{}, ""
	return nil
}

// UpdateFixture saves f (found by f.ID) as a new revision, by f.Author.
// expectedRevision is the revision the editor started from: if the fixture
// has moved on since, the update is ECONFLICT, so that two people editing
// at once never silently overwrite each other. Renaming onto another live
// fixture's name is ECONFLICT too, an unknown ID ENOTFOUND, a deleted
// fixture ECONFLICT (restore a revision to bring it back). An update that
// changes nothing saves no revision. On success f holds the stored fixture.
func (db *DB) UpdateFixture(ctx context.Context, f *lambdadeck.Fixture, expectedRevision int) error {
	if err := normalizeFixture(f); err != nil {
		return err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: update fixture: %w", err)
	}
	defer tx.Rollback()
	current, err := scanFixture(tx.QueryRowContext(ctx, selectFixtureSQL, f.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return fixtureNotFound(f.ID)
	} else if err != nil {
		return fmt.Errorf("store: update fixture %d: %w", f.ID, err)
	}
	if current.Deleted() {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT,
			"fixture %q was deleted by %s; restore one of its revisions to bring it back", current.Name, current.DeletedBy)
	}
	if current.Revision != expectedRevision {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT,
			"fixture %q was changed by %s at %s (now revision %d) after you loaded revision %d; open it again to see the current version",
			current.Name, current.Author, current.UpdatedAt.Format("2006-01-02 15:04:05 UTC"), current.Revision, expectedRevision)
	}
	if sameContent(current, f) {
		*f = *current
		return nil
	}
	if err := writeRevision(ctx, tx, current, f, nowMicros()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: update fixture %d: %w", f.ID, err)
	}
	return nil
}

// writeRevision stores next as the revision after current's, in tx, and
// sets next's ID, Revision and times from current.
func writeRevision(ctx context.Context, tx *sql.Tx, current, next *lambdadeck.Fixture, now int64) error {
	content, err := fixtureContentArgs(next)
	if err != nil {
		return err
	}
	revision := current.Revision + 1
	_, err = tx.ExecContext(ctx,
		`UPDATE fixtures SET author = ?, revision = ?, updated_at = ?, deleted_at = NULL, deleted_by = '',
			function = ?, name = ?, description = ?, tags = ?, identity = ?, env = ?, expectation = ?, client_context = ?, event = ?
		WHERE id = ?`,
		append(append([]any{next.Author, revision, now}, content...), current.ID)...)
	if isUniqueViolation(err) {
		return nameClash(next.Function, next.Name)
	} else if err != nil {
		return fmt.Errorf("store: save fixture %d: %w", current.ID, err)
	}
	if _, err := tx.ExecContext(ctx, insertRevisionSQL, append([]any{current.ID, revision, next.Author, now}, content...)...); err != nil {
		return fmt.Errorf("store: save fixture %d: %w", current.ID, err)
	}
	next.ID, next.Revision = current.ID, revision
	next.CreatedAt, next.UpdatedAt = current.CreatedAt, fromMicros(now)
	next.DeletedAt, next.DeletedBy = time.Time{}, ""
	return nil
}

// DeleteFixture marks a fixture deleted by author. It is kept, with its
// revisions, until PurgeFixture, and invocations that used it keep their
// link. Deleting a deleted fixture does nothing; an unknown ID is ENOTFOUND.
func (db *DB) DeleteFixture(ctx context.Context, id int64, author string) error {
	author, err := NormalizeAuthor(author)
	if err != nil {
		return err
	}
	res, err := db.write.ExecContext(ctx,
		`UPDATE fixtures SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL`, nowMicros(), author, id)
	if err != nil {
		return fmt.Errorf("store: delete fixture %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: delete fixture %d: %w", id, err)
	} else if n == 1 {
		return nil
	}
	// Nothing changed: already deleted, or no such fixture.
	_, err = db.Fixture(ctx, id)
	return err
}

// PurgeFixture removes a deleted fixture and its revisions for good.
// Invocations that used it keep its ID, which is never reused. A live
// fixture is ECONFLICT (delete it first), an unknown one ENOTFOUND.
func (db *DB) PurgeFixture(ctx context.Context, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM fixtures WHERE id = ? AND deleted_at IS NOT NULL`, id)
	if err != nil {
		return fmt.Errorf("store: purge fixture %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: purge fixture %d: %w", id, err)
	} else if n == 1 {
		return nil
	}
	f, err := db.Fixture(ctx, id)
	if err != nil {
		return err
	}
	return lambdadeck.Errorf(lambdadeck.ECONFLICT, "fixture %q is not deleted; delete it before purging it", f.Name)
}

// Fixture returns the fixture with the given ID, deleted or not; an
// unknown ID is ENOTFOUND.
func (db *DB) Fixture(ctx context.Context, id int64) (*lambdadeck.Fixture, error) {
	f, err := scanFixture(db.read.QueryRowContext(ctx, selectFixtureSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fixtureNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("store: fixture %d: %w", id, err)
	}
	return f, nil
}

// FixtureByName returns the live fixture of function (empty for a shared
// one) with the given name; there is none, it is ENOTFOUND.
func (db *DB) FixtureByName(ctx context.Context, function, name string) (*lambdadeck.Fixture, error) {
	f, err := scanFixture(db.read.QueryRowContext(ctx,
		`SELECT `+fixtureColumns+` FROM fixtures WHERE function = ? AND name = ? AND deleted_at IS NULL`,
		function, strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		if function == "" {
			return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no shared fixture named %q", name)
		}
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no fixture named %q for function %s", name, function)
	} else if err != nil {
		return nil, fmt.Errorf("store: fixture %q: %w", name, err)
	}
	return f, nil
}

// FixtureFilter selects fixtures for ListFixtures. Empty fields select
// everything live.
type FixtureFilter struct {
	// Function selects the function's fixtures and the shared ones (which
	// it can use too). "" selects every fixture.
	Function string
	Tag      string // exact tag
	// Query matches, case-insensitively, a substring of the name, the
	// description, a tag or the event text.
	Query          string
	IncludeDeleted bool
	HasExpectation bool // only fixtures that carry an expectation
}

// ListFixtures returns the fixtures matching f, ordered by function (shared
// first) and name. The items leave out Event and ClientContext, which can
// be megabytes each: fetch one with Fixture for those.
func (db *DB) ListFixtures(ctx context.Context, f FixtureFilter) ([]lambdadeck.Fixture, error) {
	var conds []string
	var args []any
	if !f.IncludeDeleted {
		conds = append(conds, `deleted_at IS NULL`)
	}
	if f.Function != "" {
		conds = append(conds, `function IN (?, '')`)
		args = append(args, f.Function)
	}
	if tag := strings.TrimSpace(f.Tag); tag != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM json_each(fixtures.tags) WHERE value = ?)`)
		args = append(args, tag)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		pattern := "%" + escapeLike(q) + "%"
		conds = append(conds, `(name LIKE ? ESCAPE '\' OR description LIKE ? ESCAPE '\' OR tags LIKE ? ESCAPE '\' OR event LIKE ? ESCAPE '\')`)
		// Tags are stored as JSON, where a tag's quote or backslash is
		// escaped; search the escaped form.
		tagPattern := "%" + escapeLike(strings.Trim(jsonString(q), `"`)) + "%"
		args = append(args, pattern, pattern, tagPattern, pattern)
	}
	if f.HasExpectation {
		conds = append(conds, `expectation IS NOT NULL`)
	}
	query := `SELECT ` + fixtureSummaryColumns + ` FROM fixtures`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	query += ` ORDER BY function, name COLLATE NOCASE, id`
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list fixtures: %w", err)
	}
	defer rows.Close()
	var out []lambdadeck.Fixture
	for rows.Next() {
		var fx lambdadeck.Fixture
		var c fixtureContent
		var deletedAt sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&fx.ID, &fx.Author, &fx.Revision, &created, &updated, &deletedAt, &fx.DeletedBy,
			&fx.Function, &fx.Name, &fx.Description, &c.tags, &c.identity, &c.env, &c.expectation); err != nil {
			return nil, fmt.Errorf("store: list fixtures: %w", err)
		}
		if err := c.decode(&fx); err != nil {
			return nil, fmt.Errorf("store: list fixtures: %w", err)
		}
		fx.CreatedAt, fx.UpdatedAt = fromMicros(created), fromMicros(updated)
		if deletedAt.Valid {
			fx.DeletedAt = fromMicros(deletedAt.Int64)
		}
		out = append(out, fx)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list fixtures: %w", err)
	}
	return out, nil
}

// FixtureTags lists every tag of a live fixture, sorted, for filters.
func (db *DB) FixtureTags(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT DISTINCT j.value FROM fixtures, json_each(fixtures.tags) AS j WHERE fixtures.deleted_at IS NULL ORDER BY j.value`)
	if err != nil {
		return nil, fmt.Errorf("store: fixture tags: %w", err)
	}
	defer rows.Close()
	var tags []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("store: fixture tags: %w", err)
		}
		tags = append(tags, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: fixture tags: %w", err)
	}
	return tags, nil
}

// FixtureRevisions returns every revision of a fixture, newest first, each
// a full snapshot; an unknown fixture is ENOTFOUND.
func (db *DB) FixtureRevisions(ctx context.Context, id int64) ([]lambdadeck.FixtureRevision, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT revision, author, at, `+fixtureContentColumns+` FROM fixture_revisions WHERE fixture_id = ? ORDER BY revision DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("store: fixture revisions %d: %w", id, err)
	}
	defer rows.Close()
	var revisions []lambdadeck.FixtureRevision
	for rows.Next() {
		rev, err := scanRevision(rows, id)
		if err != nil {
			return nil, fmt.Errorf("store: fixture revisions %d: %w", id, err)
		}
		revisions = append(revisions, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: fixture revisions %d: %w", id, err)
	}
	if len(revisions) == 0 {
		return nil, fixtureNotFound(id)
	}
	return revisions, nil
}

// RestoreFixtureRevision saves the content of an earlier revision as a new
// revision by author, and returns the fixture as it now is. Restoring a
// deleted fixture's revision brings the fixture back. An unknown fixture or
// revision is ENOTFOUND; a restored name that another live fixture took
// meanwhile is ECONFLICT.
func (db *DB) RestoreFixtureRevision(ctx context.Context, id int64, revision int, author string) (*lambdadeck.Fixture, error) {
	author, err := NormalizeAuthor(author)
	if err != nil {
		return nil, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: restore fixture %d: %w", id, err)
	}
	defer tx.Rollback()
	current, err := scanFixture(tx.QueryRowContext(ctx, selectFixtureSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fixtureNotFound(id)
	} else if err != nil {
		return nil, fmt.Errorf("store: restore fixture %d: %w", id, err)
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT revision, author, at, `+fixtureContentColumns+` FROM fixture_revisions WHERE fixture_id = ? AND revision = ?`, id, revision)
	if err != nil {
		return nil, fmt.Errorf("store: restore fixture %d: %w", id, err)
	}
	var old lambdadeck.FixtureRevision
	found := rows.Next()
	if found {
		old, err = scanRevision(rows, id)
	}
	if closeErr := rows.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, fmt.Errorf("store: restore fixture %d: %w", id, err)
	}
	if !found {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "fixture %q has no revision %d", current.Name, revision)
	}
	next := old.Fixture
	next.Author = author
	if !current.Deleted() && sameContent(current, &next) {
		return current, nil
	}
	if err := writeRevision(ctx, tx, current, &next, nowMicros()); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: restore fixture %d: %w", id, err)
	}
	return &next, nil
}

// NormalizeAuthor trims a display name and checks it: at most 60
// characters, no control characters. Empty becomes DefaultAuthor.
func NormalizeAuthor(author string) (string, error) {
	author = strings.TrimSpace(author)
	switch {
	case author == "":
		return DefaultAuthor, nil
	case utf8.RuneCountInString(author) > MaxAuthor:
		return "", lambdadeck.Errorf(lambdadeck.EINVALID, "the author's name is over %d characters", MaxAuthor)
	case hasControl(author):
		return "", lambdadeck.Errorf(lambdadeck.EINVALID, "the author's name contains control characters")
	}
	return author, nil
}

// ValidateFixtureName trims a fixture name and checks it: 1 to 100
// characters, no control characters.
func ValidateFixtureName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", lambdadeck.Errorf(lambdadeck.EINVALID, "a fixture needs a name")
	case utf8.RuneCountInString(name) > MaxFixtureName:
		return "", lambdadeck.Errorf(lambdadeck.EINVALID, "fixture name is over %d characters", MaxFixtureName)
	case !utf8.ValidString(name) || hasControl(name):
		return "", lambdadeck.Errorf(lambdadeck.EINVALID, "fixture name %q contains control characters", name)
	}
	return name, nil
}

// normalizeFixture trims and checks every field of f in place.
func normalizeFixture(f *lambdadeck.Fixture) error {
	var err error
	if f.Name, err = ValidateFixtureName(f.Name); err != nil {
		return err
	}
	if f.Author, err = NormalizeAuthor(f.Author); err != nil {
		return err
	}
	f.Function = strings.TrimSpace(f.Function)
	if hasControl(f.Function) || utf8.RuneCountInString(f.Function) > 170 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "invalid function name %q", f.Function)
	}
	f.Description = strings.TrimSpace(f.Description)
	if utf8.RuneCountInString(f.Description) > MaxFixtureDescription {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "description is over %d characters", MaxFixtureDescription)
	}
	if f.Tags, err = normalizeTags(f.Tags); err != nil {
		return err
	}

	f.Event = bytes.TrimSpace(f.Event)
	if len(f.Event) == 0 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "a fixture needs an event")
	}
	if len(f.Event) > lambdadeck.MaxSyncPayload {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "event is %d bytes, over Lambda's 6 MB limit", len(f.Event))
	}
	if !json.Valid(f.Event) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "event is not valid JSON")
	}
	f.ClientContext = bytes.TrimSpace(f.ClientContext)
	if len(f.ClientContext) == 0 || bytes.Equal(f.ClientContext, []byte("null")) {
		f.ClientContext = nil
	} else if !json.Valid(f.ClientContext) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "client context is not valid JSON")
	}
	if id := f.Identity; id != nil && id.CognitoIdentityID == "" && id.CognitoIdentityPoolID == "" {
		f.Identity = nil
	}
	for name := range f.Env {
		if !validEnvName(name) {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "environment override %q is not a valid variable name", name)
		}
	}
	if len(f.Env) == 0 {
		f.Env = nil
	}
	if e := f.Expectation; e != nil && len(e.Response) == 0 && len(e.Contains) == 0 && len(e.Assertions) == 0 {
		f.Expectation = nil
	}
	return nil
}

// normalizeTags trims tags, drops empty and repeated ones, and checks the
// rest; the order is kept.
func normalizeTags(tags []string) ([]string, error) {
	var out []string
	for _, tag := range tags {
		tag = strings.TrimSpace(tag)
		switch {
		case tag == "" || slices.Contains(out, tag):
			continue
		case utf8.RuneCountInString(tag) > MaxFixtureTag:
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "tag %q is over %d characters", tag, MaxFixtureTag)
		case hasControl(tag) || strings.Contains(tag, ","):
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "tag %q contains a comma or a control character", tag)
		}
		out = append(out, tag)
	}
	if len(out) > MaxFixtureTags {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "a fixture has at most %d tags", MaxFixtureTags)
	}
	return out, nil
}

// validEnvName reports whether name is a portable environment variable
// name: a letter or _ followed by letters, digits and _.
func validEnvName(name string) bool {
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return name != ""
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// sameContent reports whether two fixtures hold the same content (every
// field a revision snapshots), ignoring author and times.
func sameContent(a, b *lambdadeck.Fixture) bool {
	ca, errA := fixtureContentArgs(a)
	cb, errB := fixtureContentArgs(b)
	return errA == nil && errB == nil && slices.Equal(ca, cb)
}

// fixtureContentArgs returns f's content in fixtureContentColumns order.
// Every value is a string or nil, so the result compares with ==.
func fixtureContentArgs(f *lambdadeck.Fixture) ([]any, error) {
	tags := f.Tags
	if tags == nil {
		tags = []string{}
	}
	encode := func(what string, v any, present bool) (any, error) {
		if !present {
			return nil, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("store: encode fixture %s: %w", what, err)
		}
		return string(b), nil
	}
	tagsText, err := encode("tags", tags, true)
	if err != nil {
		return nil, err
	}
	identity, err := encode("identity", f.Identity, f.Identity != nil)
	if err != nil {
		return nil, err
	}
	env, err := encode("env", f.Env, len(f.Env) > 0)
	if err != nil {
		return nil, err
	}
	expectation, err := encode("expectation", f.Expectation, f.Expectation != nil)
	if err != nil {
		return nil, err
	}
	return []any{f.Function, f.Name, f.Description, tagsText, identity, env, expectation,
		nullText(f.ClientContext), string(f.Event)}, nil
}

// fixtureContent holds the encoded columns of a fixture while scanning.
type fixtureContent struct {
	tags                                         string
	identity, env, expectation, clientCtx, event sql.NullString
}

// decode sets f's fields from the encoded columns.
func (c fixtureContent) decode(f *lambdadeck.Fixture) error {
	if err := json.Unmarshal([]byte(c.tags), &f.Tags); err != nil {
		return fmt.Errorf("decode tags: %w", err)
	}
	if len(f.Tags) == 0 {
		f.Tags = nil
	}
	if c.identity.Valid {
		f.Identity = new(lambdadeck.CognitoIdentity)
		if err := json.Unmarshal([]byte(c.identity.String), f.Identity); err != nil {
			return fmt.Errorf("decode identity: %w", err)
		}
	}
	if c.env.Valid {
		if err := json.Unmarshal([]byte(c.env.String), &f.Env); err != nil {
			return fmt.Errorf("decode env: %w", err)
		}
	}
	if c.expectation.Valid {
		f.Expectation = new(lambdadeck.Expectation)
		if err := json.Unmarshal([]byte(c.expectation.String), f.Expectation); err != nil {
			return fmt.Errorf("decode expectation: %w", err)
		}
	}
	if c.clientCtx.Valid {
		f.ClientContext = json.RawMessage(c.clientCtx.String)
	}
	if c.event.Valid {
		f.Event = json.RawMessage(c.event.String)
	}
	return nil
}

// scanFixture reads a row of fixtureColumns.
func scanFixture(row *sql.Row) (*lambdadeck.Fixture, error) {
	var f lambdadeck.Fixture
	var c fixtureContent
	var deletedAt sql.NullInt64
	var created, updated int64
	err := row.Scan(&f.ID, &f.Author, &f.Revision, &created, &updated, &deletedAt, &f.DeletedBy,
		&f.Function, &f.Name, &f.Description, &c.tags, &c.identity, &c.env, &c.expectation, &c.clientCtx, &c.event)
	if err != nil {
		return nil, err
	}
	if err := c.decode(&f); err != nil {
		return nil, err
	}
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	if deletedAt.Valid {
		f.DeletedAt = fromMicros(deletedAt.Int64)
	}
	return &f, nil
}

// scanRevision reads a row of (revision, author, at, fixtureContentColumns).
func scanRevision(rows *sql.Rows, id int64) (lambdadeck.FixtureRevision, error) {
	rev := lambdadeck.FixtureRevision{FixtureID: id}
	var c fixtureContent
	var at int64
	f := &rev.Fixture
	if err := rows.Scan(&rev.Revision, &rev.Author, &at,
		&f.Function, &f.Name, &f.Description, &c.tags, &c.identity, &c.env, &c.expectation, &c.clientCtx, &c.event); err != nil {
		return rev, err
	}
	if err := c.decode(f); err != nil {
		return rev, err
	}
	rev.At = fromMicros(at)
	f.ID, f.Revision, f.Author, f.UpdatedAt = id, rev.Revision, rev.Author, rev.At
	return rev, nil
}

func fixtureNotFound(id int64) error {
	return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no fixture with id %d", id)
}

func nameClash(function, name string) error {
	if function == "" {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "a shared fixture named %q already exists", name)
	}
	return lambdadeck.Errorf(lambdadeck.ECONFLICT, "a fixture named %q already exists for function %s", name, function)
}

// nowMicros is the current time in the store's unit.
func nowMicros() int64 { return time.Now().UnixMicro() }

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
