-- 0012: dashboard sessions of a team-mode lambdadeck, and the audit log.
--
-- A session row keeps only the SHA-256 of the session id the cookie
-- carries (hex), so the database file alone cannot sign anybody in. Times
-- are unix microseconds (UTC): a session ends at expires_at (absolute) or
-- once last_seen_at is older than the idle limit the server was started
-- with.
CREATE TABLE sessions (
	id_hash      TEXT    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id),
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	-- how the session was opened: local, proxy or oidc
	method       TEXT    NOT NULL DEFAULT 'local',
	client       TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);

-- The audit log: who did what, appended to and never changed by the app
-- (there is no UPDATE or DELETE of it anywhere in lambdadeck). actor is
-- the principal as the history names it ("local", "alice", "alice (key
-- ci)"); action is a dotted verb (auth.login, auth.login_failed,
-- invocation.start, fixture.update, user.role ...); target what it acted
-- on; detail a short free text (never a secret).
CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT    NOT NULL,
	action  TEXT    NOT NULL,
	target  TEXT    NOT NULL DEFAULT '',
	detail  TEXT    NOT NULL DEFAULT '',
	client  TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
