package expect

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Invoker runs functions; *invoker.Invoker is one.
type Invoker interface {
	// Function returns the named function; an unknown name is ENOTFOUND.
	Function(name string) (lambdadeck.Function, error)
	Invoke(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error)
}

// ResultRecorder keeps the verdict of an invocation; *store.DB is one.
type ResultRecorder interface {
	SetExpectationResult(ctx context.Context, requestID string, result lambdadeck.ExpectationResult) error
}

// Case is one fixture to run against one function.
type Case struct {
	Fixture  lambdadeck.Fixture
	Function string // the fixture's function, or the one chosen for a shared fixture
	// Skip says why the case is not run; empty to run it.
	Skip string
}

// Name is the fixture's name.
func (c Case) Name() string { return c.Fixture.Name }

// Plan picks, from fixtures, every live one with an expectation, sorted by
// function then name. A shared fixture (no function) runs against function
// when one is given, and is skipped with a note otherwise. When function is
// given, fixtures of other functions are left out.
func Plan(fixtures []lambdadeck.Fixture, function string) []Case {
	var cases []Case
	for _, f := range fixtures {
		if f.Deleted() || Empty(f.Expectation) {
			continue
		}
		c := Case{Fixture: f, Function: f.Function}
		switch {
		case f.Function == "" && function == "":
			c.Skip = "shared fixture: choose a function to run it with (--function)"
		case f.Function == "":
			c.Function = function
		case function != "" && f.Function != function:
			continue
		}
		cases = append(cases, c)
	}
	sort.SliceStable(cases, func(i, j int) bool {
		if cases[i].Function != cases[j].Function {
			return cases[i].Function < cases[j].Function
		}
		return cases[i].Fixture.Name < cases[j].Fixture.Name
	})
	return cases
}

// Outcome is what running one Case gave.
type Outcome struct {
	Case
	// Invocation is the recorded invocation; nil when it could not run.
	Invocation *lambdadeck.Invocation
	Result     lambdadeck.ExpectationResult
	// Err says why the case could not run (an unknown variable, an unknown
	// function, throttling) or its verdict could not be stored.
	Err     error
	Elapsed time.Duration // from the request to the verdict
}

// Outcome states, as JUnit and the pages count them.
const (
	StatePassed  = "passed"
	StateFailed  = "failed"
	StateError   = "error"
	StateSkipped = "skipped"
)

// State is one of StatePassed, StateFailed, StateError and StateSkipped.
func (o Outcome) State() string {
	switch {
	case o.Skip != "":
		return StateSkipped
	case o.Err != nil:
		return StateError
	case o.Result.Passed:
		return StatePassed
	}
	return StateFailed
}

// Summary counts outcomes by state.
type Summary struct {
	Passed, Failed, Errors, Skipped int
}

// Summarize counts outcomes by state.
func Summarize(outcomes []Outcome) Summary {
	var s Summary
	for _, o := range outcomes {
		switch o.State() {
		case StatePassed:
			s.Passed++
		case StateFailed:
			s.Failed++
		case StateError:
			s.Errors++
		case StateSkipped:
			s.Skipped++
		}
	}
	return s
}

// OK reports whether nothing failed or errored.
func (s Summary) OK() bool { return s.Failed == 0 && s.Errors == 0 }

func (s Summary) String() string {
	text := fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
	if s.Errors > 0 {
		text += fmt.Sprintf(", %d errors", s.Errors)
	}
	if s.Skipped > 0 {
		text += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	return text
}

// Runner runs cases and records their verdicts.
type Runner struct {
	Invoker Invoker
	// Recorder keeps each verdict with its invocation; nil keeps none.
	Recorder ResultRecorder
	// Variables fill the events' {{placeholders}} (see Expand).
	Variables map[string]string
	UserAgent string
}

// Run runs every case not skipped, in parallel but never more at once for
// a function than its concurrency allows (so tests are not throttled), and
// returns the outcomes in the order of cases. Each invocation has Source
// test and the fixture's id. progress, if not nil, is called with each
// outcome as it completes (skipped ones first), one call at a time.
func (r *Runner) Run(ctx context.Context, cases []Case, progress func(Outcome)) []Outcome {
	outcomes := make([]Outcome, len(cases))
	var progressMu sync.Mutex
	report := func(o Outcome) {
		if progress != nil {
			progressMu.Lock()
			defer progressMu.Unlock()
			progress(o)
		}
	}
	slots := map[string]chan struct{}{}
	for i, c := range cases {
		outcomes[i] = Outcome{Case: c}
		if c.Skip != "" {
			report(outcomes[i])
			continue
		}
		if _, ok := slots[c.Function]; ok {
			continue
		}
		limit := lambdadeck.DefaultConcurrency
		if fn, err := r.Invoker.Function(c.Function); err == nil && fn.Concurrency > 0 {
			limit = fn.Concurrency
		}
		slots[c.Function] = make(chan struct{}, limit)
	}

	var wg sync.WaitGroup
	for i := range cases {
		if cases[i].Skip != "" {
			continue
		}
		wg.Add(1)
		go func(o *Outcome) {
			defer wg.Done()
			slot := slots[o.Function]
			select {
			case slot <- struct{}{}:
				r.runOne(ctx, o)
				<-slot
			case <-ctx.Done():
				o.Err = ctx.Err()
			}
			report(*o)
		}(&outcomes[i])
	}
	wg.Wait()
	return outcomes
}

// runOne runs one case and fills its outcome.
func (r *Runner) runOne(ctx context.Context, o *Outcome) {
	start := time.Now()
	defer func() { o.Elapsed = time.Since(start) }()
	f := o.Fixture
	event := []byte(f.Event)
	if len(event) == 0 {
		event = []byte("{}")
	}
	event, err := Expand(event, r.Variables)
	if err != nil {
		o.Err = err
		return
	}
	clientContext := []byte(f.ClientContext)
	if len(clientContext) > 0 {
		if clientContext, err = Expand(clientContext, r.Variables); err != nil {
			o.Err = fmt.Errorf("client context: %w", err)
			return
		}
	}
	inv, err := r.Invoker.Invoke(ctx, lambdadeck.InvokeRequest{
		Function:      o.Function,
		Event:         event,
		ClientContext: clientContext,
		Identity:      f.Identity,
		Env:           f.Env,
		Source:        lambdadeck.SourceTest,
		UserAgent:     r.UserAgent,
		FixtureID:     f.ID,
	})
	if err != nil {
		o.Err = err
		return
	}
	o.Invocation = inv
	o.Result = Evaluate(f.Expectation, inv)
	result := o.Result
	inv.Expectation = &result
	if r.Recorder != nil {
		if err := r.Recorder.SetExpectationResult(context.WithoutCancel(ctx), inv.RequestID, o.Result); err != nil {
			o.Err = fmt.Errorf("storing the verdict: %w", err)
		}
	}
}
