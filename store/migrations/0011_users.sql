-- 0011: the accounts of a team-mode lambdadeck.
--
-- name is what people sign in with (unique whatever its case); email is
-- what a trusted proxy's header or an OIDC provider said. password_hash is
-- an encoded memory-hard hash (never the password), NULL for accounts that
-- sign in through a proxy or OIDC. Times are unix microseconds (UTC);
-- last_login_at is NULL until the first sign-in. An account is disabled,
-- never deleted, so the history and audit log keep naming it.
CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	email         TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL CHECK (role IN ('viewer', 'runner', 'editor', 'admin')),
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	last_login_at INTEGER
) STRICT;

CREATE INDEX users_email ON users (email COLLATE NOCASE) WHERE email != '';
