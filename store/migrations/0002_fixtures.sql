-- 0002: fixtures (saved events) and their revision history.
--
-- A fixture belongs to one function, or to none (function = ''): a shared
-- fixture usable with any function. Names are unique per function among
-- live fixtures only, so a deleted fixture's name can be used again while
-- the deleted one keeps its revisions until it is purged.
--
-- Units and encodings as in 0001: times are unix microseconds (UTC); tags
-- is a JSON array of strings, env a JSON object, identity and expectation
-- JSON objects, client_context and event the JSON text as given. NULL means
-- absent. Large columns come last (see 0001).
CREATE TABLE fixtures (
	id             INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: invocations keep pointing at a purged id
	function       TEXT    NOT NULL DEFAULT '',
	name           TEXT    NOT NULL,
	author         TEXT    NOT NULL DEFAULT '',
	revision       INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	deleted_at     INTEGER,
	deleted_by     TEXT    NOT NULL DEFAULT '',
	description    TEXT    NOT NULL DEFAULT '',
	tags           TEXT    NOT NULL DEFAULT '[]',
	identity       TEXT,
	env            TEXT,
	expectation    TEXT,
	client_context TEXT,
	event          TEXT    NOT NULL
) STRICT;

-- The rule "names are unique per function among live fixtures", enforced
-- by SQLite itself so that two writers cannot both pass a check.
CREATE UNIQUE INDEX fixtures_live_name ON fixtures (function, name) WHERE deleted_at IS NULL;
CREATE INDEX fixtures_updated_at ON fixtures (updated_at);

-- One full snapshot of the fixture per revision: who saved it, when, and
-- every field as it was then, so any revision can be shown and restored.
CREATE TABLE fixture_revisions (
	fixture_id     INTEGER NOT NULL REFERENCES fixtures (id) ON DELETE CASCADE,
	revision       INTEGER NOT NULL,
	author         TEXT    NOT NULL DEFAULT '',
	at             INTEGER NOT NULL,
	function       TEXT    NOT NULL DEFAULT '',
	name           TEXT    NOT NULL,
	description    TEXT    NOT NULL DEFAULT '',
	tags           TEXT    NOT NULL DEFAULT '[]',
	identity       TEXT,
	env            TEXT,
	expectation    TEXT,
	client_context TEXT,
	event          TEXT    NOT NULL,
	PRIMARY KEY (fixture_id, revision)
) STRICT;

CREATE INDEX invocations_fixture ON invocations (fixture_id, started_at);
