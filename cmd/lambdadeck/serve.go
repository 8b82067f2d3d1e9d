package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/apigw"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/web"
)

// Serve runs the dashboard until ctx is done.
func (a *App) Serve(ctx context.Context, args []string) int {
	var c commonFlags
	fs := a.newFlagSet("serve", "lambdadeck serve [-t template.yaml] [--addr 127.0.0.1:8080] [--allowed-host NAME]... [--db .lambdadeck/lambdadeck.db]")
	c.register(fs)
	c.registerAWS(fs)
	c.registerNoBuild(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "the `address` to listen on (127.0.0.1 keeps it to this machine)")
	apiAddr := fs.String("api-addr", "", "also serve the AWS Lambda API alone on this `address` (it is on --addr too)")
	retryDelay := fs.Duration("async-retry-delay", invoker.DefaultRetryDelay, "wait this `long` before retrying a failed Event invocation, twice as long before the next retry (Lambda waits 1m, then 2m)")
	var allowedHosts stringList
	fs.Var(&allowedHosts, "allowed-host", "also answer requests whose Host is this `name` (any port) or name:port, on both listeners; repeatable (localhost, loopback addresses and --addr are always answered)")
	httpAddr := fs.String("http-addr", "", "serve the template's API Gateway routes and Function URLs (/_url/FUNCTION/) on this `address`; off unless given")
	keep := fs.String("keep", "", "remove invocations older than this `age` (30d, 12h, 2w); wins over /settings")
	keepInvocations := fs.String("keep-invocations", "", "keep at most this `many` invocations, the newest (1000000, 1M); wins over /settings")
	keepBytes := fs.String("keep-bytes", "", "remove the oldest invocations while the database is larger than this `size` (5GB, 500MB); wins over /settings")
	var team teamFlags
	team.register(fs)
	watch := fs.Bool("watch", true, "retire warm instances when a function's code or the template changes, so the next invocation runs the new code")
	if _, err := parse(fs, args); err != nil {
		return a.fail(usageError(err))
	}
	if *retryDelay <= 0 {
		return a.fail(usageError(fmt.Errorf("--async-retry-delay must be positive, like 1m or 500ms")))
	}
	// Every flag is checked before anything is opened or written: a typo
	// must not leave a state folder behind, nor start the invoker.
	if err := web.CheckAllowedHosts(allowedHosts); err != nil {
		return a.fail(usageError(err))
	}
	for _, l := range []struct{ flag, value string }{{"--addr", *addr}, {"--api-addr", *apiAddr}, {"--http-addr", *httpAddr}} {
		if err := checkListenAddr(l.flag, l.value); err != nil {
			return a.fail(usageError(err))
		}
	}
	retention, err := parseRetention(*keep, *keepInvocations, *keepBytes)
	if err != nil {
		return a.fail(usageError(err))
	}
	authConfig, tlsConfig, err := team.config(map[string]string{"--addr": *addr, "--api-addr": *apiAddr, "--http-addr": *httpAddr})
	if err != nil {
		return a.fail(usageError(err))
	}
	logger := a.logger(c.verbose)
	p, err := c.loadProject()
	if err != nil {
		return a.fail(err)
	}
	routes := apigw.Build(p.http, p.functions)
	warnings := append(slices.Clone(p.warnings), routes.Warnings...)
	for _, w := range warnings {
		logger.Warn("template: " + w)
	}
	if p.aws != nil {
		logger.Info("handlers run in " + p.aws.Region() + " with " + p.aws.Status(ctx))
		for _, e := range p.aws.Describe() {
			logger.Info("AWS endpoint for handlers: " + e)
		}
	}
	// The template's changes reach the dashboard once it exists; the
	// watcher that calls this starts after it does.
	var (
		srv *web.Server
		iv  *invoker.Invoker
		db  *store.DB
	)
	reloadTemplate := func() { a.reloadTemplate(p.templatePath, p.options, logger, iv, srv) }
	db, iv, err = a.openParts(ctx, &c, p, logger, reloadTemplate, *retryDelay)
	if err != nil {
		return a.fail(err)
	}
	defer db.Close()
	defer iv.Close()
	if n := db.Recovered(); n > 0 {
		logger.Warn(fmt.Sprintf("%d invocations were still running when lambdadeck last stopped; they are marked interrupted", n))
	}

	srv, err = web.New(web.Config{
		Invoker:      iv,
		Store:        db,
		Logger:       logger,
		Warnings:     warnings,
		TemplatePath: p.templatePath,
		Version:      Version,
		AllowedHosts: allowedHosts,
		Routes:       routes,
		// API keys' secrets, sealed under a key beside the database.
		Secrets:   store.NewSecrets(filepath.Join(c.stateDirectory(), store.SecretsFile)),
		Retention: retention,
		Auth:      authConfig,
		// In team mode the Lambda API takes only requests signed with an
		// account's API key.
		RequireSignedAPI: authConfig.Mode == web.AuthLocal || authConfig.Mode == web.AuthProxy || authConfig.Mode == web.AuthOIDC,
	})
	if err != nil {
		return a.fail(lambdadeck.Errorf(lambdadeck.EINVALID, "%s", strings.TrimPrefix(err.Error(), "web: ")))
	}
	a.teamNotice(ctx, db, authConfig)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return a.fail(fmt.Errorf("cannot listen on %s: %w", *addr, err))
	}
	scheme := "http"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
	}
	// Error grouping and retention in the background; stopped before the
	// database closes.
	maintainCtx, stopMaintain := context.WithCancel(ctx)
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		db.Maintain(maintainCtx, store.DefaultMaintainInterval,
			func(ctx context.Context) (store.Retention, error) { return db.EffectiveRetention(ctx, retention) },
			func(err error) { logger.Warn("history maintenance", "err", err) })
	}()
	defer func() { stopMaintain(); <-maintained }()
	if *watch {
		if err := iv.Watch(ctx); err != nil {
			logger.Warn("code changes will not be noticed: " + err.Error())
		}
	}
	if *apiAddr != "" {
		apiLn, err := net.Listen("tcp", *apiAddr)
		if err != nil {
			ln.Close()
			return a.fail(fmt.Errorf("cannot listen on %s: %w", *apiAddr, err))
		}
		// The API's own listener answers everything in AWS's format, even
		// unknown paths; it stops, gracefully, before the invoker does.
		api := srv.HTTPServer(srv.LambdaAPI())
		apiScheme := "http"
		if tlsConfig != nil {
			apiLn, apiScheme = tls.NewListener(apiLn, tlsConfig), "https"
		}
		go api.Serve(srv.Listener(apiLn))
		defer func() {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = api.Shutdown(shutdownCtx)
		}()
		fmt.Fprintf(a.Stdout, "AWS Lambda API on %s://%s\n", apiScheme, apiLn.Addr())
	}
	if *httpAddr != "" {
		httpLn, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			ln.Close()
			return a.fail(fmt.Errorf("cannot listen on %s: %w", *httpAddr, err))
		}
		// The front door serves only the template's routes; it stops,
		// gracefully, before the invoker does.
		front := srv.HTTPServer(srv.FrontDoor())
		go front.Serve(srv.Listener(httpLn))
		defer func() {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = front.Shutdown(shutdownCtx)
		}()
		srv.SetFrontDoorURL("http://" + httpLn.Addr().String())
		fmt.Fprintf(a.Stdout, "HTTP front door (%d routes) on http://%s\n", len(routes.Routes), httpLn.Addr())
	}
	return a.serve(ctx, ln, scheme, srv, p, len(iv.Functions()))
}

