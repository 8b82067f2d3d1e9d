//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair with the standard library alone.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		t.Skipf("ptsname: %v", e)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("open pts: %v", err)
	}
	return master, slave
}

// TestInvokeResponseEndsWithNewlineOnTerminal: on a terminal the response
// ends with a newline (so the shell's prompt does not run on); in a pipe it
// is exactly the function's bytes.
func TestInvokeResponseEndsWithNewlineOnTerminal(t *testing.T) {
	requireRuntimes(t)
	writeProject(t)
	master, slave := openPTY(t)
	defer master.Close()
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"invoke", "greeter", "--event", "event.json", "--quiet"}, strings.NewReader(""), slave, &stderr)
	slave.Close()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	master.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, _ := io.ReadAll(master) // ends with EIO once the slave is closed
	// The terminal turns \n into \r\n.
	if got := string(out); !strings.HasSuffix(got, "}\r\n") || !strings.Contains(got, `"greeting":"hello Ada"`) {
		t.Errorf("terminal got %q", got)
	}
	code, stdout, _ := run(t, "", "invoke", "greeter", "--event", "event.json", "--quiet")
	if code != exitOK || strings.HasSuffix(stdout, "\n") {
		t.Errorf("pipe got %q", stdout)
	}
}
