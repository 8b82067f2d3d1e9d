// Command async measures what becomes of Event invocations: it builds
// lambdadeck, serves a small template from a temporary state folder, and
//
//  1. sends 2,000 Event invocations (a tenth of which fail once and are
//     retried) and counts how many were accepted, how many ran, and the
//     attempts and retries it took;
//  2. sends 200 Event and 200 RequestResponse invocations, kills lambdadeck
//     with SIGKILL while they run, counts the handler processes left
//     behind, restarts lambdadeck on the same state folder and checks that
//     every accepted event ran at least once.
//
// Run it from the repository root: go run ./bench/async
package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

const template = `Transform: AWS::Serverless-2016-10-31
Resources:
  Work:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: work
      Runtime: nodejs20.x
      CodeUri: src/
      Handler: index.work
      ReservedConcurrentExecutions: 10
      EventInvokeConfig:
        MaximumRetryAttempts: 2
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: slow
      Runtime: nodejs20.x
      CodeUri: src/
      Handler: index.slow
      Timeout: 30
      ReservedConcurrentExecutions: 10
`

// The handlers: work fails the first attempt of every tenth event (a file
// per event remembers it), slow takes 300 ms.
const handlers = `const fs = require('fs');
const path = require('path');
exports.work = async (event) => {
  if (event.i % 10 === 0) {
    const seen = path.join(process.env.SEEN_DIR, String(event.i));
    if (!fs.existsSync(seen)) { fs.writeFileSync(seen, '1'); throw new Error('first attempt fails'); }
  }
  return { done: event.i };
};
exports.slow = async (event) => { await new Promise(r => setTimeout(r, 300)); return { done: event.i }; };
`

