// Package peer tells which local user opened a loopback TCP connection, and
// refuses connections from users other than the owner: lambdadeck's
// listeners run code as the user who started it, so another account on the
// same machine must not reach them (see the README's security model).
package peer

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// ErrNotSupported: this system offers no way to find a socket's owner.
var ErrNotSupported = errors.New("peer lookup is not supported here")

// ErrNotFound: no local socket matches the connection's client end.
var ErrNotFound = errors.New("no local socket is the client end of this connection")

// Check refuses a connection opened by a local user other than owner (root
// is always let in). A client on another machine (possible only on a
// listener bound beyond loopback) has no local socket and is let through;
// a loopback client whose socket cannot be found (it closed it already) is
// refused, as is one whose owner cannot be told. Where the system cannot
// look sockets up at all, every connection is let in.
func Check(remote, local *net.TCPAddr, owner int) error {
	uid, err := Owner(remote, local)
	switch {
	case errors.Is(err, ErrNotSupported):
		return nil
	case errors.Is(err, ErrNotFound):
		if remote.IP.IsLoopback() {
			return errors.New("lambdadeck cannot tell which user opened this connection, so it refuses it")
		}
		return nil
	case err != nil:
		return fmt.Errorf("lambdadeck cannot tell which user opened this connection: %v", err)
	case uid == 0 || uid == owner:
		return nil
	}
	return fmt.Errorf("lambdadeck serves only the user who started it (uid %d) and root; this connection comes from uid %d", owner, uid)
}

// Listener accepts only connections that pass Check for Owner; the others
// are closed at once, before a byte is read, and logged.
type Listener struct {
	net.Listener
	Owner  int
	Logger *slog.Logger // nil: refusals are not logged
}

// Accept returns the next connection that passes Check.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		remote, ok1 := c.RemoteAddr().(*net.TCPAddr)
		local, ok2 := c.LocalAddr().(*net.TCPAddr)
		if !ok1 || !ok2 {
			return c, nil
		}
		if err := Check(remote, local, l.Owner); err != nil {
			if l.Logger != nil {
				l.Logger.Warn("refused a connection", "listener", local.String(), "reason", err.Error())
			}
			c.Close()
			continue
		}
		return c, nil
	}
}
