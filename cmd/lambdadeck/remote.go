package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/web/apiclient"
)

// serverFlags are the flags of commands that may call a lambdadeck server
// instead of running functions here: --server and the API key.
type serverFlags struct {
	url             string
	accessKeyID     string
	secretAccessKey string
}

func (s *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.url, "server", "", "call the lambdadeck server at `URL` (its Lambda API, signed with an API key) instead of running here")
	fs.StringVar(&s.accessKeyID, "access-key-id", "", "the API key's access key `id` for --server (default: "+apiclient.EnvAccessKeyID+", else the AWS profile)")
	fs.StringVar(&s.secretAccessKey, "secret-access-key", "", "the API key's `secret` for --server (visible to other local users in the process list: prefer "+apiclient.EnvSecretAccessKey+" or a profile)")
}

// onlyWith refuses the flags that --server cannot honour: everything set
// but the server's own flags and allowed.
func (s *serverFlags) onlyWith(fs *flag.FlagSet, allowed ...string) error {
	allowed = append(allowed, "server", "access-key-id", "secret-access-key", "v")
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(allowed, f.Name) {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s cannot be used with --server: the server runs the function as its template says (allowed: --%s)",
			strings.Join(bad, ", "), strings.Join(allowed[:len(allowed)-1], ", --"))
	}
	return nil
}

func (s *serverFlags) client(ctx context.Context, profile string) (*apiclient.Client, error) {
	return apiclient.New(ctx, s.url, apiclient.Credentials{AccessKeyID: s.accessKeyID, SecretAccessKey: s.secretAccessKey, Profile: profile})
}

// invokeRemote is invoke --server: the same output and exit statuses as a
// local invoke, from the server's Invoke API (the log is its 4 KB tail).
func (a *App) invokeRemote(ctx context.Context, s *serverFlags, profile, function string, event, clientContext []byte, quiet bool) int {
	client, err := s.client(ctx, profile)
	if err != nil {
		return a.fail(err)
	}
	res, err := client.Invoke(ctx, function, event, clientContext)
	if err != nil {
		return a.fail(err)
	}
	if !quiet {
		fmt.Fprint(a.Stderr, invoker.TerminalLogs(res.Logs))
	}
	a.Stdout.Write(res.Payload)
	if len(res.Payload) > 0 && res.Payload[len(res.Payload)-1] != '\n' {
		if f, ok := a.Stdout.(*os.File); ok && isTerminal(f) {
			fmt.Fprintln(a.Stdout)
		}
	}
	if res.FunctionError != "" {
		return exitFunction
	}
	return exitOK
}

// functionsRemote is functions --server: the server's functions, as the
// local table prints them.
func (a *App) functionsRemote(ctx context.Context, s *serverFlags, profile string) int {
	client, err := s.client(ctx, profile)
	if err != nil {
		return a.fail(err)
	}
	fns, err := client.Functions(ctx)
	if err != nil {
		return a.fail(err)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRUNTIME\tHANDLER\tTIMEOUT\tMEMORY\tNOTES")
	for _, fn := range fns {
		note := ""
		if fn.State != "" && fn.State != "Active" {
			note = "state " + fn.State
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%ds\t%d MB\t%s\n", fn.Name, fn.Runtime, fn.Handler, fn.Timeout, fn.MemoryMB, note)
	}
	tw.Flush()
	return exitOK
}
