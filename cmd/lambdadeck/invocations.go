package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/store/bundle"
)

// Invocations runs "lambdadeck invocations export|import".
func (a *App) Invocations(ctx context.Context, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(a.Stderr, invocationsUsage)
		return exitUsage
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "export":
		return a.exportInvocations(ctx, rest)
	case "import":
		return a.importInvocations(ctx, rest)
	case "help":
		fmt.Fprint(a.Stdout, invocationsUsage)
		return exitOK
	default:
		fmt.Fprintf(a.Stderr, "lambdadeck: unknown invocations command %q\n\n%s", sub, invocationsUsage)
		return exitUsage
	}
}

const invocationsUsage = `Usage:
  lambdadeck invocations export [--function F] [--status S] [--source S] [--q TEXT] [--code KEY] [--limit N] [--db ...] > bundle.json
  lambdadeck invocations export --request-id ID [--request-id ID2] [--db ...] > bundle.json
  lambdadeck invocations import bundle.json|- [--db ...]
`

// requestIDs collects repeated --request-id flags.
type requestIDs []string

func (r *requestIDs) String() string { return strings.Join(*r, ",") }
func (r *requestIDs) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("a request id must not be empty")
	}
	*r = append(*r, strings.TrimSpace(v))
	return nil
}

func (a *App) exportInvocations(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("invocations export", strings.TrimPrefix(strings.Split(invocationsUsage, "\n")[1], "  "))
	c.register(fs)
	var ids requestIDs
	fs.Var(&ids, "request-id", "export this `invocation` (repeatable; two make a comparison); without it, the filters select")
	function := fs.String("function", "", "only this `function`'s invocations")
	status := fs.String("status", "", "only invocations with this `status` (succeeded, failed, timed_out, crashed, interrupted)")
	source := fs.String("source", "", "only invocations from this `source` (browser, cli, api, test, http)")
	query := fs.String("q", "", "only invocations whose request id, error message or event contains `text`")
	code := fs.String("code", "", "only invocations of this code version (its `key`, as the history's code filter takes it)")
	limit := fs.Int("limit", 50, fmt.Sprintf("export at most `N` invocations, newest first (at most %d)", bundle.MaxInvocations))
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) > 0 {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "invocations export takes no arguments (got %q); the bundle goes to standard output", pos[0]))
	}
	if *limit < 1 || *limit > bundle.MaxInvocations {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "--limit must be from 1 to %d", bundle.MaxInvocations))
	}
	filtered := *function != "" || *status != "" || *source != "" || *query != "" || *code != ""
	if len(ids) > 0 && filtered {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "use --request-id or the filters, not both"))
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	h := bundle.Header{Kind: bundle.KindHistory, Server: cliServerName(c.db)}
	switch {
	case len(ids) == 1:
		h.Kind = bundle.KindInvocation
	case len(ids) == 2:
		h.Kind = bundle.KindComparison
	case len(ids) == 0:
		f := store.InvocationFilter{Function: *function, Status: *status, Source: *source, Query: *query, Code: *code}
		h.Filter = map[string]string{}
		for k, v := range map[string]string{"function": *function, "status": *status, "source": *source, "q": *query, "code": *code} {
			if v != "" {
				h.Filter[k] = v
			}
		}
		if ids, err = bundle.HistoryIDs(ctx, db, f, *limit); err != nil {
			return a.fail(err)
		}
		if len(ids) == 0 {
			return a.fail(lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no invocations match: there is nothing to export"))
		}
	}
	if err := bundle.Write(ctx, a.Stdout, db, h, ids); err != nil {
		return a.fail(err)
	}
	fmt.Fprintf(a.Stderr, "exported %d invocations\n", len(ids))
	return exitOK
}

// cliServerName is how an export from the command line names where it
// came from: the host and the database file.
func cliServerName(dbPath string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	if abs, err := filepath.Abs(dbPath); err == nil {
		dbPath = abs
	}
	return "lambdadeck at " + host + " (" + dbPath + ")"
}

func (a *App) importInvocations(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("invocations import", "lambdadeck invocations import bundle.json|- [--db ...]")
	c.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(pos) != 1 {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "invocations import takes one bundle file (or - for standard input), got %d", len(pos)))
	}
	var in io.Reader = a.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read the bundle: %v", err))
		}
		defer f.Close()
		in = f
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	b, out, err := bundle.Import(ctx, db, in)
	if err != nil {
		return a.fail(err)
	}
	fmt.Fprintf(a.Stdout, "imported %d invocations from %s; %d were already here\n", len(out.Added), b.Server, len(out.Present))
	for _, id := range out.Added {
		fmt.Fprintln(a.Stdout, "  "+id)
	}
	return exitOK
}
