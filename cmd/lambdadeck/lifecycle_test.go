package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is not a test: run by a test as a child process with
// LAMBDADECK_HELPER_ARGS set, it is lambdadeck itself (Run with those
// arguments), so that the test can kill it with SIGKILL.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("LAMBDADECK_HELPER_ARGS")
	if args == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, strings.Split(args, "\x1f"), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// lambdadeckProcess is lambdadeck serving in a child process.
type lambdadeckProcess struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
}

// startLambdadeck runs `lambdadeck serve --addr 127.0.0.1:0 args...` as a
// child process in dir and waits until it listens.
func startLambdadeck(t testing.TB, dir string, args ...string) *lambdadeckProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAMBDADECK_HELPER_ARGS="+strings.Join(append([]string{"serve", "--addr", "127.0.0.1:0", "--watch=false"}, args...), "\x1f"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &lambdadeckProcess{cmd: cmd}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Signal(syscall.SIGTERM)
			p.cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Listening on "); ok {
			p.base = rest
			break
		}
	}
	if p.base == "" {
		t.Fatal("lambdadeck did not start")
	}
	go io.Copy(io.Discard, stdout)
	return p
}

// kill9 kills lambdadeck with SIGKILL: no clean-up code of its own runs.
func (p *lambdadeckProcess) kill9(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// alive reports whether pid is a running process (not a zombie).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	return i >= 0 && len(data) > i+2 && data[i+2] != 'Z' && data[i+2] != 'X'
}

// waitDead waits (up to 15 s) for every pid to be gone and reports those
// still running.
func waitDead(pids ...int) []int {
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left []int
		for _, pid := range pids {
			if alive(pid) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKill9LeavesNoProcesses: lambdadeck killed with SIGKILL takes every
// process of its instances with it, even a handler's grandchild that left
// the runtime's session and process group (setsid): within seconds, and
// at the latest at the next start of the same state folder.
func TestKill9LeavesNoProcesses(t *testing.T) {
	requireRuntimes(t)
	dir := t.TempDir()
	files := map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Spawner:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: spawner
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Timeout: 10
  NodeSpawner:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: nodespawner
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: js/
      Timeout: 10
`,
		"py/app.py": `import os, subprocess
def handler(event, context):
    p = subprocess.Popen(["sleep", "300"], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"runtime": os.getpid(), "grandchild": p.pid}
`,
		"js/app.js": `const { spawn } = require("child_process");
exports.handler = async () => {
  const p = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  p.unref();
  return { runtime: process.pid, grandchild: p.pid };
};
`,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ld := startLambdadeck(t, dir)
	var pids []int
	for _, fn := range []string{"spawner", "nodespawner"} {
		for range 2 {
			var got struct{ Runtime, Grandchild int }
			body := postJSON(t, ld.base+"/2015-03-31/functions/"+fn+"/invocations", `{}`)
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Runtime == 0 || got.Grandchild == 0 {
				t.Fatalf("%s answered %s", fn, body)
			}
			pids = append(pids, got.Runtime, got.Grandchild)
		}
	}
	if len(pids) < 8 {
		t.Fatalf("want 8 pids (2 functions × 2 invocations × runtime and grandchild), got %v", pids)
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("pid %d is not running before the kill", pid)
		}
	}
	ld.kill9(t)
	if left := waitDead(pids...); len(left) > 0 {
		t.Errorf("%d of %d processes outlived lambdadeck's SIGKILL: %v", len(left), len(pids), left)
		// The next start of the same state folder must finish them.
		again := startLambdadeck(t, dir)
		if left := waitDead(left...); len(left) > 0 {
			t.Errorf("still running after the next start: %v", left)
		}
		again.cmd.Process.Signal(syscall.SIGTERM)
		again.cmd.Wait()
	}
	// A clean stop leaves no records behind.
	again := startLambdadeck(t, dir)
	again.cmd.Process.Signal(syscall.SIGTERM)
	again.cmd.Wait()
	if entries, _ := os.ReadDir(filepath.Join(dir, ".lambdadeck", "run")); len(entries) != 0 {
		t.Errorf("records left after a clean stop: %v", entries)
	}
}

func postJSON(t testing.TB, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// peakRSS reads a process's peak resident memory (VmHWM) in bytes.
func peakRSS(t testing.TB, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestLargePermalinksHaveBoundedMemory: 50 people opening the permalinks
// of 50 invocations with 6 MB events at once cost the server less than
// 300 MB at its peak (the measure is memory, not time): pages carry the
// first 256 KiB of each part, read as such from the store.
func TestLargePermalinksHaveBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 MB of invocations")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(`Transform: AWS::Serverless-2016-10-31
Resources:
  Big:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: big
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
`), 0o644)
	const n = 50
	ids := seedLargeInvocations(t, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"), n)
	ld := startLambdadeck(t, dir)
	idle := peakRSS(t, ld.cmd.Process.Pid)

	errs := make(chan error, n)
	for _, id := range ids {
		go func() {
			resp, err := http.Get(ld.base + "/invocations/" + id)
			if err == nil {
				var size int64
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && (resp.StatusCode != http.StatusOK || size < 256*1024) {
					err = fmt.Errorf("GET %s: %d, %d bytes", id, resp.StatusCode, size)
				}
			}
			errs <- err
		}()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	peak := peakRSS(t, ld.cmd.Process.Pid)
	t.Logf("peak RSS: %d MB after start, %d MB after %d concurrent permalinks of 6 MB invocations", idle>>20, peak>>20, n)
	if peak > 300<<20 {
		t.Errorf("the server peaked at %d MB; the bound is 300 MB", peak>>20)
	}
}

func TestStreamLimitFlag(t *testing.T) {
	writeProject(t)
	for _, bad := range []string{"0", "-5", "99999"} {
		code, _, stderr := run(t, "", "serve", "--addr", "127.0.0.1:0", "--stream-limit", bad)
		if code != exitUsage || !strings.Contains(stderr, "--stream-limit must be between 1 and 10240 MB") {
			t.Errorf("--stream-limit %s: exit %d, %s", bad, code, stderr)
		}
	}
	if code, _, stderr := run(t, "", "serve", "--stream-limit", "lots"); code != exitUsage || !strings.Contains(stderr, "stream-limit") {
		t.Errorf("--stream-limit lots: exit %d, %s", code, stderr)
	}
}
