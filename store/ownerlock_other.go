//go:build !unix

package store

// ownerLock is a no-op where flock is unavailable: every Open acts as if it
// were the only process using the database.
type ownerLock struct{}

// lockOwner calls ifAlone unconditionally.
func lockOwner(dbPath string, ifAlone func() error) (*ownerLock, error) {
	return &ownerLock{}, ifAlone()
}

func (l *ownerLock) release() error { return nil }
