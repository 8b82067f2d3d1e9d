// Command speed measures lambdadeck's invocation path against AWS's Runtime
// Interface Emulator (which records nothing), in one run, on this machine:
//
//   - warm invocations through the Invoke API, 1 keep-alive client, of the
//     same aws-lambda-go handler binary under both (p50, req/s), and of a
//     Node.js and a Python handler under lambdadeck (compared with its Go
//     path);
//   - 4 and 16 clients on one function with concurrency 16 (the emulator in
//     its max-concurrency mode, AWS_LAMBDA_MAX_CONCURRENCY=16): throughput,
//     errors, and rows lost (every answered request id is looked up in the
//     database afterwards);
//   - one `lambdadeck invoke` of a Node.js handler, whole process, against
//     the lambda-local CLI (npm, 2.2.0);
//   - lambdadeck's resident memory over many invocations.
//
// Rounds are interleaved (lambdadeck, emulator, lambdadeck, ...) so that a
// drift of the shared machine's speed falls on both. It builds lambdadeck,
// the handler and the emulator (go install, into the user cache folder) and
// installs lambda-local there with npm the first time.
//
// Run it from the repository root: go run ./bench/speed
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

// The emulator's module and version on the Go module proxy.
const (
	riePackage         = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	rieVersion         = "v0.0.0-20261030222936-bef5c4ba774d"
	lambdaLocalVersion = "2.2.0"
)

const template = `Transform: AWS::Serverless-2016-10-31
Resources:
  GoFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: go
      Runtime: provided.al2023
      Handler: bootstrap
      CodeUri: gofn/
      MemorySize: 512
      ReservedConcurrentExecutions: 16
  NodeFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: node
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: node/
      MemorySize: 512
  PythonFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: python
      Runtime: python3.12
      Handler: app.handler
      CodeUri: python/
      MemorySize: 512
`

// The handlers answer what the Go greet handler answers.
const (
	nodeHandler   = "exports.handler = async (event) => ({ message: 'Hello, ' + event.name + '!', echoes: Array(event.times || 0).fill(event.name) });\n"
	pythonHandler = "def handler(event, context):\n    return {'message': 'Hello, ' + event['name'] + '!', 'echoes': [event['name']] * event.get('times', 0)}\n"
	event         = `{"name":"speed","times":2}`
)