func main() {
	events := flag.Int("events", 2000, "Event invocations in the first run")
	crashEvents := flag.Int("crash-events", 200, "Event invocations sent before the kill")
	crashSync := flag.Int("crash-sync", 200, "RequestResponse invocations sent before the kill")
	keep := flag.Bool("keep", false, "keep the temporary folder")
	flag.Parse()
	if err := run(*events, *crashEvents, *crashSync, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(events, crashEvents, crashSync int, keep bool) error {
	dir, err := os.MkdirTemp("", "lambdadeck-bench-async-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "lambdadeck")
	fmt.Println("building lambdadeck...")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lambdadeck")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build (run this from the repository root): %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return err
	}
	seen := filepath.Join(dir, "seen")
	if err := os.MkdirAll(seen, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "index.js"), []byte(handlers), 0o644); err != nil {
		return err
	}
	// SEEN_DIR reaches the handler through the template's Environment.
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(strings.Replace(template,
		"      EventInvokeConfig:", "      Environment:\n        Variables:\n          SEEN_DIR: "+seen+"\n      EventInvokeConfig:", 1)), 0o644); err != nil {
		return err
	}

	// Run 1: 2,000 events.
	srv, err := startServer(bin, dir)
	if err != nil {
		return err
	}
	start := time.Now()
	accepted, ids, refused := sendEvents(srv.url, "work", 0, events, 50)
	acceptTime := time.Since(start)
	if err := srv.waitDrained("work", 10*time.Minute); err != nil {
		srv.kill()
		return err
	}
	drainTime := time.Since(start)
	if err := srv.stop(); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "state", "lambdadeck.db")+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	ran, attempts, retried := eventFigures(db, ids)
	fmt.Printf("\nRun 1: %d Event invocations of work (concurrency 10), every tenth failing its first attempt\n", events)
	fmt.Printf("  accepted (202):            %d (refused: %d)\n", accepted, refused)
	fmt.Printf("  ran to Success:            %d\n", ran)
	fmt.Printf("  attempts:                  %d (%d retries)\n", attempts, retried)
	fmt.Printf("  time to accept all:        %s (%.0f events/s)\n", acceptTime.Round(time.Millisecond), float64(accepted)/acceptTime.Seconds())
	fmt.Printf("  time until all had run:    %s (%.0f events/s)\n", drainTime.Round(time.Millisecond), float64(accepted)/drainTime.Seconds())

	// Run 2: kill -9 during 200 async and 200 sync invocations.
	srv, err = startServer(bin, dir)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var syncOK, syncThrottled, syncLost atomic.Int64
	var asyncIDs []string
	var asyncAccepted int
	eventsSent := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(eventsSent)
		asyncAccepted, asyncIDs, _ = sendEvents(srv.url, "slow", 100000, crashEvents, 20)
	}()
	// The sync invocations start once every event has been accepted and
	// the first have run; lambdadeck is killed 150 ms later: events are
	// then running and queued, and sync invocations waiting (they go first
	// once a slot frees).
	<-eventsSent
	for deadline := time.Now().Add(60 * time.Second); countDone(db, "slow") < 20 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	go func() {
		defer wg.Done()
		sendSync(srv.url, "slow", crashSync, 20, &syncOK, &syncThrottled, &syncLost)
	}()
	time.Sleep(150 * time.Millisecond) // half an invocation: events still run, sync ones wait
	syncBefore := syncOK.Load()
	var crashState struct{ queued, done int }
	children := descendants(srv.cmd.Process.Pid)
	srv.kill()
	wg.Wait()
	db.QueryRow(`SELECT count(*) FROM async_events WHERE function = 'slow' AND state <> 'done'`).Scan(&crashState.queued)
	db.QueryRow(`SELECT count(*) FROM async_events WHERE function = 'slow' AND state = 'done'`).Scan(&crashState.done)
	time.Sleep(500 * time.Millisecond)
	left := alive(children)
	fmt.Printf("\nRun 2: %d Event + %d RequestResponse invocations of slow (300 ms, concurrency 10), lambdadeck killed with SIGKILL mid-run\n", crashEvents, crashSync)
	fmt.Printf("  events accepted (202) before the kill:   %d (%d done, %d queued or running at the kill)\n", asyncAccepted, crashState.done, crashState.queued)
	fmt.Printf("  sync answered 200 / 429 / cut off:       %d / %d / %d (%d answered before the kill)\n", syncOK.Load(), syncThrottled.Load(), syncLost.Load(), syncBefore)
	fmt.Printf("  handler processes when killed:           %d\n", len(children))
	fmt.Printf("  handler processes left behind (0.5 s on): %d\n", len(left))
	for _, pid := range left {
		syscall.Kill(pid, syscall.SIGKILL) // the bench's own leftovers
	}

	restart := time.Now()
	srv, err = startServer(bin, dir)
	if err != nil {
		return err
	}
	if err := srv.waitDrained("slow", 10*time.Minute); err != nil {
		srv.kill()
		return err
	}
	afterRestart := time.Since(restart)
	if err := srv.stop(); err != nil {
		return err
	}
	ran, attempts, _ = eventFigures(db, asyncIDs)
	var interrupted, interruptedAttempts int
	db.QueryRow(`SELECT count(*) FROM invocations WHERE function = 'slow' AND status = 'interrupted'`).Scan(&interrupted)
	db.QueryRow(`SELECT count(*) FROM invocations AS i JOIN invocation_attempts AS a ON a.invocation_id = i.id
		WHERE i.function = 'slow' AND i.status = 'interrupted'`).Scan(&interruptedAttempts)
	fmt.Printf("  after the restart, accepted events run:  %d of %d (in %s; %d attempts, so %d ran more than once)\n",
		ran, asyncAccepted, afterRestart.Round(time.Millisecond), attempts, attempts-ran)
	fmt.Printf("  invocations marked interrupted:          %d (%d of them event attempts, run again)\n", interrupted, interruptedAttempts)
	if ran != asyncAccepted {
		return fmt.Errorf("%d accepted events never ran", asyncAccepted-ran)
	}
	return nil
}

