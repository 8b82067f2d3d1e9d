package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// MaxUserName bounds an account name, in characters.
const MaxUserName = 64

const userColumns = `id, name, email, role, disabled, password_hash IS NOT NULL, created_at, updated_at, last_login_at`

// ValidUserName checks an account name: 1 to MaxUserName printable
// characters with no spaces, so that it reads the same in the history, the
// audit log and a shell. An e-mail address is a valid name.
func ValidUserName(name string) error {
	switch {
	case name == "":
		return lambdadeck.Errorf(lambdadeck.EINVALID, "An account name is required.")
	case !utf8.ValidString(name):
		return lambdadeck.Errorf(lambdadeck.EINVALID, "An account name must be valid UTF-8.")
	case utf8.RuneCountInString(name) > MaxUserName:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "An account name is at most %d characters.", MaxUserName)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "An account name has no spaces or control characters: %q.", name)
		}
	}
	return nil
}

// CreateUser adds an account and sets u's ID and times. passwordHash is the
// encoded hash of its password, or "" for an account with none (proxy,
// OIDC). A name already taken (whatever its case) is ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *lambdadeck.User, passwordHash string) error {
	u.Name = strings.TrimSpace(u.Name)
	if err := ValidUserName(u.Name); err != nil {
		return err
	}
	if !u.Role.Valid() {
		_, err := lambdadeck.ParseRole(string(u.Role))
		return err
	}
	var hash any
	if passwordHash != "" {
		hash = passwordHash
	}
	now := nowMicros()
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO users (name, email, role, disabled, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.Name, u.Email, string(u.Role), u.Disabled, hash, now, now)
	if isUniqueViolation(err) {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "An account named %q already exists.", u.Name)
	} else if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	u.HasPassword = passwordHash != ""
	u.CreatedAt, u.UpdatedAt = fromMicros(now), fromMicros(now)
	return nil
}

// User returns the account with the given id; ENOTFOUND when there is none.
func (db *DB) User(ctx context.Context, id int64) (lambdadeck.User, error) {
	return db.scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id), fmt.Sprintf("#%d", id))
}

// UserByName returns the account named name (any case); ENOTFOUND when
// there is none.
func (db *DB) UserByName(ctx context.Context, name string) (lambdadeck.User, error) {
	return db.scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name), name)
}

// UserByEmail returns the account whose e-mail address is email (any case);
// ENOTFOUND when there is none.
func (db *DB) UserByEmail(ctx context.Context, email string) (lambdadeck.User, error) {
	if email == "" {
		return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No account has an empty e-mail address.")
	}
	return db.scanUser(db.read.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ? COLLATE NOCASE ORDER BY id LIMIT 1`, email), email)
}

// Users lists every account, by name.
func (db *DB) Users(ctx context.Context) ([]lambdadeck.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var users []lambdadeck.User
	for rows.Next() {
		u, err := scanUserRow(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return users, nil
}

// CountUsers returns how many accounts there are (disabled ones included).
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// UserPasswordHash returns the account's encoded password hash, "" when it
// has none. Only the sign-in check should read it.
func (db *DB) UserPasswordHash(ctx context.Context, id int64) (string, error) {
	var hash sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, id).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No account #%d.", id)
	} else if err != nil {
		return "", fmt.Errorf("store: read password hash: %w", err)
	}
	return hash.String, nil
}

// SetUserRole changes an account's role.
func (db *DB) SetUserRole(ctx context.Context, id int64, role lambdadeck.Role) error {
	if !role.Valid() {
		_, err := lambdadeck.ParseRole(string(role))
		return err
	}
	return db.updateUser(ctx, id, "set role", `role = ?`, string(role))
}

// SetUserDisabled disables (or enables again) an account.
func (db *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return db.updateUser(ctx, id, "disable", `disabled = ?`, disabled)
}

// SetUserPasswordHash replaces an account's password hash ("" removes the
// password).
func (db *DB) SetUserPasswordHash(ctx context.Context, id int64, hash string) error {
	var v any
	if hash != "" {
		v = hash
	}
	return db.updateUser(ctx, id, "set password", `password_hash = ?`, v)
}

// SetUserEmail records the e-mail address a proxy or OIDC provider gave.
func (db *DB) SetUserEmail(ctx context.Context, id int64, email string) error {
	return db.updateUser(ctx, id, "set e-mail", `email = ?`, email)
}

// TouchUserLogin records a successful sign-in now.
func (db *DB) TouchUserLogin(ctx context.Context, id int64) error {
	return db.updateUser(ctx, id, "record sign-in", `last_login_at = ?`, nowMicros())
}

// updateUser sets one column of account id (assignment is a fixed
// fragment, never user input) and its updated_at.
func (db *DB) updateUser(ctx context.Context, id int64, what, assignment string, value any) error {
	res, err := db.write.ExecContext(ctx, `UPDATE users SET `+assignment+`, updated_at = ? WHERE id = ?`, value, nowMicros(), id)
	if err != nil {
		return fmt.Errorf("store: %s of user #%d: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: %s of user #%d: %w", what, id, err)
	} else if n == 0 {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No account #%d.", id)
	}
	return nil
}

func (db *DB) scanUser(row *sql.Row, name string) (lambdadeck.User, error) {
	u, err := scanUserRow(row)
	if errors.Is(err, sql.ErrNoRows) {
		return lambdadeck.User{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No account %s.", name)
	} else if err != nil {
		return lambdadeck.User{}, fmt.Errorf("store: read user %s: %w", name, err)
	}
	return u, nil
}

func scanUserRow(row interface{ Scan(...any) error }) (lambdadeck.User, error) {
	var u lambdadeck.User
	var role string
	var created, updated int64
	var lastLogin sql.NullInt64
	if err := row.Scan(&u.ID, &u.Name, &u.Email, &role, &u.Disabled, &u.HasPassword, &created, &updated, &lastLogin); err != nil {
		return lambdadeck.User{}, err
	}
	u.Role = lambdadeck.Role(role)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	if lastLogin.Valid {
		u.LastLoginAt = fromMicros(lastLogin.Int64)
	}
	return u, nil
}
