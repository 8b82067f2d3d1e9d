-- The HTTP request and response of invocations through the HTTP front door
-- (API Gateway and Function URLs), one row per such invocation.
CREATE TABLE invocation_http (
	request_id TEXT PRIMARY KEY REFERENCES invocations (request_id) ON DELETE CASCADE,
	method     TEXT NOT NULL,
	path       TEXT NOT NULL,
	route      TEXT NOT NULL,
	api        TEXT NOT NULL,
	status     INTEGER NOT NULL,
	request    TEXT NOT NULL,
	response   TEXT NOT NULL
);
