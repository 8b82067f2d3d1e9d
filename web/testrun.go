package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/expect"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// maxTestRuns is how many runs the dashboard remembers; older ones are
// forgotten (their invocations and verdicts stay in the store).
const maxTestRuns = 20

// testRuns keeps the dashboard's recent test runs in memory.
type testRuns struct {
	mu    sync.Mutex
	runs  map[string]*testRun
	order []string // ids, oldest first
}

func newTestRuns() *testRuns { return &testRuns{runs: map[string]*testRun{}} }

func (r *testRuns) add(run *testRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[run.id] = run
	r.order = append(r.order, run.id)
	for len(r.order) > maxTestRuns {
		delete(r.runs, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *testRuns) get(id string) (*testRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, ok := r.runs[id]
	if !ok {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no test run %q (the dashboard remembers its last %d runs until it restarts)", id, maxTestRuns)
	}
	return run, nil
}

// testRun is one run of fixtures, filled in as outcomes complete.
type testRun struct {
	id          string
	environment string
	function    string
	startedAt   time.Time
	cases       []expect.Case

	mu       sync.Mutex
	outcomes map[int64]expect.Outcome // by fixture id
	finished time.Time
}

// view returns the run's progress for the page.
func (r *testRun) view() views.TestRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := views.TestRun{
		ID: r.id, Environment: r.environment, Function: r.function,
		StartedAt: r.startedAt, Finished: !r.finished.IsZero(),
	}
	if v.Finished {
		v.Elapsed = r.finished.Sub(r.startedAt)
	}
	for _, c := range r.cases {
		row := views.TestOutcomeRow{FixtureID: c.Fixture.ID, Name: c.Name(), Function: c.Function, State: "pending"}
		if o, done := r.outcomes[c.Fixture.ID]; done {
			row.State = o.State()
			row.Failures = o.Result.Failures
			if o.Invocation != nil {
				row.RequestID, row.Duration = o.Invocation.RequestID, o.Invocation.Duration
			}
			switch {
			case o.Skip != "":
				row.Message = o.Skip
			case o.Err != nil:
				row.Message = lambdadeck.ErrorMessage(o.Err)
			}
		}
		switch row.State {
		case expect.StatePassed:
			v.Passed++
		case expect.StateFailed:
			v.Failed++
		case expect.StateError:
			v.Errors++
		case expect.StateSkipped:
			v.Skipped++
		default:
			v.Pending++
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// testsPage lists the fixtures with expectations and their latest verdicts,
// with the form that runs them all.
func (s *Server) testsPage(c echo.Context) error {
	ctx := c.Request().Context()
	fixtures, err := s.store.ListFixtures(ctx, store.FixtureFilter{HasExpectation: true})
	if err != nil {
		return err
	}
	latest, err := s.store.LatestFixtureResults(ctx)
	if err != nil {
		return err
	}
	envs, err := s.environmentOptions(ctx)
	if err != nil {
		return err
	}
	page := views.TestsPage{Page: s.page(c, "Tests", "tests"), Environments: envs, FunctionNames: s.functionNames("")}
	for _, f := range fixtures {
		row := views.TestFixtureRow{ID: f.ID, Name: f.Name, Function: f.Function, Checks: describeExpectation(f.Expectation)}
		if r, ok := latest[f.ID]; ok {
			row.LastRequestID, row.LastPassed, row.LastAt = r.RequestID, r.Result.Passed, r.EvaluatedAt
			if len(r.Result.Failures) > 0 {
				row.LastFailure = r.Result.Failures[0]
			}
		}
		page.Fixtures = append(page.Fixtures, row)
	}
	return render(c, http.StatusOK, views.TestsList(page))
}

// describeExpectation says in a few words what an expectation checks.
func describeExpectation(exp *lambdadeck.Expectation) string {
	if exp == nil {
		return ""
	}
	var parts []string
	if len(exp.Response) > 0 {
		parts = append(parts, "whole response")
	}
	if len(exp.Contains) > 0 {
		parts = append(parts, "response subset")
	}
	switch n := len(exp.Assertions); n {
	case 0:
	case 1:
		parts = append(parts, exp.Assertions[0])
	default:
		parts = append(parts, fmt.Sprintf("%d assertions", n))
	}
	return strings.Join(parts, ", ")
}

// startTestRun runs every fixture with an expectation (of the form's
// function, if any, with its environment's variables) in the background
// and redirects to the run's page, which shows the outcomes as they come.
func (s *Server) startTestRun(c echo.Context) error {
	ctx := c.Request().Context()
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	form := c.Request().PostForm
	function, envName := strings.TrimSpace(form.Get("function")), strings.TrimSpace(form.Get("environment"))
	if function != "" {
		if _, err := s.invoker.Function(function); err != nil {
			return err
		}
	}
	vars, err := s.environmentVariables(ctx, envName)
	if err != nil {
		return err
	}
	summaries, err := s.store.ListFixtures(ctx, store.FixtureFilter{Function: function, HasExpectation: true})
	if err != nil {
		return err
	}
	cases := expect.Plan(summaries, function)
	for i, tc := range cases {
		if tc.Skip != "" {
			continue
		}
		full, err := s.store.Fixture(ctx, tc.Fixture.ID)
		if err != nil {
			return err
		}
		cases[i].Fixture = *full
	}

	run := &testRun{
		id: uuid.NewString(), environment: envName, function: function,
		startedAt: time.Now().UTC(), cases: cases, outcomes: map[int64]expect.Outcome{},
	}
	s.testRuns.add(run)
	runner := &expect.Runner{Invoker: s.invoker, Recorder: s.store, Variables: vars, UserAgent: c.Request().UserAgent()}
	// The run outlives the request that started it.
	runCtx := context.WithoutCancel(ctx)
	go func() {
		runner.Run(runCtx, cases, func(o expect.Outcome) {
			if o.Err != nil && lambdadeck.ErrorCode(o.Err) == lambdadeck.EINTERNAL {
				s.logger.Error("test run", "run", run.id, "fixture", o.Fixture.ID, "err", o.Err)
			}
			run.mu.Lock()
			run.outcomes[o.Fixture.ID] = o
			run.mu.Unlock()
		})
		run.mu.Lock()
		run.finished = time.Now().UTC()
		run.mu.Unlock()
	}()
	return redirectTo(c, "/tests/runs/"+run.id)
}

// testRunPage shows a run's progress: the whole page, or for htmx's
// polling only the progress fragment.
func (s *Server) testRunPage(c echo.Context) error {
	run, err := s.testRuns.get(c.Param("id"))
	if err != nil {
		return err
	}
	view := run.view()
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if isHTMX(c) {
		return render(c, http.StatusOK, views.TestRunProgress(view))
	}
	return render(c, http.StatusOK, views.TestRunView(views.TestRunPage{Page: s.page(c, "Test run", "tests"), Run: view}))
}

// environmentFile is the lambdadeck.env.json beside the template; empty
// when the server has no template path.
func (s *Server) environmentFile() string {
	if s.templatePath == "" {
		return ""
	}
	return expect.EnvironmentFile(s.templatePath)
}

// fileEnvironments reads the environments of lambdadeck.env.json, afresh
// on every call so that edits to the file apply at once.
func (s *Server) fileEnvironments() (map[string]map[string]string, error) {
	if path := s.environmentFile(); path != "" {
		return expect.ReadEnvironmentFile(path)
	}
	return nil, nil
}

// environmentVariables returns the variables of the named environment:
// the file's when it defines the name (the file wins), else the store's.
// No name is no variables; an unknown name is EINVALID.
func (s *Server) environmentVariables(ctx context.Context, name string) (map[string]string, error) {
	if name == "" {
		return nil, nil
	}
	fromFile, err := s.fileEnvironments()
	if err != nil {
		return nil, err
	}
	if vars, ok := fromFile[name]; ok {
		return vars, nil
	}
	env, err := s.store.Environment(ctx, name)
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "no environment named %q", name)
	} else if err != nil {
		return nil, err
	}
	return env.Variables, nil
}

// environmentOptions lists every environment name, from the file and the
// store, for a select.
func (s *Server) environmentOptions(ctx context.Context) ([]views.EnvironmentOption, error) {
	fromFile, err := s.fileEnvironments()
	if err != nil {
		return nil, err
	}
	stored, err := s.store.Environments(ctx)
	if err != nil {
		return nil, err
	}
	var out []views.EnvironmentOption
	for name := range fromFile {
		out = append(out, views.EnvironmentOption{Name: name, FromFile: true})
	}
	for _, e := range stored {
		if _, shadowed := fromFile[e.Name]; !shadowed {
			out = append(out, views.EnvironmentOption{Name: e.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// checkExpectation evaluates the fixture's expectation, if it has one, on
// inv, stores the verdict and sets inv.Expectation. The fixture pages call
// it after running a fixture.
func (s *Server) checkExpectation(ctx context.Context, f *lambdadeck.Fixture, inv *lambdadeck.Invocation) error {
	if expect.Empty(f.Expectation) || !inv.Status.Finished() {
		return nil
	}
	result := expect.Evaluate(f.Expectation, inv)
	if err := s.store.SetExpectationResult(context.WithoutCancel(ctx), inv.RequestID, result); err != nil {
		return err
	}
	inv.Expectation = &result
	return nil
}

// environmentsPage lists the named environments: the file's (read-only
// here) and the dashboard's, with forms to save and delete.
func (s *Server) environmentsPage(c echo.Context) error {
	return s.renderEnvironments(c, http.StatusOK, "", "", nil)
}

func (s *Server) renderEnvironments(c echo.Context, status int, formName, formVars string, formErr error) error {
	ctx := c.Request().Context()
	fromFile, err := s.fileEnvironments()
	if err != nil {
		return err
	}
	stored, err := s.store.Environments(ctx)
	if err != nil {
		return err
	}
	page := views.EnvironmentsPage{
		Page:     s.page(c, "Environments", "tests"),
		FilePath: s.environmentFile(), FormName: formName, FormVariables: formVars,
	}
	if formErr != nil {
		page.Error = lambdadeck.ErrorMessage(formErr)
	}
	names := make([]string, 0, len(fromFile))
	for name := range fromFile {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		page.Environments = append(page.Environments, views.EnvironmentRow{Name: name, Variables: envLines(fromFile[name]), FromFile: true})
	}
	for _, e := range stored {
		_, shadowed := fromFile[e.Name]
		page.Environments = append(page.Environments, views.EnvironmentRow{
			Name: e.Name, Variables: envLines(e.Variables), UpdatedAt: e.UpdatedAt, Shadowed: shadowed,
		})
	}
	return render(c, status, views.EnvironmentsView(page))
}

// parseVariableLines reads NAME=value lines (the value may hold '='),
// skipping blank lines and # comments.
func parseVariableLines(text string) (map[string]string, error) {
	vars := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !lambdadeck.ValidVariableName(name) {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "line %d: want NAME=value with a name of letters, digits, _, - or . (starting with a letter or _), got %q", i+1, line)
		}
		vars[name] = value
	}
	return vars, nil
}

// saveEnvironment creates or replaces a dashboard environment.
func (s *Server) saveEnvironment(c echo.Context) error {
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	form := c.Request().PostForm
	name, text := form.Get("name"), form.Get("variables")
	vars, err := parseVariableLines(text)
	if err == nil {
		err = s.store.SaveEnvironment(c.Request().Context(), &store.Environment{Name: name, Variables: vars})
	}
	if err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
			return err
		}
		return s.renderEnvironments(c, http.StatusUnprocessableEntity, name, text, err)
	}
	return redirectTo(c, "/environments")
}

// deleteEnvironment deletes a dashboard environment.
func (s *Server) deleteEnvironment(c echo.Context) error {
	if err := s.store.DeleteEnvironment(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return redirectTo(c, "/environments")
}

// The fixture form's expectation fields, and the environment a run
// names.
const (
	fieldExpectedResponse = "expected_response"
	fieldExpectedContains = "expected_contains"
	fieldAssertions       = "assertions"
	fieldEnvironment      = "environment"
)

// hasExpectationFields reports whether a posted form carries the
// expectation editor.
func hasExpectationFields(values url.Values) bool {
	return values.Has(fieldAssertions) || values.Has(fieldExpectedContains) || values.Has(fieldExpectedResponse)
}

// expectationFromForm reads the expectation editor: nil when it is empty,
// EINVALID when a document is not JSON (with its line and column) or an
// assertion does not parse.
func expectationFromForm(values url.Values) (*lambdadeck.Expectation, error) {
	exp := &lambdadeck.Expectation{Assertions: expect.SplitAssertions(values.Get(fieldAssertions))}
	for _, doc := range []struct {
		field, what string
		into        *json.RawMessage
	}{
		{fieldExpectedResponse, "the expected response", &exp.Response},
		{fieldExpectedContains, "the expected subset", &exp.Contains},
	} {
		text := strings.TrimSpace(values.Get(doc.field))
		if text == "" {
			continue
		}
		if err := checkJSON([]byte(text)); err != nil {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s is not valid JSON: %v", doc.what, err)
		}
		*doc.into = json.RawMessage(text)
	}
	if expect.Empty(exp) {
		return nil, nil
	}
	if err := expect.Validate(exp); err != nil {
		return nil, err
	}
	return exp, nil
}

// expectationFormText is the expectation editor's text for exp.
func expectationFormText(exp *lambdadeck.Expectation) (response, contains, assertions string) {
	if exp == nil {
		return "", "", ""
	}
	return prettyEvent(exp.Response), prettyEvent(exp.Contains), strings.Join(exp.Assertions, "\n")
}

// fixtureVerdict is the latest verdict on the fixture, nil when none.
func (s *Server) fixtureVerdict(ctx context.Context, fixtureID int64) (*views.FixtureVerdict, error) {
	latest, err := s.store.LatestFixtureResults(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := latest[fixtureID]
	if !ok {
		return nil, nil
	}
	return &views.FixtureVerdict{RequestID: r.RequestID, At: r.EvaluatedAt, Result: r.Result,
		CompareURL: "/fixtures/" + strconv.FormatInt(fixtureID, 10) + "/compare"}, nil
}

// expandVariables fills the {{variables}} of req's event and client
// context from the named environment (none: built-ins only). The request
// then holds the event as sent, which is what the history records.
func (s *Server) expandVariables(ctx context.Context, environment string, req *lambdadeck.InvokeRequest) error {
	vars, err := s.environmentVariables(ctx, strings.TrimSpace(environment))
	if err != nil {
		return err
	}
	if req.Event, err = expect.Expand(req.Event, vars); err != nil {
		return err
	}
	if len(req.ClientContext) > 0 {
		if req.ClientContext, err = expect.Expand(req.ClientContext, vars); err != nil {
			return err
		}
	}
	return nil
}
