package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/events"
)

const generateSynopsis = "lambdadeck generate-event [SERVICE [EVENT [--PARAM VALUE ...]]]"

// GenerateEvent prints sample events, as `sam local generate-event` does:
// with no argument the services, with a service its events, with a service
// and an event that event as JSON, its parameters set by flags named after
// them (lambdadeck generate-event s3 put --bucket photos --key cat.jpg).
func (a *App) GenerateEvent(ctx context.Context, args []string) int {
	// The service and the event come first: the flags after them depend on
	// which event it is.
	var names []string
	for len(args) > 0 && len(names) < 2 && !strings.HasPrefix(args[0], "-") {
		names, args = append(names, args[0]), args[1:]
	}
	switch len(names) {
	case 0:
		return a.listServices(args)
	case 1:
		return a.listEvents(names[0], args)
	}
	return a.printEvent(names[0], names[1], args)
}

// listServices prints every service and how many events it has.
func (a *App) listServices(args []string) int {
	fs := a.newFlagSet("generate-event", generateSynopsis)
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "Usage: %s\n\nPrints a sample event of an AWS service: run it without arguments for the\nservices, with a service for its events, with --help after an event for its\nparameters.\n", generateSynopsis)
	}
	if err := fs.Parse(args); err != nil {
		return a.fail(usageError(err))
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "unexpected argument %q", fs.Arg(0)))
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tEVENTS\tDESCRIPTION")
	for _, s := range events.Services() {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", s.Name, len(s.Events), s.Description)
	}
	tw.Flush()
	fmt.Fprintln(a.Stderr, `Run "lambdadeck generate-event SERVICE" for a service's events.`)
	return exitOK
}

// listEvents prints the events of one service with their descriptions.
func (a *App) listEvents(service string, args []string) int {
	fs := a.newFlagSet("generate-event", "lambdadeck generate-event "+service+" EVENT [--PARAM VALUE ...]")
	fs.Usage = func() {} // the list below is the help
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return a.fail(usageError(err))
	}
	if fs.NArg() > 0 {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "unexpected argument %q", fs.Arg(0)))
	}
	s, err := events.LookupService(service)
	if err != nil {
		return a.fail(err)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tDESCRIPTION")
	for _, e := range s.Events {
		fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
	}
	tw.Flush()
	fmt.Fprintf(a.Stderr, "Run \"lambdadeck generate-event %s EVENT --help\" for an event's parameters.\n", service)
	return exitOK
}

// printEvent renders one event with the parameters given as flags.
func (a *App) printEvent(service, event string, args []string) int {
	tpl, err := events.Lookup(service, event)
	if err != nil {
		return a.fail(err)
	}
	var synopsis strings.Builder
	synopsis.WriteString("lambdadeck generate-event " + service + " " + event)
	for _, p := range tpl.Params {
		synopsis.WriteString(" [--" + p.Name + " VALUE]")
	}
	fs := a.newFlagSet("generate-event", synopsis.String())
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "Usage: %s\n\n%s.\n", synopsis.String(), tpl.Description)
		if len(tpl.Params) == 0 {
			fmt.Fprintln(a.Stderr, "\nThis event takes no parameters.")
			return
		}
		fmt.Fprintln(a.Stderr, "\nParameters:")
		fs.SetOutput(a.Stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	for _, p := range tpl.Params {
		fs.String(p.Name, p.Default, p.Description)
	}
	rest, err := parse(fs, args)
	if err != nil {
		return a.fail(usageError(err))
	}
	if len(rest) > 0 {
		fs.Usage()
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "unexpected argument %q: parameters are flags, such as --%s VALUE", rest[0], firstParam(tpl)))
	}
	// Only the flags given on the command line: the template applies its own
	// defaults to the rest.
	params := map[string]string{}
	fs.Visit(func(f *flag.Flag) { params[f.Name] = f.Value.String() })
	out, err := tpl.Render(params)
	if err != nil {
		return a.fail(err)
	}
	a.Stdout.Write(out)
	return exitOK
}

func firstParam(tpl events.Template) string {
	if len(tpl.Params) == 0 {
		return "NAME"
	}
	return tpl.Params[0].Name
}
