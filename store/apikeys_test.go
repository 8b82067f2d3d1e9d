package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestAPIKeysCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lambdadeck.db")
	db, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keyFile := filepath.Join(dir, SecretsFile)
	secrets, err := OpenSecrets(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 || st.Size() != secretKeySize {
		t.Fatalf("server key file: %v, %v", st, err)
	}

	alice := lambdadeck.User{Name: "alice", Role: lambdadeck.RoleRunner}
	bob := lambdadeck.User{Name: "bob", Role: lambdadeck.RoleViewer, Disabled: true}
	for _, u := range []*lambdadeck.User{&alice, &bob} {
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	key, secret, err := db.CreateAPIKey(ctx, secrets, alice.ID, " ci ")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidAccessKeyID(key.AccessKeyID) || key.Name != "ci" || key.User != "alice" || len(secret) != 40 {
		t.Fatalf("created key %+v, secret of %d characters", key, len(secret))
	}
	second, _, err := db.CreateAPIKey(ctx, secrets, alice.ID, "")
	if err != nil || second.Name != DefaultKeyName || second.AccessKeyID == key.AccessKeyID {
		t.Fatalf("second key %+v, %v", second, err)
	}
	if _, _, err := db.CreateAPIKey(ctx, secrets, bob.ID, "x"); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("key for a disabled account: err = %v, want EINVALID", err)
	}
	if _, _, err := db.CreateAPIKey(ctx, secrets, 999, "x"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("key for no account: err = %v, want ENOTFOUND", err)
	}
	if _, _, err := db.CreateAPIKey(ctx, secrets, alice.ID, "a\x00b"); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("control character in the name: err = %v, want EINVALID", err)
	}

	got, gotSecret, err := db.APIKeySecret(ctx, secrets, key.AccessKeyID)
	if err != nil || gotSecret != secret || got.UserID != alice.ID {
		t.Fatalf("APIKeySecret = %+v, secret matches %v, %v", got, gotSecret == secret, err)
	}
	if _, err := db.APIKey(ctx, "LDAKAAAAAAAAAAAAAAAA"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("unknown key err = %v", err)
	}
	if _, err := db.APIKey(ctx, "'; DROP TABLE api_keys; --"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("malformed key id err = %v", err)
	}

	// Another server key cannot open the sealed secret.
	other, err := OpenSecrets(filepath.Join(t.TempDir(), SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.APIKeySecret(ctx, other, key.AccessKeyID); err == nil || lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL {
		t.Errorf("secret opened with another server key: err = %v", err)
	}
	// Reopening the same file gives the same key.
	again, err := OpenSecrets(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, s, err := db.APIKeySecret(ctx, again, key.AccessKeyID); err != nil || s != secret {
		t.Errorf("reopened server key: %v", err)
	}

	// Last use: written once, then not again within the minute.
	if wrote, err := db.TouchAPIKey(ctx, got); err != nil || !wrote {
		t.Fatalf("first touch wrote=%v err=%v", wrote, err)
	}
	got, _ = db.APIKey(ctx, key.AccessKeyID)
	if got.LastUsedAt.IsZero() || time.Since(got.LastUsedAt) > time.Minute {
		t.Fatalf("last used = %v", got.LastUsedAt)
	}
	if wrote, err := db.TouchAPIKey(ctx, got); err != nil || wrote {
		t.Errorf("second touch within the minute wrote=%v err=%v", wrote, err)
	}

	if err := db.RevokeAPIKey(ctx, key.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	revoked, _ := db.APIKey(ctx, key.AccessKeyID)
	if !revoked.Revoked() {
		t.Fatalf("key not revoked: %+v", revoked)
	}
	if err := db.RevokeAPIKey(ctx, key.AccessKeyID); err != nil {
		t.Errorf("revoking again: %v", err)
	}
	if again, _ := db.APIKey(ctx, key.AccessKeyID); !again.RevokedAt.Equal(revoked.RevokedAt) {
		t.Errorf("revoking again moved revoked_at from %v to %v", revoked.RevokedAt, again.RevokedAt)
	}
	if err := db.RevokeAPIKey(ctx, "LDAKAAAAAAAAAAAAAAAA"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("revoke unknown err = %v", err)
	}

	list, err := db.APIKeys(ctx, alice.ID)
	if err != nil || len(list) != 2 || list[0].AccessKeyID != second.AccessKeyID || !list[1].Revoked() {
		t.Fatalf("alice's keys (valid first) = %+v, %v", list, err)
	}
	if all, err := db.APIKeys(ctx, 0); err != nil || len(all) != 2 {
		t.Fatalf("all keys = %+v, %v", all, err)
	}
	if none, err := db.APIKeys(ctx, bob.ID); err != nil || len(none) != 0 {
		t.Fatalf("bob's keys = %+v, %v", none, err)
	}

	// The database files alone never reveal a secret.
	db.Close()
	for _, f := range []string{dbPath, dbPath + "-wal"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s contains the key's secret in the clear", filepath.Base(f))
		}
	}
}

func TestOpenSecretsRefusesBadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), SecretsFile)
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSecrets(path); err == nil {
		t.Fatal("a 5-byte server key was accepted")
	}
	if data, _ := os.ReadFile(path); string(data) != "short" {
		t.Fatal("a bad server key file was replaced")
	}
	open := filepath.Join(t.TempDir(), SecretsFile)
	if err := os.WriteFile(open, bytes.Repeat([]byte{7}, secretKeySize), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSecrets(open); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(open); st.Mode().Perm() != 0o600 {
		t.Errorf("a world-readable server key was left %v", st.Mode().Perm())
	}
}