// parseRetention reads --keep, --keep-invocations and --keep-bytes.
func parseRetention(keep, count, size string) (store.Retention, error) {
	var r store.Retention
	var err error
	if r.MaxAge, err = store.ParseAge(keep); err != nil {
		return r, fmt.Errorf("--keep: %s", lambdadeck.ErrorMessage(err))
	}
	if r.MaxInvocations, err = store.ParseCount(count); err != nil {
		return r, fmt.Errorf("--keep-invocations: %s", lambdadeck.ErrorMessage(err))
	}
	if r.MaxBytes, err = store.ParseBytes(size); err != nil {
		return r, fmt.Errorf("--keep-bytes: %s", lambdadeck.ErrorMessage(err))
	}
	return r, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// reloadTemplate loads the changed template and hands its functions to the
// invoker, which restarts only the functions whose configuration changed. A
// template that does not load (half-saved, broken YAML) keeps the previous
// functions running, and the dashboard says why.
func (a *App) reloadTemplate(path string, opts sam.Options, logger *slog.Logger, iv *invoker.Invoker, srv *web.Server) {
	tpl, err := sam.LoadWith(path, opts)
	if err == nil {
		var changed []string
		changed, err = iv.Reload(tpl.Functions)
		if err == nil {
			routes := apigw.Build(tpl.HTTP, tpl.Functions)
			srv.SetRoutes(routes)
			srv.SetWarnings(append(tpl.Warnings, routes.Warnings...))
			logger.Info("template reloaded", "changed", strings.Join(changed, ","))
			return
		}
	}
	msg := lambdadeck.ErrorMessage(err)
	if lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
		msg = err.Error()
	}
	logger.Warn("the template changed but cannot be loaded; the previous functions keep running", "err", msg)
	srv.SetWarnings([]string{"The template changed but cannot be loaded, so the previous functions keep running: " + msg})
}

