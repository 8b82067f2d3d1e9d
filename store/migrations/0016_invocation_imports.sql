-- 0016: invocations imported from another lambdadeck's export bundle.
--
-- An imported invocation is a row of invocations like any other (so the
-- history, search, filters and comparison see it) plus a row here saying
-- where it came from and when: pages mark it as imported, never as if it had
-- run here. Its own table, as 0003 explains. The request id is kept as
-- exported, so importing the same bundle again finds it and adds nothing.
-- Times are unix microseconds (UTC).
CREATE TABLE invocation_imports (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
	server        TEXT    NOT NULL,
	exported_at   INTEGER NOT NULL,
	imported_at   INTEGER NOT NULL
) STRICT;
