package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/lambdadeck/lambdadeck"
)

// Passwords are hashed with argon2id (golang.org/x/crypto/argon2) and
// kept in the PHC string format, "$argon2id$v=19$m=…,t=…,p=…$salt$hash",
// so the parameters can be raised later without breaking old hashes. The
// parameters are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Password length limits, in characters (bytes for the maximum, so that a
// huge body cannot make the KDF work hard).
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 1024
)

// CheckPassword refuses a password too short or too long to use.
func CheckPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A password needs at least %d characters.", MinPasswordLength)
	case len(pw) > MaxPasswordBytes:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A password is at most %d bytes.", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return lambdadeck.Errorf(lambdadeck.EINVALID, "A password must be valid UTF-8.")
	}
	return nil
}

// HashPassword returns the encoded argon2id hash of pw, with a fresh salt.
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the encoded hash, comparing in
// constant time. A malformed hash matches nothing.
func VerifyPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(pw) > MaxPasswordBytes {
		return false
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when the account does not exist, so that
// an unknown name takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("lambdadeck-no-such-account")
	if err != nil {
		panic(err)
	}
	return h
})

// NewPassword returns a random one-time password: crypto/rand's Text, 26
// base32 characters (128 bits).
func NewPassword() string { return rand.Text() }

// newSessionID returns a random session id: 32 bytes, base64url.
func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
