package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/expect"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
	"github.com/lambdadeck/lambdadeck/store"
)

// usageError marks a flag parsing error as the user's.
func usageError(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return lambdadeck.Errorf(lambdadeck.EINVALID, "%v", err)
}

// envFlag collects repeated --env KEY=VALUE flags.
type envFlag map[string]string

func (e envFlag) String() string { return "" }

func (e envFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	e[k] = val
	return nil
}

// Invoke runs one function once: the response on stdout, the log on stderr.
func (a *App) Invoke(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("invoke", "lambdadeck invoke FUNCTION [-t template.yaml] [--event FILE|- | --fixture NAME] [--env KEY=VALUE] [--db ...]\n       lambdadeck invoke FUNCTION --server URL [--event FILE|-] [--profile P | --access-key-id ID --secret-access-key S]")
	c.register(fs)
	c.registerNoBuild(fs)
	eventFile := fs.String("event", "", "read the event from `FILE` (- for standard input; default {})")
	fs.StringVar(eventFile, "e", "", "same as --event")
	env := envFlag{}
	fs.Var(env, "env", "set an environment variable for this invocation (`KEY=VALUE`, repeatable)")
	c.registerAWS(fs)
	clientContext := fs.String("client-context", "", "client context JSON `file` passed as context.clientContext")
	quiet := fs.Bool("quiet", false, "do not print the log on stderr")
	fixtureName := fs.String("fixture", "", "run the saved fixture `NAME` (the function's, else a shared one): its event, overrides and expectation")
	varsEnv := fs.String("vars", "", "fill the event's {{variables}} from this named `environment` (lambdadeck.env.json or the dashboard's)")
	var remote serverFlags
	remote.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) != 1 {
		fs.Usage()
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "invoke takes one function name, got %d", len(pos)))
	}
	name := pos[0]
	if *fixtureName != "" && *eventFile != "" {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "use --event or --fixture, not both"))
	}

	if remote.url != "" {
		if err := remote.onlyWith(fs, "event", "e", "client-context", "quiet", "profile"); err != nil {
			return a.fail(err)
		}
	}

	var p *project
	if remote.url == "" {
		if p, err = c.loadProject(); err != nil {
			return a.fail(err)
		}
	}
	req := lambdadeck.InvokeRequest{Function: name, Event: []byte("{}"), Source: lambdadeck.SourceCLI, UserAgent: "lambdadeck-cli/" + Version}
	if *eventFile != "" {
		if req.Event, err = readFileOrStdin(*eventFile, a.Stdin); err != nil {
			return a.fail(err)
		}
		if len(bytes.TrimSpace(req.Event)) == 0 {
			req.Event = []byte("{}") // as Lambda treats an empty payload
		}
		if len(req.Event) > lambdadeck.MaxSyncPayload {
			return a.fail(lambdadeck.Errorf(lambdadeck.ETOOLARGE, "the event is over Lambda's 6 MB limit"))
		}
		if err := checkJSON("event", *eventFile, req.Event); err != nil {
			return a.fail(err)
		}
	}
	if *clientContext != "" {
		if req.ClientContext, err = readFileOrStdin(*clientContext, a.Stdin); err != nil {
			return a.fail(err)
		}
		if err := checkJSON("client context", *clientContext, req.ClientContext); err != nil {
			return a.fail(err)
		}
	}

	if remote.url != "" {
		return a.invokeRemote(ctx, &remote, c.aws.profile, name, req.Event, req.ClientContext, *quiet)
	}

	// One invocation needs one function: the others' interpreters are not
	// probed (a version-manager shim can take a second) nor their builds
	// checked. An unknown name keeps them all, for the "did you mean".
	p.functions = onlyFunction(p.functions, name)
	db, iv, err := a.openParts(ctx, &c, p, a.logger(c.verbose), nil, 0)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	defer iv.Close()
	// The function may be named by its logical ID: fixtures and the record
	// know it by its name.
	fn, err := iv.Function(name)
	if err != nil {
		return a.fail(err)
	}
	name, req.Function = fn.Name, fn.Name
	var fixture *lambdadeck.Fixture
	if *fixtureName != "" {
		if fixture, err = findFixture(ctx, db, name, *fixtureName); err != nil {
			return a.fail(err)
		}
		req.Event, req.Identity, req.FixtureID = fixture.Event, fixture.Identity, fixture.ID
		if *clientContext == "" {
			req.ClientContext = fixture.ClientContext
		}
		// Flags win over the fixture's own overrides.
		for k, v := range fixture.Env {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
	}
	if len(env) > 0 {
		req.Env = env
	}
	// {{variables}} belong to fixtures; an event file is sent as it is
	// unless --vars asks for them to be filled.
	if *varsEnv != "" || (fixture != nil && bytes.Contains(req.Event, []byte("{{"))) {
		vars, err := environmentVariables(ctx, db, p.templatePath, *varsEnv)
		if err != nil {
			return a.fail(err)
		}
		if req.Event, err = expect.Expand(req.Event, vars); err != nil {
			return a.fail(err)
		}
	}
	if !*quiet {
		for _, w := range sam.WarningsAbout(p.warnings, fn) {
			fmt.Fprintf(a.Stderr, "lambdadeck: warning: %s\n", w)
		}
		if _, w := iv.LocalRuntime(fn); w != "" {
			fmt.Fprintf(a.Stderr, "lambdadeck: note: %s\n", w)
		}
	}
	inv, err := iv.Invoke(ctx, req)
	if err != nil {
		return a.fail(err)
	}
	if !*quiet {
		// Multi-line records are joined with \r, as CloudWatch keeps them;
		// a terminal would write each line over the last.
		fmt.Fprint(a.Stderr, invoker.TerminalLogs(inv.Logs))
	}
	if fixture != nil && !expect.Empty(fixture.Expectation) {
		result := expect.Evaluate(fixture.Expectation, inv)
		if err := db.SetExpectationResult(ctx, inv.RequestID, result); err != nil {
			return a.fail(err)
		}
		if result.Passed {
			fmt.Fprintf(a.Stderr, "expectation of fixture %q: passed\n", fixture.Name)
		} else {
			fmt.Fprintf(a.Stderr, "expectation of fixture %q: FAILED\n", fixture.Name)
			for _, f := range result.Failures {
				fmt.Fprintf(a.Stderr, "  - %s\n", f)
			}
		}
	}
	a.Stdout.Write(inv.Payload)
	if len(inv.Payload) > 0 && inv.Payload[len(inv.Payload)-1] != '\n' {
		if f, ok := a.Stdout.(*os.File); ok && isTerminal(f) {
			fmt.Fprintln(a.Stdout)
		}
	}
	if inv.Failed() {
		return exitFunction
	}
	return exitOK
}

