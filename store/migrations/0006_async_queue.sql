-- 0006: the durable queue of Event (asynchronous) invocations, and the
-- attempts of each.
--
-- An Event invocation is accepted (202) only once it is a row here, in the
-- same transaction as its first attempt's invocation row (status queued).
-- The dispatcher takes rows whose state is 'queued' and next_at has come,
-- marks them 'dispatched' while an attempt runs, and afterwards puts them
-- back to 'queued' (a retry, next_at later) or ends them 'done' with the
-- condition Lambda's invocation record names (Success, RetriesExhausted,
-- EventAgeExceeded). At Open, a row left 'dispatched' by a process that died
-- goes back to 'queued': every accepted event runs at least once.
--
-- request_id is the id the 202 answered with, which is also the request id
-- of the first attempt. dispatches counts the attempts started (Lambda's
-- approximateInvokeCount), failures those that ended in a function error and
-- were retried.
-- Times are unix microseconds (UTC). The event and the request's fields are
-- kept here, not read back from the invocation row, so that purging the
-- history never loses a queued event. Large columns last (see 0001).
CREATE TABLE async_events (
	id                 INTEGER PRIMARY KEY,
	request_id         TEXT    NOT NULL UNIQUE,
	function           TEXT    NOT NULL,
	state              TEXT    NOT NULL CHECK (state IN ('queued', 'dispatched', 'done')),
	accepted_at        INTEGER NOT NULL,
	next_at            INTEGER NOT NULL,
	dispatches         INTEGER NOT NULL DEFAULT 0,
	failures           INTEGER NOT NULL DEFAULT 0,
	current_request_id TEXT,
	condition          TEXT    NOT NULL DEFAULT '',
	done_at            INTEGER,
	source             TEXT    NOT NULL DEFAULT '',
	user_agent         TEXT    NOT NULL DEFAULT '',
	fixture_id         INTEGER,
	identity           TEXT,
	env_overrides      TEXT,
	event              TEXT    NOT NULL
) STRICT;

-- The dispatcher's question: a function's queued events, oldest due first.
CREATE INDEX async_events_due ON async_events (function, next_at) WHERE state = 'queued';
-- The queue's depth and oldest event per function (unfinished rows only).
CREATE INDEX async_events_open ON async_events (function, accepted_at) WHERE state <> 'done';

-- Which event an invocation is an attempt of. Its own table rather than
-- columns of invocations, for the reason 0003 gives.
CREATE TABLE invocation_attempts (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
	event_id      TEXT    NOT NULL,
	attempt       INTEGER NOT NULL,
	max_attempts  INTEGER NOT NULL,
	note          TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX invocation_attempts_event ON invocation_attempts (event_id, attempt);
