package main

import (
	"context"
	"fmt"

	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// Build builds functions ahead of their first invocation, as `sam build`
// would, into the state folder: a line per step on stderr, then one line
// per function on stdout. It exits 1 when a build failed.
func (a *App) Build(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("build", "lambdadeck build [FUNCTION...] [-t template.yaml] [--db .lambdadeck/lambdadeck.db]")
	c.register(fs)
	names, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	p, err := c.loadProject()
	if err != nil {
		return a.fail(err)
	}
	for _, w := range p.warnings {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	iv, err := invoker.New(invoker.Config{
		Functions: p.functions,
		StateDir:  c.stateDirectory(),
		CacheDir:  cacheDirectory(),
		Logger:    a.logger(c.verbose),
	})
	if err != nil {
		return a.fail(err)
	}
	defer iv.Close()
	built, err := iv.Build(ctx, names, build.Printer(a.Stderr))
	if err != nil {
		return a.fail(err)
	}
	failed := 0
	for _, b := range built {
		switch {
		case b.Err != nil:
			failed++
			fmt.Fprintf(a.Stderr, "lambdadeck: %v\n", b.Err)
			fmt.Fprintf(a.Stdout, "%s: FAILED\n", b.Function)
		case b.Kind == build.None:
			fmt.Fprintf(a.Stdout, "%s: nothing to build (runs from its CodeUri)\n", b.Function)
		default:
			fmt.Fprintf(a.Stdout, "%s: %s build in %s\n", b.Function, b.Kind, b.Dir)
		}
	}
	if failed > 0 {
		fmt.Fprintf(a.Stderr, "lambdadeck: %d of %d builds failed\n", failed, len(built))
		return exitFunction
	}
	return exitOK
}
