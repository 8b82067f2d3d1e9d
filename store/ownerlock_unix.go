//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// ownerLock is a shared flock on a file beside the database, held by every
// open DB for its lifetime, so that a process opening the database can tell
// whether another one (a server, while the CLI records an invocation) is
// still using it and may have invocations legitimately running.
type ownerLock struct{ f *os.File }

// lockOwner takes the exclusive lock if it can, calls ifAlone while holding
// it (no other process can open the database meanwhile), then keeps a
// shared lock until release. ifAlone is not called when another process
// holds the database open.
func lockOwner(dbPath string, ifAlone func() error) (*ownerLock, error) {
	f, err := os.OpenFile(dbPath+"-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open lock file: %w", err)
	}
	// Private whatever the umask, and tightened if an older lambdadeck
	// created it world-readable.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock file: %w", err)
	}
	fd := int(f.Fd())
	if syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		if err := ifAlone(); err != nil {
			f.Close()
			return nil, err
		}
	}
	// Downgrade (or, if another process holds it, share). Blocks only while
	// another process runs its own ifAlone.
	if err := syscall.Flock(fd, syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: lock %s: %w", f.Name(), err)
	}
	return &ownerLock{f: f}, nil
}

// release drops the lock.
func (l *ownerLock) release() error { return l.f.Close() }
