package web

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lambdadeck/lambdadeck/static"
)

// maxBodyBytes bounds every request body. It sits well above Lambda's 6 MB
// event limit because a form-encoded event grows in transit (quotes and
// newlines are percent-encoded), and the invoke handler must read an
// oversize event whole to tell the user how large it was.
const maxBodyBytes = 24 << 20

// csrfContextKey is where the CSRF middleware leaves the token for forms.
const csrfContextKey = "csrf"

// contentSecurityPolicy allows only lambdadeck's own scripts, styles and
// images: no inline script or style, no CDN, no framing.
const contentSecurityPolicy = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// middleware installs the middleware chain, outermost first.
func (s *Server) middleware() error {
	csrf, err := middleware.CSRFConfig{
		Skipper:        skipCSRF,
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     csrfContextKey,
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		// Echo answers 400 for a missing token and 403 for a wrong one;
		// both are the same refusal to the user.
		ErrorHandler: func(error, echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden,
				"The form's security token is missing or stale. Reload the page and try again.")
		},
	}.ToMiddleware()
	if err != nil {
		return err
	}
	s.echo.Use(
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisablePrintStack: true,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				s.logger.Error("panic while serving a request",
					"method", c.Request().Method, "path", c.Request().URL.Path,
					"err", err, "stack", string(stack))
				return err
			},
		}),
		s.logRequests,
		securityHeaders,
		limitBody(maxBodyBytes),
		readForm,
		requireToken(csrf),
		s.authenticate,
		s.authorize,
	)
	return nil
}

// safeMethod reports whether method changes nothing (RFC 9110).
func safeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// requireToken makes the CSRF token required on every state-changing
// form, whatever Sec-Fetch-Site says. Echo's middleware lets a request
// that claims "Sec-Fetch-Site: same-origin" through without a token (and,
// for a GET that carries the header, renders a dummy token and sets no
// cookie), but any non-browser client can send that header: so the header
// is hidden from it, and it always takes the token path. A browser's
// cross-site state-changing request is refused even with a token.
func requireToken(csrf echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := csrf(next)
		return func(c echo.Context) error {
			if skipCSRF(c) {
				return next(c) // the Lambda API checks Sec-Fetch-Site itself
			}
			req := c.Request()
			if !safeMethod(req.Method) && req.Header.Get("Sec-Fetch-Site") == "cross-site" {
				return echo.NewHTTPError(http.StatusForbidden, "lambdadeck does not accept forms sent from other web sites.")
			}
			// No handler reads the header: it stays hidden.
			req.Header.Del("Sec-Fetch-Site")
			return checked(c)
		}
	}
}

// readForm parses a state-changing request's form before the CSRF
// middleware looks for its token there, so that a body over the limit (a
// chunked one, whose size the headers do not tell) is answered 413, not
// "security token missing".
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if safeMethod(req.Method) || skipCSRF(c) {
			return next(c)
		}
		mediaType, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		if mediaType == echo.MIMEApplicationForm || mediaType == echo.MIMEMultipartForm {
			if err := parseForm(req); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// skipCSRF leaves out requests that change nothing or cannot carry a token:
// static assets, the health check and the AWS Lambda API.
func skipCSRF(c echo.Context) bool {
	path := c.Request().URL.Path
	if strings.HasPrefix(path, static.Prefix) || path == "/healthz" {
		return true
	}
	// The AWS Lambda API: SDK and CLI clients sign their requests and carry
	// no CSRF token.
	for _, prefix := range [...]string{"/2015-03-31/", "/2021-11-15/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// logRequests logs every request at debug level, after the error handler
// has settled its status.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.logger.Enabled(c.Request().Context(), slog.LevelDebug) {
			return next(c)
		}
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req := c.Request()
		s.logger.LogAttrs(req.Context(), slog.LevelDebug, "request",
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.Int("status", c.Response().Status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("took", time.Since(start)))
		return nil
	}
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// tooLargeBody is the error for a request body over limit.
func tooLargeBody(limit int64) error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("The request body is over lambdadeck's %d MB limit.", limit>>20))
}

// limitBody caps request bodies with http.MaxBytesReader: reading past the
// limit fails with *http.MaxBytesError (mapped to 413), and form parsing
// then skips its own, smaller 10 MB cap.
func limitBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return tooLargeBody(limit)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}
