-- 0017: what the trends and the error groups read.
--
-- Trends (FunctionTrends) read every invocation of one function in a time
-- range, but only these summary columns: an index holding them all answers
-- the query from the index alone (a covering index), without visiting the
-- rows, whose 2 KB events would be read page by page otherwise (see 0001).
CREATE INDEX invocations_trend ON invocations (
	function, started_at, status, duration_us, cold, init_duration_us, max_memory_used_mb, memory_size_mb);

-- Error groups: failures of the same function with the same error type and
-- the same message once ids, numbers, hex and quoted values are masked
-- (store.NormalizeErrorMessage). The masking is Go code, so it cannot run
-- inside SQL; the error indexer (errors.go) reads new rows in the
-- background and files each failure under its group here. Rows are
-- written by the indexer only, never by the invocation write path.
CREATE TABLE error_groups (
	id          INTEGER PRIMARY KEY,
	function    TEXT    NOT NULL,
	error_type  TEXT    NOT NULL,
	fingerprint TEXT    NOT NULL, -- the normalised message
	UNIQUE (function, error_type, fingerprint)
) STRICT;

-- One row per failed invocation filed under a group; started_at copies the
-- invocation's, so a group's count, first and last seen come from the
-- (group_id, started_at) index alone. Deleting an invocation (retention)
-- deletes its row here.
CREATE TABLE invocation_errors (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
	group_id      INTEGER NOT NULL REFERENCES error_groups (id),
	started_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX invocation_errors_group ON invocation_errors (group_id, started_at);

-- How far the indexer has read: every invocation with a smaller id that
-- had finished when it was read is filed. Rows still running or queued
-- then wait in error_index_pending until they finish.
CREATE TABLE error_index_state (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	next_id INTEGER NOT NULL
) STRICT;
INSERT INTO error_index_state (id, next_id) VALUES (1, 0);

CREATE TABLE error_index_pending (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE
) STRICT;
