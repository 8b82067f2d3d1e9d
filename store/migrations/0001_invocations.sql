-- 0001: the invocation history.
--
-- Units: started_at and ended_at are unix microseconds (UTC), so they sort
-- as integers; init_duration_us, duration_us and billed_duration_us are
-- microseconds (Lambda reports milliseconds to two decimals, so nothing it
-- shows is lost). Memory sizes are MB. Booleans are 0/1.
-- JSON documents (event, context, client_context, identity) are stored as
-- the exact text received; env_overrides is a JSON object and error_stack a
-- JSON array. NULL means "absent" (no event, no error, not yet ended).
CREATE TABLE invocations (
	id                 INTEGER PRIMARY KEY,
	request_id         TEXT    NOT NULL UNIQUE,
	function           TEXT    NOT NULL,
	source             TEXT    NOT NULL DEFAULT '',
	user_agent         TEXT    NOT NULL DEFAULT '',
	fixture_id         INTEGER,
	status             TEXT    NOT NULL,
	cold               INTEGER NOT NULL DEFAULT 0,
	init_duration_us   INTEGER NOT NULL DEFAULT 0,
	duration_us        INTEGER NOT NULL DEFAULT 0,
	billed_duration_us INTEGER NOT NULL DEFAULT 0,
	memory_size_mb     INTEGER NOT NULL DEFAULT 0,
	max_memory_used_mb INTEGER NOT NULL DEFAULT 0,
	out_of_memory      INTEGER NOT NULL DEFAULT 0,
	started_at         INTEGER NOT NULL,
	ended_at           INTEGER,
	content_type       TEXT    NOT NULL DEFAULT '',
	logs_truncated     INTEGER NOT NULL DEFAULT 0,
	error_type         TEXT,
	error_message      TEXT,
	-- Large columns last: SQLite reads a record front to back, following
	-- its overflow pages, so a summary column placed after a 6 MB event
	-- would cost reading the event.
	error_stack        TEXT,
	context            TEXT,
	client_context     TEXT,
	identity           TEXT,
	env_overrides      TEXT,
	logs               TEXT    NOT NULL DEFAULT '',
	payload            BLOB,
	event              TEXT
) STRICT;

-- Every list is ordered newest first by (started_at DESC, id DESC). An index
-- on (x, started_at) ends with the rowid, so SQLite walks it backwards for
-- that order and for the keyset cursor (started_at, id) < (?, ?), without a
-- sort step.
CREATE INDEX invocations_started_at ON invocations (started_at);
CREATE INDEX invocations_function ON invocations (function, started_at);
CREATE INDEX invocations_status ON invocations (status, started_at);
CREATE INDEX invocations_source ON invocations (source, started_at);
