//go:build !linux

package peer

import "net"

// Owner is unsupported outside Linux: the same-user check lets every
// connection in there (the README says so).
func Owner(remote, local *net.TCPAddr) (int, error) {
	return 0, ErrNotSupported
}
