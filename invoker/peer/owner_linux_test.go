package peer

import (
	"net"
	"os"
	"testing"
)

// BenchmarkSocketOwner measures the same-user check's lookup, done once
// per connection, with the sockets this machine has open.
func BenchmarkSocketOwner(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	remote, local := server.RemoteAddr().(*net.TCPAddr), server.LocalAddr().(*net.TCPAddr)
	for b.Loop() {
		uid, err := Owner(remote, local)
		if err != nil || uid != os.Getuid() {
			b.Fatalf("uid %d, %v", uid, err)
		}
	}
}

// BenchmarkSocketOwnerProc measures the /proc/net/tcp fallback.
func BenchmarkSocketOwnerProc(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	remote, local := server.RemoteAddr().(*net.TCPAddr), server.LocalAddr().(*net.TCPAddr)
	for b.Loop() {
		uid, err := procSocketOwner(remote, local)
		if err != nil || uid != os.Getuid() {
			b.Fatalf("uid %d, %v", uid, err)
		}
	}
}
