// Command history measures the invocation history at a million rows.
//
// It builds a database of -n invocations (2 KB events, eight functions,
// mixed statuses, a few kinds of errors, spread over 60 days) through the
// store's own write path (BeginInvocation, then FinishInvocation, as the
// invoker records every run), and keeps it at -db so that a rerun skips the
// build. Then it serves the dashboard in process (web.New, the real router
// and handlers, requests through ServeHTTP) and measures p50 and p95 of the
// history's first page, its filters, text searches, the trends page and the
// error groups, and the cost of recording one more invocation.
//
// Run it from the repository root (it is not run by CI or the tests):
//
//	go run ./bench/history -db /tmp/lambdadeck-history-1m.db
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/web"
)

// The words the searches look for: rareWord is in one event of every
// rareEvery, commonWord in nine events of ten.
const (
	rareWord   = "zanzibar-quartz"
	rareEvery  = 100_000
	commonWord = "customer"
)

var functionNames = []string{"orders", "payments", "users", "search", "images", "mailer", "reports", "webhooks"}

func main() {
	dbPath := flag.String("db", "", "the database file: built there if missing or short, reused otherwise (required)")
	n := flag.Int("n", 1_000_000, "invocations to build")
	days := flag.Int("days", 60, "days the invocations are spread over, ending now")
	runs := flag.Int("runs", 40, "requests per measured page")
	buildOnly := flag.Bool("build-only", false, "build the database and stop")
	flag.Parse()
	if *dbPath == "" {
		fmt.Fprintln(os.Stderr, "history: -db is required (a path to keep the built database at, e.g. /tmp/lambdadeck-history-1m.db)")
		os.Exit(2)
	}
	if *n <= 0 || *days <= 0 || *runs <= 0 {
		fmt.Fprintln(os.Stderr, "history: -n, -days and -runs must be positive")
		os.Exit(2)
	}
	if err := run(*dbPath, *n, *days, *runs, *buildOnly); err != nil {
		fmt.Fprintln(os.Stderr, "history:", err)
		os.Exit(1)
	}
}

func run(path string, n, days, runs int, buildOnly bool) error {
	ctx := context.Background()
	opened := time.Now()
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("opened (migrations included) in %s\n", time.Since(opened).Round(time.Millisecond))
	have, err := db.CountInvocations(ctx, store.InvocationFilter{})
	if err != nil {
		return err
	}
	if have < n {
		fmt.Printf("building %d invocations in %s (%d there)...\n", n-have, path, have)
		start := time.Now()
		if err := build(ctx, db, have, n, days); err != nil {
			return err
		}
		fmt.Printf("built in %s\n", time.Since(start).Round(time.Second))
	} else {
		fmt.Printf("reusing %s (%d invocations)\n", path, have)
	}
	if st, err := os.Stat(path); err == nil {
		fmt.Printf("database file: %.1f MB\n", float64(st.Size())/1e6)
	}
	if buildOnly {
		return nil
	}
	// The background indexer files failures under their groups; here it
	// catches up once, timed, before the pages are measured.
	indexed := time.Now()
	read, err := db.IndexErrors(ctx, 0)
	if err != nil {
		return err
	}
	fmt.Printf("error indexer read %d new invocations in %s\n", read, time.Since(indexed).Round(time.Millisecond))
	return measure(ctx, db, runs)
}

// build records invocations from..n-1 through the store's write path. Row
// i starts at a time that grows with i, so the history is spread evenly
// over the days up to the moment the build began.
func build(ctx context.Context, db *store.DB, from, n, days int) error {
	end := time.Now()
	span := time.Duration(days) * 24 * time.Hour
	step := span / time.Duration(n)
	rng := rand.New(rand.NewPCG(1, uint64(from)))
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 80)
	last := time.Now()
	for i := from; i < n; i++ {
		fn := functionNames[i%len(functionNames)]
		started := end.Add(-span + time.Duration(i)*step)
		inv := &lambdadeck.Invocation{
			RequestID:    fmt.Sprintf("%08x-bench-4000-8000-%012x", i, rng.Uint64()&0xffffffffffff),
			Function:     fn,
			Source:       lambdadeck.SourceAPI,
			Event:        event(i, rng, filler),
			Context:      []byte(`{"functionName":"` + fn + `","memoryLimitInMB":"256"}`),
			MemorySizeMB: 256,
			StartedAt:    started,
		}
		if err := db.BeginInvocation(ctx, inv); err != nil {
			return err
		}
		finish(inv, i, rng)
		if err := db.FinishInvocation(ctx, inv); err != nil {
			return err
		}
		if time.Since(last) > 30*time.Second {
			fmt.Printf("  %d/%d\n", i+1, n)
			last = time.Now()
		}
	}
	return nil
}

