package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/expect"
	"github.com/lambdadeck/lambdadeck/store"
)

const testSynopsis = "lambdadeck test [-t template.yaml] [--function F] [--fixture NAME] [--env dev] [--junit out.xml] [--db ...]"

// Test runs every fixture that has an expectation, prints a line per
// fixture and a summary, and optionally writes a JUnit XML report. It exits
// 0 when all pass (or there is nothing to run), 1 when any fails or cannot
// run, 2 on usage errors.
func (a *App) Test(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("test", testSynopsis)
	c.register(fs)
	c.registerAWS(fs)
	c.registerNoBuild(fs)
	function := fs.String("function", "", "run only this `function`'s fixtures, and the shared ones against it")
	fixtureName := fs.String("fixture", "", "run only the fixture with this `name`")
	envName := fs.String("env", "", "fill {{variables}} from this named `environment` (lambdadeck.env.json beside the template, or the dashboard's)")
	junitPath := fs.String("junit", "", "write a JUnit XML report to `file`")
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) > 0 {
		fs.Usage()
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "test takes no arguments, got %q (use --function or --fixture)", strings.Join(pos, " ")))
	}
	p, err := c.loadProject()
	if err != nil {
		return a.fail(err)
	}
	db, iv, err := a.openParts(ctx, &c, p, a.logger(c.verbose), nil, 0)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	defer iv.Close()

	if *function != "" {
		fn, err := iv.Function(*function)
		if err != nil {
			return a.fail(err)
		}
		*function = fn.Name // a logical ID names the function too
	}
	vars, err := environmentVariables(ctx, db, p.templatePath, *envName)
	if err != nil {
		return a.fail(err)
	}
	summaries, err := db.ListFixtures(ctx, store.FixtureFilter{Function: *function, HasExpectation: true})
	if err != nil {
		return a.fail(err)
	}
	if *fixtureName != "" {
		var named []lambdadeck.Fixture
		for _, f := range summaries {
			if f.Name == *fixtureName {
				named = append(named, f)
			}
		}
		if len(named) == 0 {
			return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "no fixture named %q has an expectation", *fixtureName))
		}
		summaries = named
	}
	cases := expect.Plan(summaries, *function)
	// Lists leave out events: load each fixture to run whole.
	for i, tc := range cases {
		if tc.Skip != "" {
			continue
		}
		full, err := db.Fixture(ctx, tc.Fixture.ID)
		if err != nil {
			return a.fail(err)
		}
		cases[i].Fixture = *full
	}

	started := time.Now()
	var outcomes []expect.Outcome
	if len(cases) == 0 {
		fmt.Fprintln(a.Stdout, "No fixtures with expectations to run. Add an expectation to a fixture on its page, or in its .meta.json.")
	} else {
		runner := &expect.Runner{Invoker: iv, Recorder: db, Variables: vars, UserAgent: "lambdadeck-test/" + Version}
		outcomes = runner.Run(ctx, cases, func(o expect.Outcome) { fmt.Fprintln(a.Stdout, outcomeLine(o)) })
		summary := expect.Summarize(outcomes)
		fmt.Fprintf(a.Stdout, "\n%s (%s)\n", summary, time.Since(started).Round(time.Millisecond))
	}

	if *junitPath != "" {
		if err := writeJUnitFile(*junitPath, outcomes, started); err != nil {
			return a.fail(err)
		}
	}
	if !expect.Summarize(outcomes).OK() {
		return exitFunction
	}
	return exitOK
}

// environmentVariables returns the variables of the named environment:
// from lambdadeck.env.json beside the template if it defines the name
// (the file wins), else from the database. No name is no variables.
func environmentVariables(ctx context.Context, db *store.DB, templatePath, name string) (map[string]string, error) {
	if name == "" {
		return nil, nil
	}
	file := expect.EnvironmentFile(templatePath)
	fromFile, err := expect.ReadEnvironmentFile(file)
	if err != nil {
		return nil, err
	}
	if vars, ok := fromFile[name]; ok {
		return vars, nil
	}
	env, err := db.Environment(ctx, name)
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "no environment named %q in %s or the dashboard", name, file)
	} else if err != nil {
		return nil, err
	}
	return env.Variables, nil
}

// outcomeLine is the line printed for one outcome: a mark, the fixture, its
// function, how long the handler ran and the first failure.
func outcomeLine(o expect.Outcome) string {
	function := o.Function
	if function == "" {
		function = "(shared)"
	}
	switch o.State() {
	case expect.StateSkipped:
		return fmt.Sprintf("- %s  %s  skipped: %s", o.Name(), function, o.Skip)
	case expect.StateError:
		return fmt.Sprintf("! %s  %s  could not run: %v", o.Name(), function, o.Err)
	}
	took := fmt.Sprintf("%.2f ms", float64(o.Invocation.Duration.Microseconds())/1000)
	if o.State() == expect.StatePassed {
		return fmt.Sprintf("✓ %s  %s  %s", o.Name(), function, took)
	}
	more := ""
	if n := len(o.Result.Failures) - 1; n > 0 {
		more = fmt.Sprintf(" (+%d more)", n)
	}
	return fmt.Sprintf("✗ %s  %s  %s  %s%s", o.Name(), function, took, o.Result.Failures[0], more)
}

// writeJUnitFile writes the report to path, creating its folder.
func writeJUnitFile(path string, outcomes []expect.Outcome, started time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "cannot create the folder of %s: %v", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "cannot write %s: %v", path, err)
	}
	if err := expect.WriteJUnit(f, outcomes, started); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
