-- 0018: pinned invocations and the dashboard's settings.
--
-- A pinned invocation is kept by retention however old it is. Its own
-- table rather than a column of invocations, for the reason 0003 gives.
-- pinned_at is unix microseconds (UTC).
CREATE TABLE invocation_pins (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
	pinned_at     INTEGER NOT NULL
) STRICT;

-- Settings changed on the dashboard (/settings), one value per key, as
-- text: the retention limits ("keep", "keep_invocations", "keep_bytes").
CREATE TABLE settings (
	key        TEXT    PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- The code version (0015) each filed failure ran, copied by the error
-- indexer, so a group's versions come from this small table alone: the
-- invocation's own code_version_id sits after its event (see 0001).
ALTER TABLE invocation_errors ADD COLUMN code_version_id INTEGER;
