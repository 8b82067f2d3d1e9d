-- 0014: API keys, which the AWS CLI, the SDKs and lambdadeck invoke --server
-- sign Lambda API requests with (AWS Signature Version 4).
--
-- SigV4 needs the raw secret to recompute a signature, so it cannot be a
-- one-way hash: secret_sealed is the secret encrypted with AES-256-GCM under
-- a server key kept in a private file beside the database, never in it
-- (nonce || ciphertext, the access key id as additional data, so a sealed
-- secret moved to another row does not open). The database alone never
-- reveals a secret. Times are unix microseconds (UTC); last_used_at is NULL
-- until first use and revoked_at NULL while the key is valid. A key is
-- revoked, never deleted, so the history keeps naming it.
CREATE TABLE api_keys (
	id            INTEGER PRIMARY KEY,
	access_key_id TEXT    NOT NULL UNIQUE,
	user_id       INTEGER NOT NULL REFERENCES users (id),
	name          TEXT    NOT NULL,
	secret_sealed BLOB    NOT NULL,
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER,
	revoked_at    INTEGER
) STRICT;

CREATE INDEX api_keys_user ON api_keys (user_id);
