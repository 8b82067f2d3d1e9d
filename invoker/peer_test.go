package invoker

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// TestRuntimeAPIRefusesOtherLocalUsers: each instance's Runtime API
// listener is on 127.0.0.1, so another account on the machine could take
// the next event or post a response of its own; it is refused before a
// byte is read, while the instance keeps serving its own runtime.
func TestRuntimeAPIRefusesOtherLocalUsers(t *testing.T) {
	requireNode(t)
	if os.Getuid() != 0 {
		t.Skip("the same-user check is tested with another local account, which needs root")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	const name = "lambdadeck-other"
	if _, err := user.Lookup(name); err != nil {
		if out, err := exec.Command("useradd", "-M", "-r", "-s", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
			if _, lookupErr := user.Lookup(name); lookupErr != nil {
				t.Fatalf("useradd: %v\n%s", err, out)
			}
		}
	}
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)

	fn := nodeFunction(t, "where", "index.handler", map[string]string{
		"index.js": `exports.handler = async () => process.env.AWS_LAMBDA_RUNTIME_API;`,
	}, func(f *lambdadeck.Function) { f.Concurrency = 1 })
	iv := nodeInvoker(t, fn)
	inv := nodeInvoke(t, iv, "where", `{}`)
	addr := strings.Trim(string(inv.Payload), `"`)
	if inv.Status != lambdadeck.StatusSucceeded || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("first invocation: %s %s", inv.Status, inv.Payload)
	}

	// The instance is idle, its runtime long-polling /next: another user
	// asking for the next event gets the connection closed, not the event.
	curl := exec.Command("curl", "-sS", "--max-time", "5", "http://"+addr+"/2018-06-01/runtime/invocation/next")
	curl.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	curl.Dir = "/"
	out, err := curl.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || (exit.ExitCode() != 52 && exit.ExitCode() != 56) {
		t.Fatalf("another user's GET /next: %v, want the connection closed (curl exit 52 or 56)\n%s", err, out)
	}

	// The owner's runtime was not disturbed: the next event is its own.
	again := nodeInvoke(t, iv, "where", `{}`)
	if again.Status != lambdadeck.StatusSucceeded || again.Cold || string(again.Payload) != string(inv.Payload) {
		t.Fatalf("second invocation: %s cold=%v %s", again.Status, again.Cold, again.Payload)
	}
}
