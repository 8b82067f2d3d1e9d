package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lambdadeck/lambdadeck"
)

// API key shapes and limits.
const (
	// AccessKeyPrefix starts every access key id, as "AKIA" starts AWS's.
	AccessKeyPrefix = "LDAK"
	// MaxKeyName bounds a key's name, in characters.
	MaxKeyName = 64
	// DefaultKeyName names a key created without a name.
	DefaultKeyName = "default"
	// keyTouchEvery is how stale last_used_at may get: a key used many
	// times a second costs one write a minute.
	keyTouchEvery = time.Minute
)

// accessKeyIDRE is the shape of an access key id: the prefix and 16
// characters of base32 (80 random bits).
var accessKeyIDRE = regexp.MustCompile(`^` + AccessKeyPrefix + `[A-Z2-7]{16}$`)

// ValidAccessKeyID reports whether id has the shape of lambdadeck's access
// key ids.
func ValidAccessKeyID(id string) bool { return accessKeyIDRE.MatchString(id) }

const apiKeyColumns = `k.access_key_id, k.user_id, u.name, k.name, k.created_at, k.last_used_at, k.revoked_at`

// ValidKeyName checks a key's name: 1 to MaxKeyName printable characters.
func ValidKeyName(name string) error {
	switch {
	case name == "":
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A key name is required.")
	case !utf8.ValidString(name):
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A key name must be valid UTF-8.")
	case utf8.RuneCountInString(name) > MaxKeyName:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A key name is at most %d characters.", MaxKeyName)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "A key name has no control characters: %q.", name)
		}
	}
	return nil
}

// CreateAPIKey issues a key for account userID and returns it with its
// secret, which is never shown again: the database keeps it sealed by
// secrets. An empty name is DefaultKeyName. A disabled or unknown account
// gets no key.
func (db *DB) CreateAPIKey(ctx context.Context, secrets *Secrets, userID int64, name string) (lambdadeck.APIKey, string, error) {
	if secrets == nil {
		return lambdadeck.APIKey{}, "", errors.New("store: create API key: no server key")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultKeyName
	}
	if err := ValidKeyName(name); err != nil {
		return lambdadeck.APIKey{}, "", err
	}
	u, err := db.User(ctx, userID)
	if err != nil {
		return lambdadeck.APIKey{}, "", err
	}
	if u.Disabled {
		return lambdadeck.APIKey{}, "", lambdadeck.Errorf(lambdadeck.EINVALID, "The account %s is disabled: it gets no API keys.", u.Name)
	}
	idBytes, secretBytes := make([]byte, 10), make([]byte, 30)
	if _, err := rand.Read(idBytes); err != nil {
		return lambdadeck.APIKey{}, "", fmt.Errorf("store: create API key: %w", err)
	}
	if _, err := rand.Read(secretBytes); err != nil {
		return lambdadeck.APIKey{}, "", fmt.Errorf("store: create API key: %w", err)
	}
	key := lambdadeck.APIKey{
		AccessKeyID: AccessKeyPrefix + base32.StdEncoding.EncodeToString(idBytes),
		UserID:      u.ID, User: u.Name, Name: name,
	}
	// 40 characters of [A-Za-z0-9+/], as AWS's secret access keys.
	secret := base64.StdEncoding.EncodeToString(secretBytes)
	sealed, err := secrets.seal([]byte(secret), key.AccessKeyID)
	if err != nil {
		return lambdadeck.APIKey{}, "", fmt.Errorf("store: create API key: %w", err)
	}
	now := nowMicros()
	if _, err := db.write.ExecContext(ctx,
		`INSERT INTO api_keys (access_key_id, user_id, name, secret_sealed, created_at) VALUES (?, ?, ?, ?, ?)`,
		key.AccessKeyID, key.UserID, key.Name, sealed, now); err != nil {
		return lambdadeck.APIKey{}, "", fmt.Errorf("store: create API key: %w", err)
	}
	key.CreatedAt = fromMicros(now)
	return key, secret, nil
}

// APIKey returns the key with access key id; ENOTFOUND when there is none.
func (db *DB) APIKey(ctx context.Context, accessKeyID string) (lambdadeck.APIKey, error) {
	k, _, err := db.apiKeyRow(ctx, accessKeyID)
	return k, err
}

