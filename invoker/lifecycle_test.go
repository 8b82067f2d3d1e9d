package invoker

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestInstanceDyingIdleIsReplaced: an instance that dies between
// invocations (it closed its output and fell over, or something killed it
// while it was frozen) never serves the next event: the next caller gets a
// new instance, and sees a normal cold start, not Runtime.ExitError.
func TestInstanceDyingIdleIsReplaced(t *testing.T) {
	t.Parallel()
	type tcase struct {
		name string
		fn   func(t *testing.T) lambdadeck.Function
	}
	cases := []tcase{
		{"python closes stdout and stderr", func(t *testing.T) lambdadeck.Function {
			requirePython(t)
			dir := pyWriteCode(t, map[string]string{"app.py": `import os
calls = 0
def handler(event, context):
    global calls
    calls += 1
    if calls == 1:
        os.close(1)
        os.close(2)
    return {"calls": calls}
`})
			return pythonFunction("pyclose", "", "app.handler", dir)
		}},
		{"node destroys stdout", func(t *testing.T) lambdadeck.Function {
			requireNode(t)
			return nodeFunction(t, "nodeclose", "index.handler", map[string]string{"index.js": `
let calls = 0;
exports.handler = async () => {
  calls++;
  if (calls === 1) { process.stdout.destroy(); process.stderr.destroy(); }
  return { calls };
};`})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fn := c.fn(t)
			iv := newTestInvoker(t, nil, fn)
			first := invoke(t, iv, fn.Name, `{}`)
			if first.Status != lambdadeck.StatusSucceeded {
				t.Fatalf("first: %s %s\n%s", first.Status, first.Payload, first.Logs)
			}
			// Let whatever the first invocation set going happen.
			time.Sleep(300 * time.Millisecond)
			for i := 2; i <= 3; i++ {
				next := invoke(t, iv, fn.Name, `{}`)
				if next.Status != lambdadeck.StatusSucceeded || next.Error != nil {
					t.Fatalf("invocation %d: %s %s\n%s", i, next.Status, next.Payload, next.Logs)
				}
			}
		})
	}
}

// TestIdleInstanceKilledWhileFrozenLeavesThePool: an idle (frozen)
// instance that is killed is dropped from the pool at once, and the next
// invocation starts a new one.
func TestIdleInstanceKilledWhileFrozenLeavesThePool(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	fn := customFunction(t, "victim", `
echo $$ > `+pidFile+`
while true; do next; respond '"ok"'; done`)
	iv := newTestInvoker(t, nil, fn)
	if inv := invoke(t, iv, "victim", `{}`); inv.Status != lambdadeck.StatusSucceeded {
		t.Fatalf("first: %s\n%s", inv.Status, inv.Logs)
	}
	pid := readPID(t, pidFile)
	if err := killPID(pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		live, idle, _ := iv.PoolStats("victim")
		if live == 0 && idle == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead instance is still in the pool: live %d idle %d", live, idle)
		}
		time.Sleep(20 * time.Millisecond)
	}
	next := invoke(t, iv, "victim", `{}`)
	if next.Status != lambdadeck.StatusSucceeded || !next.Cold {
		t.Fatalf("after the kill: %s cold=%v %s\n%s", next.Status, next.Cold, next.Payload, next.Logs)
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

// TestStartKillsWhatADeadOwnerLeft: the records of a lambdadeck that died
// are acted on at the next start: the processes whose start times match
// are killed with their descendants; a live process whose pid is recorded
// with another start time (a recycled pid) is left alone.
func TestStartKillsWhatADeadOwnerLeft(t *testing.T) {
	t.Parallel()
	requireTools(t, "sh", "sleep")
	stateDir := t.TempDir()
	// A leftover runtime with a child, and an unrelated process.
	leftover := exec.Command("sh", "-c", "sleep 300 & wait")
	leftover.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	bystander := exec.Command("sleep", "300")
	for _, c := range []*exec.Cmd{leftover, bystander} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	}
	var child []int
	for deadline := time.Now().Add(5 * time.Second); len(child) == 0 && time.Now().Before(deadline); {
		child = childPIDs(leftover.Process.Pid)
		time.Sleep(10 * time.Millisecond)
	}
	if len(child) == 0 {
		t.Fatal("the leftover's child did not start")
	}
	start, _ := startTime(leftover.Process.Pid)
	byStart, _ := startTime(bystander.Process.Pid)
	// The owner "1-1-dead" is not running (pid 1 started at another tick).
	owner := filepath.Join(stateDir, "run", "1-1-dead")
	os.MkdirAll(owner, 0o755)
	record := fmt.Sprintf("pid %d %d\npid %d %d\n", leftover.Process.Pid, start, bystander.Process.Pid, byStart+1)
	if err := os.WriteFile(filepath.Join(owner, "1.pids"), []byte(record), 0o644); err != nil {
		t.Fatal(err)
	}
	iv := newTestInvokerIn(t, stateDir)
	leftover.Wait()
	waitGone(t, child[0])
	if err := syscall.Kill(bystander.Process.Pid, 0); err != nil {
		t.Errorf("the process with a recycled pid was killed: %v", err)
	}
	if _, err := os.Stat(owner); !os.IsNotExist(err) {
		t.Errorf("the dead owner's records are still there: %v", err)
	}
	iv.Close()
	if entries, _ := os.ReadDir(filepath.Join(stateDir, "run")); len(entries) != 0 {
		t.Errorf("Close left records: %v", entries)
	}
}

// TestInstancesRunInTheirOwnCgroup: where cgroup v2 is writable, each
// instance gets a cgroup that holds all its processes, even one that left
// its session, and that is gone once the instance stopped.
func TestInstancesRunInTheirOwnCgroup(t *testing.T) {
	t.Parallel()
	requireTools(t, "setsid")
	parent := ownCgroup()
	if parent == "" {
		t.Skip("no cgroup v2 hierarchy here: instances run without cgroups (the records and the watchdog still apply)")
	}
	pidFile := filepath.Join(t.TempDir(), "escaped.pid")
	fn := customFunction(t, "cg", `
while true; do
  next
  setsid sleep 300 > /dev/null 2>&1 &
  echo $! > `+pidFile+`
  respond '1'
done`)
	iv := newTestInvoker(t, nil, fn)
	if iv.procs.cgroup == "" {
		t.Skipf("cannot create a cgroup under %s: instances run without one", parent)
	}
	invoke(t, iv, "cg", `{}`)
	escaped := readPID(t, pidFile)
	data, err := os.ReadFile("/proc/" + strconv.Itoa(escaped) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), filepath.Base(iv.procs.cgroup)+"/") {
		t.Fatalf("the escaped process is not in the instance's cgroup: %s", data)
	}
	iv.Close()
	waitGone(t, escaped)
	if _, err := os.Stat(iv.procs.cgroup); !os.IsNotExist(err) {
		t.Errorf("the cgroup %s is still there after Close", iv.procs.cgroup)
	}
}

func newTestInvokerIn(t *testing.T, stateDir string, fns ...lambdadeck.Function) *Invoker {
	t.Helper()
	iv, err := New(Config{Functions: fns, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	return iv
}
