package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck/store"
)

// localUser returns the uid and gid of a local account, creating it (no
// home, a system account) if it is missing. Creating accounts needs root.
func localUser(t *testing.T, name string) (uint32, uint32) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("the same-user check is tested with other local accounts, which needs root")
	}
	if _, err := user.Lookup(name); err != nil {
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
			// Another test binary may have created it meanwhile.
			if _, lookupErr := user.Lookup(name); lookupErr != nil {
				t.Fatalf("useradd %s: %v\n%s", name, err, out)
			}
		}
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return uint32(uid), uint32(gid)
}

// curlAs runs curl as uid:gid and returns the status and the body.
func curlAs(t *testing.T, uid, gid uint32, args ...string) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	cmd := exec.Command("curl", append([]string{"-sS", "--max-time", "30", "-w", "\n%{http_code}"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl as uid %d %v: %v\n%s", uid, args, err, out)
	}
	text := strings.TrimRight(string(out), "\n")
	i := strings.LastIndex(text, "\n")
	code, err := strconv.Atoi(text[i+1:])
	if err != nil {
		t.Fatalf("curl output %q", out)
	}
	return code, text[:max(i, 0)]
}

// TestSameUserCheck: another local account can neither read the dashboard
// nor run a function, through the browser's routes or the Lambda API; the
// owner and root can. Both ways of serving are tested: the listener
// wiring serve uses (the peer noted per connection) and a plain
// httptest server (looked up per request).
func TestSameUserCheck(t *testing.T) {
	otherUID, otherGID := localUser(t, "lambdadeck-other")
	thirdUID, thirdGID := localUser(t, "lambdadeck-third")

	start := func(t *testing.T, owner int, wired bool) (string, *fakeInvoker) {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lambdadeck.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fi := &fakeInvoker{db: db, functions: testFunctions()}
		srv, err := New(Config{Invoker: fi, Store: db, Version: "test", OwnerUID: owner})
		if err != nil {
			t.Fatal(err)
		}
		if !wired {
			ts := httptest.NewServer(srv)
			t.Cleanup(ts.Close)
			return ts.URL, fi
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := srv.HTTPServer(srv)
		go hs.Serve(srv.Listener(ln))
		t.Cleanup(func() { hs.Close() })
		return "http://" + ln.Addr().String(), fi
	}
	invoke := func(base string) []string {
		return []string{"-X", "POST", "-d", `{"a":1}`, base + "/2015-03-31/functions/hello/invocations"}
	}

	for _, wired := range []bool{true, false} {
		t.Run("wired="+strconv.FormatBool(wired), func(t *testing.T) {
			// Owned by root (the test's user): another account is refused.
			base, fi := start(t, 0, wired)
			if code, body := curlAs(t, otherUID, otherGID, base+"/functions/hello"); code != http.StatusForbidden ||
				strings.Contains(body, "orders") || !strings.Contains(body, "uid "+strconv.Itoa(int(otherUID))) {
				t.Errorf("another user reading the function page: %d %s", code, body)
			}
			if code, body := curlAs(t, otherUID, otherGID, invoke(base)...); code != http.StatusForbidden ||
				!strings.Contains(body, `"message"`) {
				t.Errorf("another user invoking through the API: %d %s", code, body)
			}
			// A client that sends its request and closes at once leaves a
			// time-wait socket listed under uid 0: it must not pass as root.
			sh := exec.Command("bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/"$1"; printf 'POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Length: 2\r\n\r\n{}' "$1" >&3; exec 3>&-`,
				"bash", base[strings.LastIndex(base, ":")+1:])
			sh.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherGID}}
			if out, err := sh.CombinedOutput(); err != nil {
				t.Fatalf("send and close: %v %s", err, out)
			}
			if code, _ := curlAs(t, 0, 0, base+"/healthz"); code != http.StatusOK {
				t.Errorf("root (the owner) reading /healthz: %d", code)
			}
			if code, body := curlAs(t, 0, 0, invoke(base)...); code != http.StatusOK {
				t.Errorf("root (the owner) invoking: %d %s", code, body)
			}
			time.Sleep(100 * time.Millisecond) // let the send-and-close request be handled
			if n := fi.callCount(); n != 1 {
				t.Errorf("%d invocations ran, want only the owner's", n)
			}

			// Owned by another account: it passes, root passes, a third
			// account does not.
			base, fi = start(t, int(otherUID), wired)
			if code, body := curlAs(t, otherUID, otherGID, invoke(base)...); code != http.StatusOK {
				t.Errorf("the owner invoking: %d %s", code, body)
			}
			if code, body := curlAs(t, 0, 0, base+"/functions/hello"); code != http.StatusOK {
				t.Errorf("root reading another owner's dashboard: %d %s", code, body)
			}
			if code, body := curlAs(t, thirdUID, thirdGID, invoke(base)...); code != http.StatusForbidden {
				t.Errorf("a third user invoking: %d %s", code, body)
			}
			if n := fi.callCount(); n != 1 {
				t.Errorf("%d invocations ran, want 1", n)
			}
		})
	}
}
