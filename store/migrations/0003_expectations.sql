-- 0003: the verdicts of fixtures' expectations, and named environments for
-- {{variables}} in events.
--
-- A verdict belongs to one invocation. It lives in its own table rather
-- than in a column of invocations: a column added to invocations would sit
-- after the event and payload, which SQLite must read through to reach it,
-- and lists would pay for every large event (see 0001). fixture_id copies
-- the invocation's, so a fixture's latest verdict is one index lookup.
-- Times are unix microseconds (UTC); result is lambdadeck.ExpectationResult
-- as JSON ({"passed": ..., "failures": [...]}).
CREATE TABLE expectation_results (
	invocation_id INTEGER PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
	fixture_id    INTEGER,
	evaluated_at  INTEGER NOT NULL,
	passed        INTEGER NOT NULL,
	result        TEXT    NOT NULL
) STRICT;

CREATE INDEX expectation_results_fixture ON expectation_results (fixture_id, evaluated_at);

-- A named environment (dev, stage, ...): variables is a JSON object of
-- strings. A lambdadeck.env.json file beside the template can define
-- environments too; the file wins over this table for the same name.
CREATE TABLE environments (
	name       TEXT    PRIMARY KEY,
	variables  TEXT    NOT NULL DEFAULT '{}',
	updated_at INTEGER NOT NULL
) STRICT;
