package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Session is a signed-in dashboard session. The id itself is never stored:
// only its hash, so that reading the database file signs nobody in.
type Session struct {
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Method     string // local, proxy or oidc
	Client     string // the client address it was opened from
}

// hashSessionID is what the sessions table keeps of a session id.
func hashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// CreateSession records a new session of the account userID under id (a
// random value the caller made and puts in the cookie), ending at
// expires at the latest.
func (db *DB) CreateSession(ctx context.Context, id string, s Session) error {
	if len(id) < 32 {
		return errors.New("store: a session id must be at least 32 characters")
	}
	now := nowMicros()
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, method, client) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hashSessionID(id), s.UserID, now, now, s.ExpiresAt.UnixMicro(), s.Method, s.Client)
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionUser returns the session with the given id and its account, when
// the session exists, has not passed its absolute expiry and was seen
// within idle; otherwise ENOTFOUND (an expired session is deleted). It
// notes the session as seen now when the last note is older than a
// minute, so that a busy page does not write on every request.
func (db *DB) SessionUser(ctx context.Context, id string, idle time.Duration) (Session, lambdadeck.User, error) {
	hash := hashSessionID(id)
	var s Session
	var created, seen, expires int64
	err := db.read.QueryRowContext(ctx,
		`SELECT user_id, created_at, last_seen_at, expires_at, method, client FROM sessions WHERE id_hash = ?`, hash).
		Scan(&s.UserID, &created, &seen, &expires, &s.Method, &s.Client)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No such session.")
	} else if err != nil {
		return Session{}, lambdadeck.User{}, fmt.Errorf("store: read session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	now := time.Now()
	if !now.Before(s.ExpiresAt) || (idle > 0 && now.Sub(s.LastSeenAt) > idle) {
		_, _ = db.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hash)
		return Session{}, lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "The session has expired.")
	}
	u, err := db.User(ctx, s.UserID)
	if err != nil {
		return Session{}, lambdadeck.User{}, err
	}
	if now.Sub(s.LastSeenAt) > time.Minute {
		if _, err := db.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, now.UnixMicro(), hash); err != nil {
			return Session{}, lambdadeck.User{}, fmt.Errorf("store: note session seen: %w", err)
		}
		s.LastSeenAt = now
	}
	return s, u, nil
}

// DeleteSession ends one session (sign out); an unknown id is no error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, hashSessionID(id)); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of an account (sign out
// everywhere, a disabled account, a changed password) and returns how many
// there were.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions of user #%d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CountUserSessions returns how many sessions an account has open.
func (db *DB) CountUserSessions(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE user_id = ? AND expires_at > ?`, userID, nowMicros()).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count sessions: %w", err)
	}
	return n, nil
}
