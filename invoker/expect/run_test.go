package expect

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// echoInvoker stands in for the invoker (the runner is under test, not the
// invoker; cmd/lambdadeck tests the two together with real processes). Its
// functions answer with their event and track how many run at once.
type echoInvoker struct {
	concurrency map[string]int
	mu          sync.Mutex
	running     map[string]int
	peak        map[string]int
	requests    []lambdadeck.InvokeRequest
}

func (e *echoInvoker) Function(name string) (lambdadeck.Function, error) {
	c, ok := e.concurrency[name]
	if !ok {
		return lambdadeck.Function{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "Function not found: %s", name)
	}
	return lambdadeck.Function{Name: name, Concurrency: c}, nil
}

func (e *echoInvoker) Invoke(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error) {
	if _, err := e.Function(req.Function); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.requests = append(e.requests, req)
	e.running[req.Function]++
	e.peak[req.Function] = max(e.peak[req.Function], e.running[req.Function])
	e.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // long enough for parallel cases to overlap
	e.mu.Lock()
	e.running[req.Function]--
	e.mu.Unlock()
	return &lambdadeck.Invocation{
		RequestID: "req-" + string(req.Event), Function: req.Function, FixtureID: req.FixtureID, Source: req.Source,
		Status: lambdadeck.StatusSucceeded, Payload: req.Event, Logs: "log of " + req.Function + "\n",
	}, nil
}

type resultLog struct {
	mu      sync.Mutex
	results map[string]lambdadeck.ExpectationResult
}

func (r *resultLog) SetExpectationResult(ctx context.Context, requestID string, result lambdadeck.ExpectationResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[requestID] = result
	return nil
}

func fixture(id int64, function, name, event string, assertions ...string) lambdadeck.Fixture {
	return lambdadeck.Fixture{ID: id, Function: function, Name: name, Event: json.RawMessage(event),
		Expectation: &lambdadeck.Expectation{Assertions: assertions}}
}

func TestPlan(t *testing.T) {
	deleted := fixture(4, "a", "gone", `{}`, "x exists")
	deleted.DeletedAt = time.Now()
	fixtures := []lambdadeck.Fixture{
		fixture(1, "b", "zeta", `{}`, "x exists"),
		fixture(2, "a", "beta", `{}`, "x exists"),
		fixture(3, "", "shared", `{}`, "x exists"),
		deleted,
		{ID: 5, Function: "a", Name: "no expectation", Event: json.RawMessage(`{}`)},
		fixture(6, "a", "alpha", `{}`, "x exists"),
	}
	describe := func(cases []Case) string {
		var parts []string
		for _, c := range cases {
			parts = append(parts, c.Function+"/"+c.Name()+map[bool]string{true: " (skip)"}[c.Skip != ""])
		}
		return strings.Join(parts, ", ")
	}
	if got := describe(Plan(fixtures, "")); got != "/shared (skip), a/alpha, a/beta, b/zeta" {
		t.Errorf("Plan all = %s", got)
	}
	if got := describe(Plan(fixtures, "a")); got != "a/alpha, a/beta, a/shared" {
		t.Errorf("Plan a = %s", got)
	}
}

