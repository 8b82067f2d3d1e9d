-- 0015: what code ran. Each invocation points at a snapshot of the
-- function's configuration (runtime, handler, memory, timeout,
-- architecture, environment variable names and one hash of their values,
-- the local interpreter) and at the version of its code folder (git commit,
-- dirty, content hash). Both are interned: a million invocations of the same
-- code and configuration share one row of each, and cost two small integers
-- per invocation.
--
-- hash is the hex SHA-256 of the snapshot's JSON (config) or of the
-- version's fields (code); key is lambdadeck.CodeVersion.Key, what the
-- history's code filter names. The columns are added at the end of
-- invocations (ALTER TABLE can add nowhere else); the index lets the filter
-- walk one version's invocations newest first without reading the rows.
-- No REFERENCES: the rows they name are never deleted, and a foreign key
-- would cost a lookup on every write of an invocation.
CREATE TABLE config_snapshots (
	id       INTEGER PRIMARY KEY,
	hash     TEXT    NOT NULL UNIQUE,
	snapshot TEXT    NOT NULL
) STRICT;

CREATE TABLE code_versions (
	id           INTEGER PRIMARY KEY,
	hash         TEXT    NOT NULL UNIQUE,
	key          TEXT    NOT NULL,
	commit_id    TEXT    NOT NULL DEFAULT '',
	dirty        INTEGER NOT NULL DEFAULT 0,
	content_hash TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX code_versions_key ON code_versions (key);

ALTER TABLE invocations ADD COLUMN config_id INTEGER;       -- config_snapshots.id
ALTER TABLE invocations ADD COLUMN code_version_id INTEGER; -- code_versions.id

CREATE INDEX invocations_code_version ON invocations (code_version_id, started_at) WHERE code_version_id IS NOT NULL;
