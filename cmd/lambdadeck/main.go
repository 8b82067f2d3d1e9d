// Command lambdadeck is a self-hosted dashboard and command line for AWS
// Lambda handlers: it runs them as local processes, exactly as Lambda would,
// and keeps every invocation in one SQLite file.
//
// This package only parses flags and wires the parts together.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK       = 0
	exitFunction = 1 // the function returned an error
	exitUsage    = 2 // bad flags, arguments or template
	exitInternal = 3 // lambdadeck itself failed
)

// Run runs one lambdadeck command and returns its exit status. Tests run it
// whole, with their own streams.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd = "help"
	}
	switch cmd {
	case "serve":
		return app.Serve(ctx, args)
	case "start-api":
		// SAM's short form: the dashboard and the HTTP front door on :3000
		// (a later --http-addr wins).
		return app.Serve(ctx, append([]string{"--http-addr", "127.0.0.1:3000"}, args...))
	case "invoke":
		return app.Invoke(ctx, args)
	case "build":
		return app.Build(ctx, args)
	case "functions":
		return app.Functions(ctx, args)
	case "fixtures":
		return app.Fixtures(ctx, args)
	case "invocations":
		return app.Invocations(ctx, args)
	case "users":
		return app.Users(ctx, args)
	case "audit":
		return app.Audit(ctx, args)
	case "keys":
		return app.Keys(ctx, args)
	case "generate-event":
		return app.GenerateEvent(ctx, args)
	case "test":
		return app.Test(ctx, args)
	case "version":
		fmt.Fprintln(stdout, "lambdadeck", Version)
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "lambdadeck: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// Version is the build's version, set with -ldflags "-X main.Version=...".
var Version = "dev"

const usage = `lambdadeck runs AWS Lambda handlers locally, exactly as Lambda does, and keeps every invocation.

Usage:
  lambdadeck [serve] [-t template.yaml] [--addr 127.0.0.1:8080] [--http-addr 127.0.0.1:3000] [--db .lambdadeck/lambdadeck.db]
  lambdadeck start-api [-t template.yaml] [--http-addr 127.0.0.1:3000]   (serve with the HTTP front door on :3000)
  lambdadeck invoke FUNCTION [-t template.yaml] [--event FILE|- | --fixture NAME] [--env KEY=VALUE] [--db ...]
  lambdadeck build [FUNCTION...] [-t template.yaml]
  lambdadeck functions [-t template.yaml]
  lambdadeck fixtures list|export|import [--dir events/] [--function F] [--format sam|console]
  lambdadeck keys create|list|revoke [--user NAME] [--name NAME]   (API keys for the AWS CLI and SDKs)
  lambdadeck invocations export [--function F] [--status S] [--code KEY] [--request-id ID] > bundle.json
  lambdadeck invocations import bundle.json
  lambdadeck generate-event [SERVICE [EVENT [--param value ...]]]
  lambdadeck test [-t template.yaml] [--function F] [--fixture NAME] [--env dev] [--junit out.xml]
  lambdadeck users add|list|set-role|disable|reset-password ...   (accounts of a team server)
  lambdadeck audit [--actor NAME] [--action auth.]                  (the audit log as JSON lines)
  lambdadeck version

Without -t, lambdadeck uses template.yaml or template.yml in the current
directory, else its built-in examples. Run "lambdadeck COMMAND --help" for a
command's flags.
`