func TestRunner(t *testing.T) {
	inv := &echoInvoker{concurrency: map[string]int{"one": 1, "three": 3}, running: map[string]int{}, peak: map[string]int{}}
	log := &resultLog{results: map[string]lambdadeck.ExpectationResult{}}
	var fixtures []lambdadeck.Fixture
	for i := range 6 {
		n := string(rune('a' + i))
		fixtures = append(fixtures, fixture(int64(i+1), "one", "one-"+n, `{"n":"`+n+`","host":"{{host}}"}`, `host == "dev.example"`))
		fixtures = append(fixtures, fixture(int64(i+11), "three", "three-"+n, `{"n":"`+n+`"}`, `n == "a"`))
	}
	fixtures = append(fixtures,
		fixture(30, "three", "unknown variable", `{"x":"{{nope}}"}`, "x exists"),
		fixture(31, "ghost", "unknown function", `{}`, "x exists"),
		fixture(32, "", "shared", `{}`, "x exists"),
	)
	cases := Plan(fixtures, "")
	runner := &Runner{Invoker: inv, Recorder: log, Variables: map[string]string{"host": "dev.example"}, UserAgent: "test"}
	var seen []string
	outcomes := runner.Run(context.Background(), cases, func(o Outcome) { seen = append(seen, o.Name()) })

	if len(outcomes) != len(cases) || len(seen) != len(cases) {
		t.Fatalf("%d outcomes, %d progress calls for %d cases", len(outcomes), len(seen), len(cases))
	}
	for i, o := range outcomes {
		if o.Name() != cases[i].Name() {
			t.Errorf("outcome %d is %s, want %s (case order)", i, o.Name(), cases[i].Name())
		}
	}
	if inv.peak["one"] != 1 || inv.peak["three"] < 2 || inv.peak["three"] > 3 {
		t.Errorf("peak concurrency: one %d (limit 1), three %d (limit 3)", inv.peak["one"], inv.peak["three"])
	}
	s := Summarize(outcomes)
	// one-*: 6 pass; three-*: a passes, 5 fail; unknown variable, unknown
	// function: errors; shared: skipped.
	if s != (Summary{Passed: 7, Failed: 5, Errors: 2, Skipped: 1}) || s.OK() || s.String() != "7 passed, 5 failed, 2 errors, 1 skipped" {
		t.Errorf("summary = %+v (%s)", s, s)
	}
	for _, o := range outcomes {
		switch o.Name() {
		case "unknown variable":
			if !strings.Contains(o.Err.Error(), "unknown variable {{nope}}") {
				t.Errorf("unknown variable: %v", o.Err)
			}
		case "unknown function":
			if lambdadeck.ErrorCode(o.Err) != lambdadeck.ENOTFOUND {
				t.Errorf("unknown function: %v", o.Err)
			}
		case "one-c":
			if string(o.Invocation.Payload) != `{"n":"c","host":"dev.example"}` || o.Invocation.Expectation == nil || !o.Invocation.Expectation.Passed {
				t.Errorf("one-c: payload %s, verdict %+v", o.Invocation.Payload, o.Invocation.Expectation)
			}
			if got := log.results[o.Invocation.RequestID]; !got.Passed {
				t.Errorf("stored verdict of one-c: %+v", got)
			}
		case "three-b":
			if got := log.results[o.Invocation.RequestID]; got.Passed || got.Failures[0] != `n == "a": got "b"` {
				t.Errorf("stored verdict of three-b: %+v", got)
			}
		}
	}
	for _, req := range inv.requests {
		if req.Source != lambdadeck.SourceTest || req.FixtureID == 0 || req.UserAgent != "test" {
			t.Errorf("request %+v", req)
		}
	}

	// A cancelled run ends every case waiting for a slot.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int32
	outcomes = runner.Run(ctx, Plan(fixtures[:4], ""), func(o Outcome) { ran.Add(1) })
	if int(ran.Load()) != len(outcomes) {
		t.Errorf("%d progress calls for %d outcomes", ran.Load(), len(outcomes))
	}
	for _, o := range outcomes {
		if o.Err == nil && o.Invocation == nil {
			t.Errorf("%s: neither ran nor failed", o.Name())
		}
	}
}

func TestWriteJUnit(t *testing.T) {
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	outcomes := []Outcome{
		{Case: Case{Fixture: lambdadeck.Fixture{Name: "ok"}, Function: "api"}, Elapsed: 1500 * time.Millisecond,
			Invocation: &lambdadeck.Invocation{RequestID: "r1", Logs: "hello <log> & more\n"},
			Result:     lambdadeck.ExpectationResult{Passed: true}},
		{Case: Case{Fixture: lambdadeck.Fixture{Name: "bad"}, Function: "api"}, Elapsed: 250 * time.Millisecond,
			Invocation: &lambdadeck.Invocation{RequestID: "r2", Status: lambdadeck.StatusSucceeded, Payload: []byte(`{"statusCode":500}`)},
			Result:     lambdadeck.ExpectationResult{Failures: []string{"statusCode == 200: got 500", "second"}}},
		{Case: Case{Fixture: lambdadeck.Fixture{Name: "broken"}, Function: "worker"}, Err: lambdadeck.Errorf(lambdadeck.EINVALID, "unknown variable {{x}}")},
		{Case: Case{Fixture: lambdadeck.Fixture{Name: "shared"}, Skip: "shared fixture"}},
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, outcomes, started); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML header:\n%s", buf.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the report does not parse: %v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || doc.Time != "1.750" || len(doc.Suites) != 3 {
		t.Fatalf("testsuites = %+v", doc)
	}
	shared, api, worker := doc.Suites[0], doc.Suites[1], doc.Suites[2]
	if shared.Name != "(shared)" || shared.Skipped != 1 || shared.Cases[0].Skipped == nil || shared.Cases[0].Skipped.Message != "shared fixture" {
		t.Errorf("shared suite = %+v", shared)
	}
	if api.Name != "api" || api.Tests != 2 || api.Failures != 1 || api.Errors != 0 || api.Time != "1.750" || api.Timestamp != "2025-01-02T03:04:05" {
		t.Errorf("api suite = %+v", api)
	}
	ok, bad := api.Cases[0], api.Cases[1]
	if ok.Classname != "api" || ok.Name != "ok" || ok.Time != "1.500" || ok.Failure != nil || ok.SystemOut != "hello <log> & more\n" {
		t.Errorf("passing case = %+v", ok)
	}
	if bad.Failure == nil || bad.Failure.Message != "statusCode == 200: got 500" || bad.Failure.Type != "ExpectationFailed" ||
		!strings.Contains(bad.Failure.Text, "second\n") || !strings.Contains(bad.Failure.Text, `{"statusCode":500}`) {
		t.Errorf("failing case = %+v", bad)
	}
	if worker.Errors != 1 || worker.Cases[0].Error == nil || worker.Cases[0].Error.Message != "unknown variable {{x}}" {
		t.Errorf("worker suite = %+v", worker)
	}
}
