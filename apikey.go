package lambdadeck

import "time"

// APIKey is an access key an account signs Lambda API requests with (the
// AWS CLI, an SDK, or lambdadeck invoke --server), as AWS's access keys
// are. Its secret is never part of it: it is shown once, at creation.
type APIKey struct {
	// AccessKeyID is the public half, "LDAK" and 16 base32 characters, as
	// AWS's "AKIA..." ids look.
	AccessKeyID string
	// UserID and User name the account the key acts for; a request signed
	// with it has that account's current role.
	UserID int64
	User   string
	// Name says what the key is for ("ci", "laptop"); it appears in the
	// history beside the account.
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never; updated at most once a minute
	RevokedAt  time.Time // zero while the key is valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }
