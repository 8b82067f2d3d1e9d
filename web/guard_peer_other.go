//go:build !linux

package web

import "net"

// socketOwner is unsupported outside Linux: the same-user check lets every
// connection in there (the README says so).
func socketOwner(remote, local *net.TCPAddr) (int, error) {
	return 0, errNoPeerLookup
}
