package web

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/apigw"
	"github.com/lambdadeck/lambdadeck/views"
)

// frontDoorURL is where the front door listens, for the routes page.
type frontDoorURL struct {
	mu  sync.Mutex
	url string
}

// SetFrontDoorURL tells the routes page where the front door listens
// (serve --http-addr).
func (s *Server) SetFrontDoorURL(u string) {
	s.front.url.mu.Lock()
	s.front.url.url = u
	s.front.url.mu.Unlock()
}

func (s *Server) frontDoorAddress() string {
	s.front.url.mu.Lock()
	defer s.front.url.mu.Unlock()
	return s.front.url.url
}

// routeRows describes routes for the views.
func routeRows(routes []*apigw.Route) []views.RouteRow {
	rows := make([]views.RouteRow, 0, len(routes))
	for _, r := range routes {
		row := views.RouteRow{
			ID:       routeID(r),
			Method:   r.Method,
			Path:     r.Path,
			Function: r.Function,
			Payload:  r.PayloadVersion,
			Auth:     r.AuthLabel(),
			JWT:      r.Authorizer != nil && !r.Authorizer.Lambda(),
		}
		switch r.API.Kind {
		case apigw.URL:
			row.API = "Function URL"
			row.Path = apigw.URLPrefix + r.Function + "/{proxy+}"
			row.Streaming = r.Streaming
			row.SamplePath = apigw.URLPrefix + r.Function + "/"
		default:
			row.API = r.API.ID + " (" + string(r.API.Kind) + ")"
			row.SamplePath = samplePath(r.Path)
		}
		rows = append(rows, row)
	}
	return rows
}

// routeID names a route stably across reloads.
func routeID(r *apigw.Route) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", r.API.ID, r.Key(), r.Function)
	return fmt.Sprintf("r%08x", h.Sum32())
}

var pathParam = regexp.MustCompile(`\{([^}+]+)\+?\}`)

// samplePath is a path that reaches a route: each {param} becomes its name.
func samplePath(p string) string {
	if p == apigw.DefaultRoute {
		return "/"
	}
	return pathParam.ReplaceAllString(p, "$1")
}

// routesPage lists the front door's routes: GET /routes.
func (s *Server) routesPage(c echo.Context) error {
	return s.renderRoutes(c, http.StatusOK, views.RoutesPage{})
}

func (s *Server) renderRoutes(c echo.Context, status int, p views.RoutesPage) error {
	t := s.Routes()
	p.Page = s.page(c, "Routes", "routes")
	p.Routes = routeRows(t.Routes)
	p.Warnings = t.Warnings
	p.FrontDoorURL = s.frontDoorAddress()
	return render(c, status, views.Routes(p))
}

// methodToken is what an HTTP method may be.
var methodToken = regexp.MustCompile(`^[A-Z]{1,16}$`)

// headerName is what a header name may be (RFC 9110 token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")

// sendRoute sends a request from a route's form through the front door,
// in process, and shows the answer: POST /routes/send.
func (s *Server) sendRoute(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the form could not be read: %v", err)
	}
	send := views.RouteSend{
		RouteID: form.Get("route"),
		Method:  strings.ToUpper(strings.TrimSpace(form.Get("method"))),
		Path:    strings.TrimSpace(form.Get("path")),
		Query:   strings.TrimPrefix(strings.TrimSpace(form.Get("query")), "?"),
		Headers: form.Get("headers"),
		Body:    form.Get("body"),
	}
	mistake := func(msg string) error {
		return s.renderRoutes(c, http.StatusBadRequest, views.RoutesPage{Send: send, FormError: msg})
	}
	if !methodToken.MatchString(send.Method) {
		return mistake(fmt.Sprintf("The method %q is not an HTTP method such as GET or POST.", send.Method))
	}
	if !strings.HasPrefix(send.Path, "/") || strings.ContainsAny(send.Path, "?# \t\r\n") {
		return mistake("The path must start with / and hold no spaces, ? or #: put the query string in Query.")
	}
	if _, err := url.ParseQuery(send.Query); err != nil {
		return mistake(fmt.Sprintf("The query string is not valid: %v.", err))
	}
	u, err := url.Parse("http://frontdoor" + send.Path)
	if err != nil {
		return mistake(fmt.Sprintf("The path is not valid: %v.", err))
	}
	u.RawQuery = send.Query
	req, err := http.NewRequestWithContext(c.Request().Context(), send.Method, u.String(), strings.NewReader(send.Body))
	if err != nil {
		return mistake(fmt.Sprintf("The request cannot be built: %v.", err))
	}
	for i, line := range strings.Split(strings.ReplaceAll(send.Headers, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || !headerName.MatchString(name) || strings.ContainsAny(value, "\r\n") {
			return mistake(fmt.Sprintf("Header line %d, %q, is not Name: value.", i+1, line))
		}
		req.Header.Add(name, strings.TrimSpace(value))
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
		req.Header.Del("Host")
	} else {
		req.Host = strings.TrimPrefix(strings.TrimPrefix(s.frontDoorAddress(), "http://"), "https://")
		if req.Host == "" {
			req.Host = "localhost"
		}
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("User-Agent", "lambdadeck routes page")
	trace := &frontTrace{}
	req = req.WithContext(context.WithValue(req.Context(), traceKey{}, trace))
	rec := newRecorder()
	s.front.serveHTTP(rec, req)
	result := &views.RouteResult{Status: rec.status, Response: responseText(&apigw.Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()})}
	if n := len(trace.requestIDs); n > 0 {
		result.RequestID = trace.requestIDs[n-1]
	}
	return s.renderRoutes(c, http.StatusOK, views.RoutesPage{Send: send, Result: result})
}

// recorder is the http.ResponseWriter of an in-process send.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func (r *recorder) Flush() {}