// event is a 2 KB JSON event; most mention commonWord, one in rareEvery
// rareWord.
func event(i int, rng *rand.Rand, filler string) []byte {
	word := commonWord
	if i%10 == 9 {
		word = "visitor"
	}
	note := ""
	if i%rareEvery == rareEvery/2 {
		note = " " + rareWord
	}
	doc := map[string]any{
		"httpMethod": "POST",
		"path":       fmt.Sprintf("/orders/%d", rng.IntN(1_000_000)),
		"body":       fmt.Sprintf("a %s placed order %d%s", word, i, note),
		"headers":    map[string]string{"content-type": "application/json", "x-trace": fmt.Sprintf("%016x", rng.Uint64())},
		"padding":    filler[:1800],
	}
	b, _ := json.Marshal(doc)
	return b
}

// errorKinds are the failures the build records, with messages carrying
// ids, numbers and quoted values as real ones do.
var errorKinds = []func(rng *rand.Rand) *lambdadeck.FunctionError{
	func(rng *rand.Rand) *lambdadeck.FunctionError {
		return &lambdadeck.FunctionError{Type: "ValidationError", Message: fmt.Sprintf("order %d has no line items", rng.IntN(1e6))}
	},
	func(rng *rand.Rand) *lambdadeck.FunctionError {
		return &lambdadeck.FunctionError{Type: "TypeError", Message: "Cannot read properties of undefined (reading 'id')"}
	},
	func(rng *rand.Rand) *lambdadeck.FunctionError {
		return &lambdadeck.FunctionError{Type: "UserNotFound", Message: fmt.Sprintf(`user "%08x-1234-4abc-8def-%012x" not found`, rng.Uint32(), rng.Uint64()&0xffffffffffff)}
	},
	func(rng *rand.Rand) *lambdadeck.FunctionError {
		return &lambdadeck.FunctionError{Type: "Error", Message: fmt.Sprintf("connect ECONNREFUSED 10.0.%d.%d:5432 after %dms", rng.IntN(255), rng.IntN(255), rng.IntN(5000))}
	},
}

// finish sets the outcome of row i: nine in ten succeed, the others fail,
// time out or crash.
func finish(inv *lambdadeck.Invocation, i int, rng *rand.Rand) {
	inv.Cold = i%20 == 0
	if inv.Cold {
		inv.InitDuration = time.Duration(80+rng.IntN(300)) * time.Millisecond
	}
	inv.Duration = time.Duration(2000+rng.ExpFloat64()*40000) * time.Microsecond
	inv.MaxMemoryUsedMB = 60 + rng.IntN(120)
	inv.Logs = "START RequestId: " + inv.RequestID + " Version: $LATEST\nprocessing\nEND RequestId: " + inv.RequestID + "\n"
	switch r := i % 100; {
	case r < 90:
		inv.Status = lambdadeck.StatusSucceeded
		inv.Payload = []byte(`{"statusCode":200,"body":"ok"}`)
		inv.ContentType = "application/json"
	case r < 97:
		inv.Status = lambdadeck.StatusFailed
		inv.Error = errorKinds[(i/100)%len(errorKinds)](rng)
		inv.Payload, _ = json.Marshal(map[string]string{"errorType": inv.Error.Type, "errorMessage": inv.Error.Message})
	case r < 99:
		inv.Status = lambdadeck.StatusTimedOut
		inv.Duration = 3 * time.Second
		inv.Error = &lambdadeck.FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("%s Task timed out after 3.00 seconds", inv.RequestID)}
	default:
		inv.Status = lambdadeck.StatusCrashed
		inv.Error = &lambdadeck.FunctionError{Type: "Runtime.ExitError", Message: "RequestId: " + inv.RequestID + " Error: Runtime exited with error: exit status 1"}
	}
	inv.BilledDuration = inv.Duration.Truncate(time.Millisecond) + time.Millisecond
	inv.EndedAt = inv.StartedAt.Add(inv.Duration)
}