// findFixture finds the live fixture called name for function, else the
// shared one of that name.
func findFixture(ctx context.Context, db *store.DB, function, name string) (*lambdadeck.Fixture, error) {
	f, err := db.FixtureByName(ctx, function, name)
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
		f, err = db.FixtureByName(ctx, "", name)
	}
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "no fixture named %q for %s, and no shared one", name, function)
	}
	return f, err
}

// checkJSON reports where a JSON document is broken, by line and column.
func checkJSON(what, file string, data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		if se, ok := err.(*json.SyntaxError); ok {
			line, col := lineColumn(data, se.Offset)
			return lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s is not valid JSON: line %d, column %d: %v", what, file, line, col, se)
		}
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s is not valid JSON: %v", what, file, err)
	}
	return nil
}

func lineColumn(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Functions prints the template's functions as a table.
func (a *App) Functions(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("functions", "lambdadeck functions [-t template.yaml] [--server URL]")
	c.register(fs)
	c.registerAWS(fs)
	var remote serverFlags
	remote.register(fs)
	if _, err := parse(fs, args); err != nil {
		return a.fail(usageError(err))
	}
	if remote.url != "" {
		if err := remote.onlyWith(fs, "profile"); err != nil {
			return a.fail(err)
		}
		return a.functionsRemote(ctx, &remote, c.aws.profile)
	}
	p, err := c.loadProject()
	if err != nil {
		return a.fail(err)
	}
	fns := p.functions
	sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRUNTIME\tHANDLER\tTIMEOUT\tMEMORY\tNOTES")
	for _, fn := range fns {
		note := fn.NotRunnable
		if note != "" {
			note = "not runnable: " + note
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%gs\t%d MB\t%s\n", fn.Name, fn.Runtime, fn.Handler, fn.Timeout.Seconds(), fn.MemoryMB, note)
	}
	tw.Flush()
	for _, w := range p.warnings {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	return exitOK
}

// onlyFunction returns the function named name (its FunctionName, or its
// logical ID when no function has that name) alone, or every function when
// none matches.
func onlyFunction(fns []lambdadeck.Function, name string) []lambdadeck.Function {
	for _, fn := range fns {
		if fn.Name == name {
			return []lambdadeck.Function{fn}
		}
	}
	for _, fn := range fns {
		if fn.LogicalID == name {
			return []lambdadeck.Function{fn}
		}
	}
	return fns
}