// server is one lambdadeck serve process.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startServer(bin, dir string) (*server, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-t", filepath.Join(dir, "template.yaml"), "--addr", addr,
		"--db", filepath.Join(dir, "state", "lambdadeck.db"), "--async-retry-delay", "200ms", "--watch=false")
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: "http://" + addr, logs: logs}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("lambdadeck did not start: %s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return fmt.Errorf("lambdadeck did not stop on SIGTERM")
	}
}

// waitDrained waits until /healthz shows no unfinished event of function.
func (s *server) waitDrained(function string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			var h struct {
				AsyncQueue []struct {
					Function string `json:"function"`
					Depth    int    `json:"depth"`
				} `json:"asyncQueue"`
			}
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			depth := 0
			for _, q := range h.AsyncQueue {
				if q.Function == function {
					depth = q.Depth
				}
			}
			if depth == 0 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the queue of %s did not drain in %s", function, limit)
}

// sendEvents sends n Event invocations from workers goroutines and
// returns how many were accepted with their request ids.
func sendEvents(url, function string, first, n, workers int) (accepted int, ids []string, refused int) {
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req, _ := http.NewRequest(http.MethodPost, url+"/2015-03-31/functions/"+function+"/invocations",
					strings.NewReader(`{"i":`+strconv.Itoa(first+i)+`}`))
				req.Header.Set("X-Amz-Invocation-Type", "Event")
				resp, err := client.Do(req)
				mu.Lock()
				if err == nil && resp.StatusCode == http.StatusAccepted {
					accepted++
					ids = append(ids, resp.Header.Get("x-amzn-RequestId"))
				} else {
					refused++
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return accepted, ids, refused
}

func sendSync(url, function string, n, workers int, ok, throttled, lost *atomic.Int64) {
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 60 * time.Second}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				resp, err := client.Post(url+"/2015-03-31/functions/"+function+"/invocations", "application/json",
					strings.NewReader(`{"i":`+strconv.Itoa(200000+i)+`}`))
				switch {
				case err != nil:
					lost.Add(1)
				case resp.StatusCode == http.StatusOK:
					ok.Add(1)
				case resp.StatusCode == http.StatusTooManyRequests:
					throttled.Add(1)
				default:
					lost.Add(1)
				}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// countDone is how many of function's events are done.
func countDone(db *sql.DB, function string) int {
	var n int
	db.QueryRow(`SELECT count(*) FROM async_events WHERE function = ? AND state = 'done'`, function).Scan(&n)
	return n
}

// eventFigures counts, for the given events, those that ended Success with
// a succeeded attempt, all their attempts, and the attempts after the first.
func eventFigures(db *sql.DB, ids []string) (ran, attempts, retried int) {
	for _, id := range ids {
		var condition string
		var dispatches int
		if err := db.QueryRow(`SELECT condition, dispatches FROM async_events WHERE request_id = ?`, id).Scan(&condition, &dispatches); err != nil {
			continue
		}
		var succeeded int
		db.QueryRow(`SELECT count(*) FROM invocation_attempts AS a JOIN invocations AS i ON i.id = a.invocation_id
			WHERE a.event_id = ? AND i.status = 'succeeded'`, id).Scan(&succeeded)
		if condition == "Success" && succeeded > 0 {
			ran++
		}
		attempts += dispatches
		retried += dispatches - 1
	}
	return ran, attempts, retried
}

// descendants lists every process below pid (its handlers and theirs).
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		line, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		// pid (comm) state ppid ...: comm may hold spaces, so read after ')'.
		if i := strings.LastIndexByte(line, ')'); i >= 0 {
			fields := strings.Fields(line[i+1:])
			if len(fields) > 1 {
				ppid, _ := strconv.Atoi(fields[1])
				children[ppid] = append(children[ppid], p)
			}
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// alive returns the pids that still run (zombies are not running).
func alive(pids []int) []int {
	var out []int
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "stat"))
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && len(b) > i+2 && b[i+2] != 'Z' {
			out = append(out, p)
		}
	}
	return out
}
