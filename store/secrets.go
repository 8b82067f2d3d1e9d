package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// SecretsFile is the name of the server key file, in the state folder
// beside the database.
const SecretsFile = "secrets.key"

// secretKeySize is the server key's size: AES-256.
const secretKeySize = 32

// Secrets seals the secrets lambdadeck must be able to read back (API key
// secrets: SigV4 needs them whole to recompute a signature, so a one-way
// hash will not do) with AES-256-GCM under a server key. The key lives in a
// file of its own, 0600, never in the database: a copy of the database
// alone reveals no secret. crypto/cipher's GCM is used as it is; nothing
// here is homemade cryptography.
type Secrets struct {
	path string
	mu   sync.Mutex
	aead cipher.AEAD // nil until loaded
}

// NewSecrets returns the server key at path, read (or created) when first
// needed: a lambdadeck that never issues or checks a key never writes it.
func NewSecrets(path string) *Secrets { return &Secrets{path: path} }

// load reads the key on first use.
func (s *Secrets) load() (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	loaded, err := OpenSecrets(s.path)
	if err != nil {
		return nil, err
	}
	s.aead = loaded.aead
	return s.aead, nil
}

// OpenSecrets reads the server key at path, creating it (32 random bytes,
// mode 0600, in a 0700 folder) on first use. A key file of the wrong size,
// or one others may read, is refused rather than used or replaced: a
// replaced key would make every sealed secret unreadable.
func OpenSecrets(path string) (*Secrets, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createSecretKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: server key: %w", err)
	}
	if len(key) != secretKeySize {
		return nil, fmt.Errorf("store: server key %s has %d bytes, want %d: restore it from a backup, or remove it (every API key then stops working)", path, len(key), secretKeySize)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: server key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("store: server key %s is readable by others and cannot be made private: %w", path, err)
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: server key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: server key: %w", err)
	}
	return &Secrets{path: path, aead: aead}, nil
}

// createSecretKey writes a fresh key; another process creating it at the
// same moment wins, and its key is read back.
func createSecretKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, secretKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	} else if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// seal encrypts plaintext, bound to context (additional data): nonce ||
// ciphertext.
func (s *Secrets) seal(plaintext []byte, context string) ([]byte, error) {
	aead, err := s.load()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(context)), nil
}

// open decrypts what seal returned for the same context.
func (s *Secrets) open(sealed []byte, context string) ([]byte, error) {
	aead, err := s.load()
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, errors.New("sealed secret too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
}
