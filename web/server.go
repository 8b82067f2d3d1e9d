// Package web is lambdadeck's HTTP server: the dashboard pages, the invoke
// form, the invocation history and the health check, on Echo. Every route is
// listed in routes.go; errors from any handler are mapped to a status and an
// HTML page (or an htmx fragment) in one place, errors.go.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/apigw"
	"github.com/lambdadeck/lambdadeck/static"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// Invoker is what the web layer needs from the invoker: the configured
// functions and a way to run one. The real one (invoker.Invoker) records
// every invocation in the store itself; the web layer never writes
// invocations.
type Invoker interface {
	Functions() []lambdadeck.Function
	// Function returns the named function; an unknown name is ENOTFOUND.
	Function(name string) (lambdadeck.Function, error)
	Invoke(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error)
}

// Config is what New needs.
type Config struct {
	Invoker Invoker
	Store   *store.DB
	Logger  *slog.Logger // nil discards logs
	// Warnings are the template loader's warnings, shown on the dashboard.
	Warnings []string
	// TemplatePath is the template the functions came from, for display.
	TemplatePath string
	Version      string
	// AllowedHosts are Host names answered beside localhost, the loopback
	// literals and the bound address (serve --allowed-host): "name" for any
	// port, "name:port" for one.
	AllowedHosts []string
	// OwnerUID is the user allowed beside root by the same-user check; 0
	// means the user running lambdadeck.
	OwnerUID int
	// Limits are the connection limits of HTTPServer and Listener.
	Limits Limits
	// Routes are the HTTP front door's routes (frontdoor.go); nil for none.
	Routes *apigw.Table
	// RequireSignedAPI makes the Lambda API verify every request's AWS
	// Signature Version 4 against the API keys in the store; team mode
	// (Auth local, proxy or OIDC) always does. Secrets must then be set
	// (without it no key is recognised). Off, in laptop mode, any
	// credentials are accepted.
	RequireSignedAPI bool
	// Secrets opens the API keys' sealed secrets (store.OpenSecrets).
	Secrets *store.Secrets
	// Retention is the retention limits given on the command line; each
	// one set wins over the one saved on /settings.
	Retention store.Retention
	// IntegrationTimeout is how long the front door waits for a REST API's
	// function before answering 504 (DefaultIntegrationTimeout when zero).
	IntegrationTimeout time.Duration
	// Auth is how people sign in; the zero value is laptop mode (no
	// sign-in, every request the local user's).
	Auth AuthConfig
}

// Server serves lambdadeck's dashboard. It is an http.Handler.
type Server struct {
	echo         *echo.Echo
	invoker      Invoker
	store        *store.DB
	logger       *slog.Logger
	assets       *static.Assets
	warningsMu   sync.Mutex
	warnings     []string
	templatePath string
	version      string
	testRuns     *testRuns    // the dashboard's recent test runs (testrun.go)
	handler      http.Handler // the guard (guard.go) in front of echo
	hosts        []allowedHost
	owner        int
	limits       Limits
	front        *frontDoor // the HTTP front door (frontdoor.go)
	// requireSignedAPI: the Lambda API verifies signatures (apiauth.go).
	requireSignedAPI bool
	secrets          *store.Secrets
	retention        store.Retention
	auth             AuthConfig
	limiter          *loginLimiter
	oidc             *oidcProvider // --auth oidc (oidc.go)
	// registered holds "METHOD /path" of every route, for authorize.
	registered map[string]bool
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Invoker == nil {
		return nil, errors.New("web: config has no invoker")
	}
	if cfg.Store == nil {
		return nil, errors.New("web: config has no store")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RequireSignedAPI && cfg.Secrets == nil {
		return nil, errors.New("web: signed API requests need the server key (config has no Secrets)")
	}
	hosts, err := parseAllowedHosts(cfg.AllowedHosts)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	auth := cfg.Auth.withDefaults()
	if err := auth.check(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	assets, err := static.New()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s := &Server{
		echo:         echo.New(),
		invoker:      cfg.Invoker,
		store:        cfg.Store,
		logger:       logger,
		assets:       assets,
		warnings:     append([]string(nil), cfg.Warnings...),
		templatePath: cfg.TemplatePath,
		version:      cfg.Version,
		testRuns:     newTestRuns(),
		hosts:        hosts,
		owner:        ownerUID(cfg.OwnerUID),
		limits:       cfg.Limits.withDefaults(),

		requireSignedAPI: cfg.RequireSignedAPI || auth.team(),
		secrets:          cfg.Secrets,
		retention:        cfg.Retention,
		auth:             auth,
		limiter:          newLoginLimiter(),
		registered:       map[string]bool{},
	}
	if auth.Mode == AuthOIDC {
		if s.oidc, err = newOIDCProvider(context.Background(), auth.OIDC); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	s.handler = s.guard(s.echo, false)
	s.front = newFrontDoor(s, cfg.Routes, cfg.IntegrationTimeout)
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	if err := s.middleware(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.routes()
	for _, r := range s.echo.Routes() {
		s.registered[routeKey(r.Method, r.Path)] = true
	}
	return s, nil
}

// SetWarnings replaces the template warnings the dashboard shows, after
// the template was reloaded.
func (s *Server) SetWarnings(warnings []string) {
	s.warningsMu.Lock()
	s.warnings = append([]string(nil), warnings...)
	s.warningsMu.Unlock()
}

func (s *Server) currentWarnings() []string {
	s.warningsMu.Lock()
	defer s.warningsMu.Unlock()
	return s.warnings
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// guard puts the Host and same-user checks and the body timeouts in front
// of next; apiAll when every path of next is the Lambda API.
func (s *Server) guard(next http.Handler, apiAll bool) http.Handler {
	return &guard{next: next, hosts: s.hosts, owner: s.owner, apiAll: apiAll, limits: s.limits}
}

// Echo returns the underlying router, for adding routes (the AWS Lambda API)
// next to the dashboard's.
func (s *Server) Echo() *echo.Echo { return s.echo }

// page returns the parts of a view model every full page needs.
func (s *Server) page(c echo.Context, title, nav string) views.Page {
	token, _ := c.Get(csrfContextKey).(string)
	return views.Page{
		Title:     title,
		Nav:       nav,
		CSRFToken: token,
		Assets:    s.assets,
		Version:   s.version,
		// The banner stays on every page until the store recovers.
		StoreProblem: s.storeBanner(c.Request().Context()),
		Principal:    principalOf(c),
		Team:         s.auth.team(),
		Open:         s.auth.Mode == AuthNone,
	}
}

// storeBanner is the dashboard's banner text while the store fails. While
// it fails, each page asks the store whether it has recovered.
func (s *Server) storeBanner(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	_ = s.store.ProbeWrite(ctx)
	problem, since, _ := s.storeProblem()
	if problem == "" {
		return ""
	}
	return problem + " (since " + since.Format("15:04:05 UTC") + ")"
}

// render renders a component into a buffer first and only then writes it,
// so a failing template never sends half a page with status 200.
func render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render %s: %w", c.Path(), err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// isHTMX reports whether the request came from htmx (and so wants a
// fragment, not a page).
func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}