type options struct {
	rounds   int
	warmN    int
	loadN    int
	cliRuns  int
	memN     int
	keep     bool
	skipCLI  bool
	cacheDir string
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved rounds")
	flag.IntVar(&o.warmN, "n", 1000, "invocations per round and target, 1 client")
	flag.IntVar(&o.loadN, "load-n", 3000, "invocations per round and target with 4 and 16 clients")
	flag.IntVar(&o.cliRuns, "cli-runs", 10, "whole-process CLI invocations of each tool")
	flag.IntVar(&o.memN, "mem-n", 50000, "invocations of the memory run (0: none)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	flag.BoolVar(&o.skipCLI, "skip-cli", false, "skip the CLI comparison")
	cache, _ := os.UserCacheDir()
	flag.StringVar(&o.cacheDir, "cache", filepath.Join(cache, "lambdadeck-bench"), "where the emulator and lambda-local are kept between runs")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one row of the table.
type result struct {
	name       string
	lat        []time.Duration
	n, errors  int
	elapsed    time.Duration
	lost       int
	unindexed  int
	requestIDs []string
}

func (r *result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

func (r *result) rate() float64 {
	if r.elapsed == 0 {
		return 0
	}
	return float64(r.n-r.errors) / r.elapsed.Seconds() // answered invocations
}

func run(o options) error {
	dir, err := os.MkdirTemp("", "lambdadeck-bench-speed-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return err
	}
	fmt.Println("building lambdadeck, the Go handler and the emulator...")
	bin := filepath.Join(dir, "lambdadeck")
	if err := runCmd("", nil, "go", "build", "-o", bin, "./cmd/lambdadeck"); err != nil {
		return fmt.Errorf("go build (run this from the repository root): %w", err)
	}
	for _, sub := range []string{"gofn", "node", "python", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	// The same aws-lambda-go binary for both: invoker/testdata/go/greet.
	bootstrap := filepath.Join(dir, "gofn", "bootstrap")
	if err := runCmd("invoker/testdata/go", []string{"CGO_ENABLED=0"}, "go", "build", "-o", bootstrap, "./greet"); err != nil {
		return fmt.Errorf("build the Go handler: %w", err)
	}
	rie := filepath.Join(o.cacheDir, "aws-lambda-rie-"+rieVersion)
	if _, err := os.Stat(rie); err != nil {
		gobin := filepath.Join(o.cacheDir, "gobin")
		if err := runCmd(o.cacheDir, []string{"GOBIN=" + gobin, "GOFLAGS=-mod=mod"}, "go", "install", riePackage+"@"+rieVersion); err != nil {
			return fmt.Errorf("build the emulator: %w", err)
		}
		if err := os.Rename(filepath.Join(gobin, "aws-lambda-rie"), rie); err != nil {
			return err
		}
	}
	files := map[string]string{
		"template.yaml": template,
		"node/index.js": nodeHandler,
		"python/app.py": pythonHandler,
		"event.json":    event,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}

	db := filepath.Join(dir, "state", "lambdadeck.db")
	ld, err := startLambdadeck(bin, dir, db)
	if err != nil {
		return err
	}
	defer ld.kill()
	rieOne, err := startRIE(rie, bootstrap, filepath.Join(dir, "rie.log"), 0)
	if err != nil {
		return err
	}
	defer rieOne.kill()
	rieMax, err := startRIE(rie, bootstrap, filepath.Join(dir, "rie-max.log"), 16)
	if err != nil {
		return err
	}
	defer rieMax.kill()

	ldURL := func(fn string) string { return ld.url + "/2015-03-31/functions/" + fn + "/invocations" }
	rieURL := func(s *proc) string { return s.url + "/2015-03-31/functions/function/invocations" }

	rows := map[string]*result{}
	row := func(name string) *result {
		if rows[name] == nil {
			rows[name] = &result{name: name}
		}
		return rows[name]
	}
	// Cold starts (and the first build) outside the timing.
	// The classic emulator serves one invocation at a time, so it (and the
	// Node.js and Python functions, used by one client) warm up with one.
	for u, clients := range map[string]int{ldURL("go"): 16, rieURL(rieMax): 16, ldURL("node"): 1, ldURL("python"): 1, rieURL(rieOne): 1} {
		if err := load(u, clients, 64, nil); err != nil && u != rieURL(rieMax) {
			return fmt.Errorf("warm-up %s: %w", u, err)
		}
	}
	rssStart := rss(ld.cmd.Process.Pid)

	fmt.Printf("%d interleaved rounds: %d warm invocations per target with 1 client, %d with 4 and 16 clients\n", o.rounds, o.warmN, o.loadN)
	for r := range o.rounds {
		fmt.Printf("round %d/%d\n", r+1, o.rounds)
		steps := []struct {
			row     string
			url     string
			clients int
			n       int
		}{
			{"ld go 1", ldURL("go"), 1, o.warmN},
			{"rie go 1", rieURL(rieOne), 1, o.warmN},
			{"ld node 1", ldURL("node"), 1, o.warmN},
			{"ld python 1", ldURL("python"), 1, o.warmN},
			{"ld go 4", ldURL("go"), 4, o.loadN},
			{"rie go 4", rieURL(rieMax), 4, o.loadN},
			{"ld go 16", ldURL("go"), 16, o.loadN},
			{"rie go 16", rieURL(rieMax), 16, o.loadN},
		}
		for _, s := range steps {
			if err := load(s.url, s.clients, s.n, row(s.row)); err != nil {
				return fmt.Errorf("%s: %w", s.row, err)
			}
		}
	}
	rssAfter := rss(ld.cmd.Process.Pid)

	var mem []string
	if o.memN > 0 {
		fmt.Printf("memory: %d invocations with 4 clients\n", o.memN)
		mem = append(mem, fmt.Sprintf("start %.0f MB", rssStart))
		step := max(o.memN/5, 1)
		for done := 0; done < o.memN; done += step {
			if err := load(ldURL("go"), 4, step, row("ld mem")); err != nil {
				return fmt.Errorf("memory run: %w", err)
			}
			mem = append(mem, fmt.Sprintf("%dk %.0f MB", (done+step)/1000, rss(ld.cmd.Process.Pid)))
		}
	}
	if err := ld.stop(); err != nil {
		return err
	}
	if err := checkRows(db, rows); err != nil {
		return err
	}

	var cli *cliResult
	if !o.skipCLI {
		if cli, err = compareCLI(o, dir, bin); err != nil {
			return err
		}
	}

	printTable(o, rows, cli)
	fmt.Printf("\nlambdadeck resident memory: %.0f MB after warm-up, %.0f MB after the rounds", rssStart, rssAfter)
	if len(mem) > 0 {
		fmt.Printf("; memory run: %s", strings.Join(mem, ", "))
	}
	fmt.Println()
	return nil
}

func runCmd(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// proc is a server the bench started.
type proc struct {
	cmd     *exec.Cmd
	url     string
	logs    *bytes.Buffer
	logFile string // where the logs are instead, if set
}

// kill stops the server: SIGTERM, so that it stops its runtimes, then
// SIGKILL if it is still there after 5 s.
func (p *proc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func (p *proc) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		p.kill()
		return errors.New("lambdadeck did not stop on SIGTERM")
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startLambdadeck(bin, dir, db string) (*proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-t", filepath.Join(dir, "template.yaml"), "--addr", addr, "--api-addr", apiAddr,
		"--db", db, "--watch=false")
	cmd.Dir = dir
	p := &proc{cmd: cmd, url: "http://" + apiAddr, logs: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return p, waitUp(p, "http://"+addr+"/healthz")
}

// startRIE starts the emulator on the handler binary; maxConcurrency > 0
// starts it in its max-concurrency mode with that many runtimes. That mode
// looks for the bootstrap only in /var/task, /var/runtime or /opt, so it
// runs in a mount namespace of its own (unshare, as root) where the
// handler's folder is mounted at /var/task; nothing outside it changes.
func startRIE(rie, bootstrap, logFile string, maxConcurrency int) (*proc, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := freePort() // its Runtime API (default 127.0.0.1:9001)
	if err != nil {
		return nil, err
	}
	args := []string{"--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAddr, "--log-level", "error"}
	var cmd *exec.Cmd
	if maxConcurrency > 0 {
		script := `mount -t tmpfs tmpfs /var && mkdir /var/task && mount --bind "$0" /var/task && cd /var/task && exec "$@"`
		cmd = exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, filepath.Dir(bootstrap), rie}, args...)...)
	} else {
		cmd = exec.Command(rie, append(args, bootstrap)...)
	}
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", "LOG_LEVEL=error")
	if maxConcurrency > 0 {
		cmd.Env = append(cmd.Env, "AWS_LAMBDA_MAX_CONCURRENCY="+strconv.Itoa(maxConcurrency))
	}
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &proc{cmd: cmd, url: "http://" + addr, logs: &bytes.Buffer{}, logFile: logFile}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return p, waitUp(p, "")
}

// waitUp waits for the server to answer: health (a GET) when given, else
// any HTTP answer at all.
func waitUp(p *proc, health string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var resp *http.Response
		var err error
		if health != "" {
			resp, err = http.Get(health)
		} else {
			resp, err = http.Get(p.url + "/")
		}
		if err == nil {
			resp.Body.Close()
			if health == "" || resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			p.kill()
			logs := p.logs.Bytes()
			if p.logFile != "" {
				logs, _ = os.ReadFile(p.logFile)
			}
			return fmt.Errorf("%s did not start: %s", p.cmd.Path, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// load sends n invocations from the given number of keep-alive clients
// and adds them to r (nil: a warm-up whose figures are dropped).
func load(url string, clients, n int, r *result) error {
	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	lats := make([][]time.Duration, clients)
	ids := make([][]string, clients)
	body := []byte(event)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for next.Add(1) <= int64(n) {
				t := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				got := 0
				for {
					k, err := resp.Body.Read(buf[got:])
					got += k
					if err != nil || got == len(buf) {
						break
					}
				}
				resp.Body.Close()
				d := time.Since(t)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" ||
					!bytes.Contains(buf[:got], []byte("Hello, speed!")) {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, buf[:got]))
					continue
				}
				lats[c] = append(lats[c], d)
				if id := resp.Header.Get("x-amzn-RequestId"); id != "" {
					ids[c] = append(ids[c], id)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if r == nil {
		if failed.Load() > 0 {
			return fmt.Errorf("%d of %d failed: %v", failed.Load(), n, firstErr.Load())
		}
		return nil
	}
	r.elapsed += elapsed
	r.n += n
	r.errors += int(failed.Load())
	for c := range clients {
		r.lat = append(r.lat, lats[c]...)
		r.requestIDs = append(r.requestIDs, ids[c]...)
	}
	return nil
}

// checkRows looks every request id lambdadeck answered up in its database
// (after it stopped): a missing or unfinished row is lost. It also counts
// the answered rows the search index does not have.
func checkRows(path string, rows map[string]*result) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	lookup, err := db.Prepare(`SELECT status, EXISTS (SELECT 1 FROM invocation_search WHERE rowid = invocations.id) FROM invocations WHERE request_id = ?`)
	if err != nil {
		return err
	}
	defer lookup.Close()
	for name, r := range rows {
		if !strings.HasPrefix(name, "ld ") {
			continue
		}
		for _, id := range r.requestIDs {
			var status string
			var indexed bool
			err := lookup.QueryRow(id).Scan(&status, &indexed)
			switch {
			case errors.Is(err, sql.ErrNoRows), err == nil && status != "succeeded":
				r.lost++
			case err != nil:
				return err
			case !indexed:
				r.unindexed++
			}
		}
		// An answer without a request id cannot be looked up: lost too.
		r.lost += r.n - r.errors - len(r.requestIDs)
	}
	return nil
}

// rss is a process's resident memory in MB.
func rss(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

type cliResult struct {
	ld, ll []time.Duration
	ratios []float64
}

// compareCLI times `lambdadeck invoke node` and `lambda-local` on the same
// handler and event, whole processes, alternately.
func compareCLI(o options, dir, bin string) (*cliResult, error) {
	llDir := filepath.Join(o.cacheDir, "lambda-local-"+lambdaLocalVersion)
	ll := filepath.Join(llDir, "node_modules", "lambda-local", "build", "cli.js")
	if _, err := os.Stat(ll); err != nil {
		if err := runCmd("", nil, "npm", "install", "--no-audit", "--no-fund", "--prefix", llDir, "lambda-local@"+lambdaLocalVersion); err != nil {
			return nil, fmt.Errorf("install lambda-local: %w", err)
		}
		if _, err := os.Stat(ll); err != nil {
			return nil, err
		}
	}
	ldCmd := []string{bin, "invoke", "node", "-t", filepath.Join(dir, "template.yaml"), "--event", filepath.Join(dir, "event.json"),
		"--db", filepath.Join(dir, "cli", "lambdadeck.db")}
	llCmd := []string{"node", ll, "-l", filepath.Join(dir, "node", "index.js"), "-h", "handler", "-e", filepath.Join(dir, "event.json"), "--verboselevel", "1"}
	fmt.Printf("CLI: %d whole-process invocations of each, alternately\n", o.cliRuns)
	res := &cliResult{}
	for i := -1; i < o.cliRuns; i++ { // the first pair warms the page cache
		a, err := timeProcess(dir, ldCmd)
		if err != nil {
			return nil, fmt.Errorf("lambdadeck invoke: %w", err)
		}
		b, err := timeProcess(dir, llCmd)
		if err != nil {
			return nil, fmt.Errorf("lambda-local: %w", err)
		}
		if i >= 0 {
			res.ld, res.ll = append(res.ld, a), append(res.ll, b)
			res.ratios = append(res.ratios, a.Seconds()/b.Seconds())
		}
	}
	return res, nil
}

func timeProcess(dir string, argv []string) (time.Duration, error) {
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, out.String())
	}
	if !strings.Contains(out.String(), "Hello, speed!") {
		return 0, fmt.Errorf("unexpected output: %s", out.String())
	}
	return d, nil
}

func median[T int64 | float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func printTable(o options, rows map[string]*result, cli *cliResult) {
	host, _ := os.Hostname()
	fmt.Printf("\n%s, %s, %d CPUs (%s), %d rounds\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), host, nproc(), cpuModel(), o.rounds)
	fmt.Println("| Path | lambdadeck | AWS Runtime Interface Emulator (records nothing) | ratio |")
	fmt.Println("|---|---|---|---|")
	ldGo, rieGo := rows["ld go 1"], rows["rie go 1"]
	fmt.Printf("| warm, 1 client, Go handler | p50 %s, p99 %s, %.0f req/s | p50 %s, p99 %s, %.0f req/s | p50 %.2fx |\n",
		ms(ldGo.p(0.5)), ms(ldGo.p(0.99)), ldGo.rate(), ms(rieGo.p(0.5)), ms(rieGo.p(0.99)), rieGo.rate(),
		ldGo.p(0.5).Seconds()/rieGo.p(0.5).Seconds())
	for _, lang := range []string{"node", "python"} {
		r := rows["ld "+lang+" 1"]
		name := map[string]string{"node": "Node.js", "python": "Python"}[lang]
		fmt.Printf("| warm, 1 client, %s handler | p50 %s, p99 %s, %.0f req/s | - | p50 %.2fx lambdadeck's Go |\n",
			name, ms(r.p(0.5)), ms(r.p(0.99)), r.rate(), r.p(0.5).Seconds()/ldGo.p(0.5).Seconds())
	}
	for _, c := range []string{"4", "16"} {
		l, e := rows["ld go "+c], rows["rie go "+c]
		fmt.Printf("| warm, %s clients, Go handler, concurrency 16 | %.0f req/s, p50 %s, %d errors, %d lost rows, %d unindexed | %.0f req/s (max-concurrency mode), p50 %s, %d errors | throughput %.2fx |\n",
			c, l.rate(), ms(l.p(0.5)), l.errors, l.lost, l.unindexed, e.rate(), ms(e.p(0.5)), e.errors, l.rate()/e.rate())
	}
	if m := rows["ld mem"]; m != nil {
		fmt.Printf("| memory run, 4 clients, Go handler | %d invocations, %.0f req/s, %d errors, %d lost rows, %d unindexed | - | - |\n",
			m.n, m.rate(), m.errors, m.lost, m.unindexed)
	}
	if cli != nil {
		fmt.Printf("\n| One CLI invocation, whole process, Node.js | lambdadeck invoke | lambda-local %s | ratio |\n|---|---|---|---|\n", lambdaLocalVersion)
		fmt.Printf("| median of %d (min-max) | %s (%s-%s) | %s (%s-%s) | %.2fx (median of pairwise ratios) |\n", len(cli.ld),
			ms(median(cli.ld)), ms(slices.Min(cli.ld)), ms(slices.Max(cli.ld)),
			ms(median(cli.ll)), ms(slices.Min(cli.ll)), ms(slices.Max(cli.ll)), median(cli.ratios))
	}
}

func nproc() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "model name\t: "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "unknown CPU"
}