// serve runs srv on ln until ctx is done, then shuts down gracefully:
// requests in flight get a few seconds to finish before instances are killed.
func (a *App) serve(ctx context.Context, ln net.Listener, scheme string, srv *web.Server, p *project, functions int) int {
	// Header, body and idle timeouts, and the peer's user noted for the
	// same-user check; no write timeout: an invocation may legitimately run
	// for 15 minutes.
	hs := srv.HTTPServer(srv)
	source := p.templatePath
	if p.builtIn {
		source = "the built-in examples (" + p.templatePath + ")"
	}
	fmt.Fprintf(a.Stdout, "lambdadeck %s: %d functions from %s\nListening on %s://%s\n", Version, functions, source, scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(srv.Listener(ln)) }()
	select {
	case err := <-errc:
		return a.fail(err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return a.fail(err)
	}
	fmt.Fprintln(a.Stdout, "lambdadeck stopped")
	return exitOK
}

// checkListenAddr checks a listen address flag's syntax (host:port, the
// host optional, the port a number); "" is allowed for the optional ones.
func checkListenAddr(flag, value string) error {
	if value == "" && flag != "--addr" {
		return nil
	}
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		return fmt.Errorf("%s %q is not host:port (like 127.0.0.1:8080)", flag, value)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s %q has an invalid port %q", flag, value, port)
	}
	if strings.ContainsAny(host, "/ @?#") {
		return fmt.Errorf("%s %q is not host:port (like 127.0.0.1:8080)", flag, value)
	}
	return nil
}

// teamNotice says on start which mode runs, and, for --auth local with no
// account yet, how to create the first admin.
func (a *App) teamNotice(ctx context.Context, db *store.DB, cfg web.AuthConfig) {
	switch cfg.Mode {
	case web.AuthLaptop:
		return
	case web.AuthNone:
		fmt.Fprintln(a.Stdout, "WARNING: --auth none: anyone who can reach this lambdadeck can run any function and read every invocation.")
		return
	}
	fmt.Fprintf(a.Stdout, "Team mode: --auth %s\n", cfg.Mode)
	if n, err := db.CountUsers(ctx); err == nil && n == 0 && cfg.Mode == web.AuthLocal {
		fmt.Fprintf(a.Stdout, "No accounts yet. Create the first admin (in another shell, same --db):\n  lambdadeck users add NAME --role admin --db %s\n", db.Path())
	}
}
