// Command bigpages measures two things about a real lambdadeck process:
//
//   - pages: the peak resident memory (VmHWM) of the server while N people
//     open the permalinks of N invocations with 6 MB events at once;
//   - orphans: how many processes of its instances (runtimes, and the
//     handlers' grandchildren that left their session with setsid) are
//     still running after lambdadeck is killed with SIGKILL, a few seconds
//     later and after the next start of the same state folder.
//
// It builds lambdadeck from this module (or runs -bin), works in a temporary
// folder, binds only 127.0.0.1 and prints one line per figure:
//
//	go run ./bench/bigpages            # both
//	go run ./bench/bigpages -run pages -n 50
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

func main() {
	bin := flag.String("bin", "", "the lambdadeck `binary` to measure (default: build ./cmd/lambdadeck)")
	which := flag.String("run", "pages,orphans", "what to measure: pages, orphans or both")
	n := flag.Int("n", 50, "concurrent permalinks (pages) or invocations (orphans: at most 10 run at once per function)")
	flag.Parse()
	if err := run(*bin, *which, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bigpages:", err)
		os.Exit(1)
	}
}

func run(bin, which string, n int) error {
	tmp, err := os.MkdirTemp("", "bigpages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "lambdadeck")
		build := exec.Command("go", "build", "-o", bin, "./cmd/lambdadeck")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build (run from the module root): %w", err)
		}
	}
	if strings.Contains(which, "pages") {
		if err := pages(bin, filepath.Join(tmp, "pages"), n); err != nil {
			return err
		}
	}
	if strings.Contains(which, "orphans") {
		if err := orphans(bin, filepath.Join(tmp, "orphans"), n); err != nil {
			return err
		}
	}
	return nil
}

const template = `Transform: AWS::Serverless-2016-10-31
Resources:
  Spawner:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: spawner
      Runtime: python3.12
      Handler: app.handler
      CodeUri: py/
      Timeout: 30
`

const spawner = `import os, subprocess, time
def handler(event, context):
    p = subprocess.Popen(["sleep", "600"], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # keep the instance busy so that concurrent calls get instances of their own
    return {"runtime": os.getpid(), "grandchild": p.pid}
`

func writeProject(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "py"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(template), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "py", "app.py"), []byte(spawner), 0o644)
}

// server is lambdadeck serving in dir.
type server struct {
	cmd  *exec.Cmd
	base string
}

func start(bin, dir string) (*server, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--watch=false")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Listening on "); ok {
			go io.Copy(io.Discard, out)
			return &server{cmd: cmd, base: rest}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("lambdadeck did not start in %s", dir)
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for %d", pid)
}

// pages seeds n invocations with a 6 MB event, a 1 MB response and a
// 300 KB log, then opens their n permalinks at once.
func pages(bin, dir string, n int) error {
	if err := writeProject(dir); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	if err != nil {
		return err
	}
	event := append([]byte(`{"data":"`), bytes.Repeat([]byte("abcdefgh"), (6<<20)/8-2)...)
	event = append(event, `"}`...)
	payload := bytes.Repeat([]byte(`{"k":"v"},`), (1<<20)/10)
	logs := string(bytes.Repeat([]byte("a log line of the handler\n"), 300*1024/26))
	ids := make([]string, n)
	for i := range ids {
		inv := &lambdadeck.Invocation{RequestID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Function: "spawner",
			Source: lambdadeck.SourceAPI, Event: event, Status: lambdadeck.StatusRunning, MemorySizeMB: 128, StartedAt: time.Now()}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			return err
		}
		inv.Payload, inv.Logs, inv.Status, inv.EndedAt = payload, logs, lambdadeck.StatusSucceeded, time.Now()
		if err := db.FinishInvocation(ctx, inv); err != nil {
			return err
		}
		ids[i] = inv.RequestID
	}
	db.Close()
	srv, err := start(bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	idle, err := peakRSS(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var pageBytes int64
	var firstErr error
	began := time.Now()
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.base + "/invocations/" + id)
			var size int64
			if err == nil {
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("GET %s: %s", id, resp.Status)
				}
			}
			mu.Lock()
			pageBytes += size
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	peak, err := peakRSS(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("pages: %d concurrent permalinks of 6 MB invocations: peak RSS %d MB (%d MB after start), %.1f KB per page, %v\n",
		n, peak>>20, idle>>20, float64(pageBytes)/float64(n)/1024, time.Since(began).Round(time.Millisecond))
	return nil
}

// orphans invokes a handler that leaves a setsid'd grandchild n times (up
// to 10 at once), kills lambdadeck with SIGKILL and counts what is left.
func orphans(bin, dir string, n int) error {
	if err := writeProject(dir); err != nil {
		return err
	}
	srv, err := start(bin, dir)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]bool{}
	sem := make(chan struct{}, 10)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			resp, err := http.Post(srv.base+"/2015-03-31/functions/spawner/invocations", "application/json", strings.NewReader("{}"))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var got struct{ Runtime, Grandchild int }
			if json.NewDecoder(resp.Body).Decode(&got) == nil && got.Runtime > 0 {
				mu.Lock()
				seen[got.Runtime], seen[got.Grandchild] = true, true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var pids []int
	for pid := range seen {
		pids = append(pids, pid)
	}
	before := count(pids)
	srv.cmd.Process.Kill()
	srv.cmd.Wait()
	time.Sleep(5 * time.Second)
	after := count(pids)
	for _, pid := range pids {
		if alive(pid) {
			cg, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			fmt.Fprintf(os.Stderr, "left after 5 s: %d %s %q\n", pid, bytes.TrimSpace(stat), lastLine(cg))
		}
	}
	again, err := start(bin, dir)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	afterRestart := count(pids)
	again.stop()
	for _, pid := range pids { // leave the machine as it was
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	fmt.Printf("orphans: %d invocations, %d processes (runtimes and setsid'd grandchildren) running; after kill -9: %d left after 5 s, %d after the next start\n",
		n, before, after, afterRestart)
	return nil
}

func count(pids []int) int {
	n := 0
	for _, pid := range pids {
		if alive(pid) {
			n++
		}
	}
	return n
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && len(data) > i+2 && data[i+2] != 'Z' && data[i+2] != 'X'
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