// APIKeySecret returns the key with access key id and its secret, for
// verifying a signature; ENOTFOUND when there is no such key. A revoked
// key is returned too (its caller refuses it).
func (db *DB) APIKeySecret(ctx context.Context, secrets *Secrets, accessKeyID string) (lambdadeck.APIKey, string, error) {
	if secrets == nil {
		return lambdadeck.APIKey{}, "", errors.New("store: read API key: no server key")
	}
	k, sealed, err := db.apiKeyRow(ctx, accessKeyID)
	if err != nil {
		return lambdadeck.APIKey{}, "", err
	}
	secret, err := secrets.open(sealed, k.AccessKeyID)
	if err != nil {
		// Another server key (a restored database without its key file):
		// lambdadeck's fault, not the caller's.
		return lambdadeck.APIKey{}, "", fmt.Errorf("store: the secret of API key %s does not open with this server key (was %s replaced?): %w", k.AccessKeyID, SecretsFile, err)
	}
	return k, string(secret), nil
}

func (db *DB) apiKeyRow(ctx context.Context, accessKeyID string) (lambdadeck.APIKey, []byte, error) {
	if !ValidAccessKeyID(accessKeyID) {
		return lambdadeck.APIKey{}, nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No API key %q.", accessKeyID)
	}
	var sealed []byte
	row := db.read.QueryRowContext(ctx,
		`SELECT `+apiKeyColumns+`, k.secret_sealed FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key_id = ?`, accessKeyID)
	k, err := scanAPIKey(row, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return lambdadeck.APIKey{}, nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No API key %s.", accessKeyID)
	} else if err != nil {
		return lambdadeck.APIKey{}, nil, fmt.Errorf("store: read API key %s: %w", accessKeyID, err)
	}
	return k, sealed, nil
}

// APIKeys lists the keys of account userID, or of every account when
// userID is 0: valid ones first, newest first.
func (db *DB) APIKeys(ctx context.Context, userID int64) ([]lambdadeck.APIKey, error) {
	query := `SELECT ` + apiKeyColumns + ` FROM api_keys k JOIN users u ON u.id = k.user_id`
	var args []any
	if userID != 0 {
		query += ` WHERE k.user_id = ?`
		args = append(args, userID)
	}
	query += ` ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id DESC`
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list API keys: %w", err)
	}
	defer rows.Close()
	var keys []lambdadeck.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list API keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list API keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey revokes a key for good; revoking it again keeps the first
// time. ENOTFOUND when there is no such key.
func (db *DB) RevokeAPIKey(ctx context.Context, accessKeyID string) error {
	if !ValidAccessKeyID(accessKeyID) {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No API key %q.", accessKeyID)
	}
	res, err := db.write.ExecContext(ctx,
		`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE access_key_id = ?`, nowMicros(), accessKeyID)
	if err != nil {
		return fmt.Errorf("store: revoke API key %s: %w", accessKeyID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: revoke API key %s: %w", accessKeyID, err)
	} else if n == 0 {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "No API key %s.", accessKeyID)
	}
	return nil
}

// TouchAPIKey records that k was used now, unless its last use was
// recorded less than a minute ago: then it writes nothing. It reports
// whether it wrote.
func (db *DB) TouchAPIKey(ctx context.Context, k lambdadeck.APIKey) (bool, error) {
	now := time.Now()
	if !k.LastUsedAt.IsZero() && now.Sub(k.LastUsedAt) < keyTouchEvery {
		return false, nil
	}
	_, err := db.write.ExecContext(ctx,
		`UPDATE api_keys SET last_used_at = ? WHERE access_key_id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		now.UnixMicro(), k.AccessKeyID, now.Add(-keyTouchEvery).UnixMicro())
	if err != nil {
		return false, fmt.Errorf("store: record use of API key %s: %w", k.AccessKeyID, err)
	}
	return true, nil
}

func scanAPIKey(row interface{ Scan(...any) error }, extra ...any) (lambdadeck.APIKey, error) {
	var k lambdadeck.APIKey
	var created int64
	var lastUsed, revoked sql.NullInt64
	dest := append([]any{&k.AccessKeyID, &k.UserID, &k.User, &k.Name, &created, &lastUsed, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return lambdadeck.APIKey{}, err
	}
	k.CreatedAt = fromMicros(created)
	if lastUsed.Valid {
		k.LastUsedAt = fromMicros(lastUsed.Int64)
	}
	if revoked.Valid {
		k.RevokedAt = fromMicros(revoked.Int64)
	}
	return k, nil
}