// benchInvoker lists the benchmark's functions; nothing is invoked.
type benchInvoker struct{ functions []lambdadeck.Function }

func (b benchInvoker) Functions() []lambdadeck.Function { return b.functions }

func (b benchInvoker) Function(name string) (lambdadeck.Function, error) {
	for _, fn := range b.functions {
		if fn.Name == name {
			return fn, nil
		}
	}
	return lambdadeck.Function{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "function not found: %s", name)
}

func (benchInvoker) Invoke(context.Context, lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error) {
	return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "the benchmark invokes nothing")
}

// measure serves the dashboard on db in process and times its pages.
func measure(ctx context.Context, db *store.DB, runs int) error {
	var fns []lambdadeck.Function
	for _, name := range functionNames {
		fns = append(fns, lambdadeck.Function{Name: name, Runtime: "nodejs20.x", Handler: "index.handler",
			MemoryMB: 256, Timeout: 3 * time.Second, Architecture: "x86_64", Concurrency: 10})
	}
	srv, err := web.New(web.Config{
		Invoker:      benchInvoker{functions: fns},
		Store:        db,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version:      "bench",
		AllowedHosts: []string{"example.com"},
	})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	from := now.Add(-9 * 24 * time.Hour).Format("2006-01-02T15:04")
	to := now.Add(-8 * 24 * time.Hour).Format("2006-01-02T15:04")
	pages := []struct{ name, target, want string }{
		{"history, first page", "/invocations", ""},
		{"history, function filter", "/invocations?function=payments", ""},
		{"history, status filter", "/invocations?status=failed", ""},
		{"history, date range (one day)", "/invocations?" + url.Values{"from": {from}, "to": {to}}.Encode(), ""},
		{"history, rare text", "/invocations?q=" + rareWord, rareWord},
		{"history, common word (first page)", "/invocations?q=" + commonWord, "about "},
		{"trends, 30 days", "/functions/payments/trends?range=30d", ""},
		{"error groups", "/errors", ""},
	}
	fmt.Printf("\n%-36s %9s %9s\n", "page", "p50", "p95")
	for _, p := range pages {
		var times []time.Duration
		for i := range runs + 2 {
			req := httptest.NewRequest(http.MethodGet, p.target, nil)
			rec := httptest.NewRecorder()
			start := time.Now()
			srv.ServeHTTP(rec, req)
			took := time.Since(start)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("GET %s: %d %s", p.target, rec.Code, firstLine(rec.Body.String()))
			}
			if p.want != "" && !strings.Contains(rec.Body.String(), p.want) {
				return fmt.Errorf("GET %s: the page does not show %q", p.target, p.want)
			}
			if i >= 2 { // the first two warm the caches
				times = append(times, took)
			}
		}
		p50, p95 := percentiles(times)
		fmt.Printf("%-36s %9s %9s\n", p.name, ms(p50), ms(p95))
	}

	// One more invocation recorded, as the invoker records it.
	rng := rand.New(rand.NewPCG(7, 7))
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 80)
	var times []time.Duration
	for i := range runs * 5 {
		inv := &lambdadeck.Invocation{
			RequestID:    fmt.Sprintf("record-%d-%d", time.Now().UnixNano(), i),
			Function:     "orders",
			Source:       lambdadeck.SourceAPI,
			Event:        event(i, rng, filler),
			MemorySizeMB: 256,
		}
		start := time.Now()
		if err := db.BeginInvocation(ctx, inv); err != nil {
			return err
		}
		finish(inv, i, rng)
		if err := db.FinishInvocation(ctx, inv); err != nil {
			return err
		}
		times = append(times, time.Since(start))
	}
	p50, p95 := percentiles(times)
	fmt.Printf("%-36s %9s %9s\n", "record one invocation (begin+finish)", ms(p50), ms(p95))
	return nil
}

// percentiles returns the nearest-rank p50 and p95 of ts.
func percentiles(ts []time.Duration) (p50, p95 time.Duration) {
	s := slices.Clone(ts)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return rank(0.50), rank(0.95)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
