package web

// The HTTP front door: the template's API Gateway routes (REST and HTTP
// APIs) and Function URLs (under /_url/{function}/), on a listener of their
// own (serve --http-addr). invoker/apigw holds the rules; this file moves
// bytes: it reads the request, runs the authorizer and the function through
// the invoker (every run is recorded with source http), writes the answer
// and records the exchange for the history.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/apigw"
)

// DefaultIntegrationTimeout is API Gateway's 29 s limit on a REST API's
// Lambda integration: past it the client gets 504, whatever the function's
// own timeout (the function still runs to its end and is recorded).
const DefaultIntegrationTimeout = 29 * time.Second

// frontDoor serves the routes of the current table.
type frontDoor struct {
	s       *Server
	table   atomic.Pointer[apigw.Table]
	auth    *apigw.AuthCache
	timeout time.Duration
	url     frontDoorURL // where it listens, for the routes page
}

func newFrontDoor(s *Server, t *apigw.Table, timeout time.Duration) *frontDoor {
	if t == nil {
		t = &apigw.Table{}
	}
	if timeout <= 0 {
		timeout = DefaultIntegrationTimeout
	}
	f := &frontDoor{s: s, auth: apigw.NewAuthCache(), timeout: timeout}
	f.table.Store(t)
	return f
}

// SetRoutes replaces the front door's routes (the template was reloaded);
// requests already under way finish with the old ones.
func (s *Server) SetRoutes(t *apigw.Table) {
	if t == nil {
		t = &apigw.Table{}
	}
	s.front.table.Store(t)
	s.front.auth.Clear()
}

// Routes returns the front door's current route table.
func (s *Server) Routes() *apigw.Table { return s.front.table.Load() }

// FrontDoor returns the handler of the front door's own listener
// (serve --http-addr). It serves the template's routes and nothing else:
// none of the dashboard's pages or the Lambda API, and no CSRF token, since
// its clients are API clients, as API Gateway's are.
func (s *Server) FrontDoor() http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		s.logger.Error("front door request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		if !c.Response().Committed {
			_ = c.JSONBlob(http.StatusInternalServerError, []byte(`{"message":"Internal server error"}`))
		}
	}
	h := echo.WrapHandler(http.HandlerFunc(s.front.serveHTTP))
	e.Any("/", h)
	e.Any("/*", h)
	// The same Host and same-user checks as the dashboard: a web page that
	// rebinds its name to 127.0.0.1, or another local account, must not
	// reach the handlers through the front door either.
	return s.guard(e, false)
}

// traceKey carries a *frontTrace through a request's context: the routes
// page's sender reads from it which invocations a request made.
type traceKey struct{}

type frontTrace struct {
	requestIDs []string // the invocations, authorizer first
}

// serveHTTP answers one request as API Gateway would.
func (f *frontDoor) serveHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := context.WithoutCancel(r.Context())
	now := time.Now()
	req := &apigw.Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   map[string][]string{},
		Protocol: r.Proto,
		Time:     now,
		ID:       uuid.NewString(),
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header["Host"] = []string{r.Host}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		req.SourceIP = host
	}
	// API Gateway adds the X-Forwarded-* headers; a client's own
	// X-Forwarded-For is kept in front of the source address.
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		req.Header["X-Forwarded-For"] = []string{prior + ", " + req.SourceIP}
	} else {
		req.Header["X-Forwarded-For"] = []string{req.SourceIP}
	}
	req.Header["X-Forwarded-Proto"] = []string{"http"}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(la.String()); err == nil {
			req.Header["X-Forwarded-Port"] = []string{port}
		}
	}
	x := &exchange{f: f, req: req, w: w, trace: traceOf(r.Context())}
	w.Header().Set("Apigw-Requestid", req.ID)

	if r.ContentLength > apigw.MaxRequestBody {
		x.answer(apigw.RequestTooLarge.Clone(), nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, apigw.MaxRequestBody+1))
	if err != nil {
		x.answer(&apigw.Response{Status: 400, Header: map[string][]string{"Content-Type": {"application/json"}},
			Body: []byte(`{"message":"Bad Request"}`)}, nil)
		return
	}
	if len(body) > apigw.MaxRequestBody {
		x.answer(apigw.RequestTooLarge.Clone(), nil)
		return
	}
	req.Body = body

	table := f.table.Load()
	// A CORS preflight is answered by the front door itself, for the API
	// that serves the method the browser asks about.
	if want := r.Header.Get("Access-Control-Request-Method"); r.Method == http.MethodOptions && want != "" && r.Header.Get("Origin") != "" {
		if m, miss := table.Lookup(strings.ToUpper(want), req.Path); miss == nil && m.Route.API.Cors != nil {
			resp, _ := m.Route.API.Cors.Preflight(req)
			x.match = &m
			x.answer(resp, nil)
			return
		}
	}
	m, miss := table.Lookup(req.Method, req.Path)
	if miss != nil {
		x.answer(apigw.NoRouteResponse(miss), nil)
		return
	}
	x.match = &m

	authCtx, refused := x.authorize(ctx)
	if refused != nil {
		x.answer(refused, nil)
		return
	}
	event, err := m.Event(req, authCtx)
	if err != nil {
		x.answer(apigw.InternalServerError.Clone(), fmt.Errorf("build event: %w", err))
		return
	}
	invReq := lambdadeck.InvokeRequest{Function: m.Route.Function, Event: event, Source: lambdadeck.SourceHTTP, UserAgent: r.UserAgent()}
	if m.Route.Streaming {
		x.stream(ctx, invReq)
		return
	}
	inv, timedOut, err := x.invoke(ctx, invReq, m.Route.API.Kind == apigw.REST)
	switch {
	case err != nil:
		x.answer(invokeFailure(err), err)
	case timedOut:
		x.answer(apigw.EndpointTimedOut.Clone(), nil)
	case inv.Failed():
		x.answer(apigw.InternalServerError.Clone(), nil)
	default:
		resp, merr := m.MapResponse(req, inv.Payload)
		if merr != nil {
			f.s.logger.Warn("front door: malformed function response", "function", m.Route.Function, "request_id", inv.RequestID, "err", merr)
			x.answer(apigw.InternalServerError.Clone(), nil)
			return
		}
		x.answer(resp, nil)
	}
}

func traceOf(ctx context.Context) *frontTrace {
	t, _ := ctx.Value(traceKey{}).(*frontTrace)
	return t
}

// invokeFailure is API Gateway's answer when the invocation could not
// happen at all.
func invokeFailure(err error) *apigw.Response {
	switch lambdadeck.ErrorCode(err) {
	case lambdadeck.ETHROTTLED:
		r := apigw.InternalServerError.Clone()
		r.Status, r.Body = http.StatusTooManyRequests, []byte(`{"message":"Too Many Requests"}`)
		return r
	case lambdadeck.ETOOLARGE:
		return apigw.RequestTooLarge.Clone()
	}
	return apigw.InternalServerError.Clone()
}

// exchange is one request through the front door.
type exchange struct {
	f     *frontDoor
	req   *apigw.Request
	match *apigw.Match
	w     http.ResponseWriter
	trace *frontTrace
	// invocations made for this request, to record the exchange with.
	requestIDs []string
}

// authorize runs the route's authorizer, if any: the context for the
// event, or the refusal to send.
func (x *exchange) authorize(ctx context.Context) (map[string]any, *apigw.Response) {
	m := *x.match
	res := x.f.auth.Authorize(m, x.req)
	if res.Call != nil {
		inv, _, err := x.invoke(ctx, lambdadeck.InvokeRequest{Function: res.Call.Function, Event: res.Call.Event,
			Source: lambdadeck.SourceHTTP, UserAgent: firstValue(x.req.Header["User-Agent"])}, false)
		if err != nil {
			x.f.s.logger.Warn("front door: authorizer could not run", "authorizer", res.Call.Function, "err", err)
			return nil, apigw.AuthorizerFailure.Clone()
		}
		res = x.f.auth.Decide(m, x.req, res.Call, inv.Payload, inv.Failed())
	}
	return res.Context, res.Response
}

// invoke runs one invocation; with limit, the client stops waiting after
// the integration timeout (timedOut) while the function runs on.
func (x *exchange) invoke(ctx context.Context, req lambdadeck.InvokeRequest, limit bool) (*lambdadeck.Invocation, bool, error) {
	li, ok := x.f.s.invoker.(liveInvoker)
	if !ok {
		inv, err := x.f.s.invoker.Invoke(ctx, req)
		if err == nil {
			x.note(inv.RequestID)
		}
		return inv, false, err
	}
	run, err := li.Start(ctx, req)
	if err != nil {
		return nil, false, err
	}
	x.note(run.RequestID)
	if !limit {
		inv, err := run.Wait()
		return inv, false, err
	}
	timer := time.NewTimer(x.f.timeout)
	defer timer.Stop()
	select {
	case <-run.Done():
		inv, err := run.Wait()
		return inv, false, err
	case <-timer.C:
		// The client gets 504; the function runs on to its end and is
		// recorded, with this exchange.
		return nil, true, nil
	}
}

func (x *exchange) note(requestID string) {
	// Where the request is in lambdadeck's history: the function's
	// invocation (set last, after any authorizer's).
	x.w.Header().Set("X-Lambdadeck-Request-Id", requestID)
	x.requestIDs = append(x.requestIDs, requestID)
	if x.trace != nil {
		x.trace.requestIDs = append(x.trace.requestIDs, requestID)
	}
}

// stream answers a RESPONSE_STREAM Function URL: the body goes to the
// client as the handler writes it, after the HTTP integration prelude.
func (x *exchange) stream(ctx context.Context, req lambdadeck.InvokeRequest) {
	li, ok := x.f.s.invoker.(liveInvoker)
	if !ok {
		x.answer(apigw.InternalServerError.Clone(), errors.New("the invoker cannot stream"))
		return
	}
	run, err := li.Start(ctx, req)
	if err != nil {
		x.answer(invokeFailure(err), err)
		return
	}
	x.note(run.RequestID)
	var (
		resp    *apigw.Response
		sent    int // bytes of the streamed body consumed (prelude included)
		started bool
		body    bytes.Buffer
	)
	flusher, _ := x.w.(http.Flusher)
	send := func(streamed []byte, final bool, contentType string) {
		if !started {
			r, start, ok, perr := apigw.StreamPrelude(streamed, final, contentType)
			if perr != nil || !ok {
				return
			}
			resp, sent, started = r, start, true
			x.writeHead(resp)
		}
		if len(streamed) > sent {
			chunk := streamed[sent:]
			body.Write(chunk)
			_, _ = x.w.Write(chunk)
			sent = len(streamed)
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	for {
		st, running := li.Live(run.RequestID)
		if !running {
			break
		}
		if st.Streaming {
			send(st.Body, false, "")
		}
		select {
		case <-st.Changed:
		case <-run.Done():
		}
	}
	inv, err := run.Wait()
	if err != nil {
		if !started {
			x.answer(apigw.InternalServerError.Clone(), err)
		}
		return
	}
	if inv.Failed() && !started {
		x.answer(apigw.InternalServerError.Clone(), nil)
		return
	}
	if !inv.Failed() {
		send(inv.Payload, true, inv.ContentType)
	}
	if !started {
		// Neither a prelude nor bytes: an empty 200.
		resp = &apigw.Response{Status: 200, Header: map[string][]string{"Content-Type": {"application/octet-stream"}}}
		x.writeHead(resp)
	}
	resp.Body = body.Bytes()
	x.recordAll(ctx, resp)
}

// writeHead sends the status and headers, with CORS added.
func (x *exchange) writeHead(resp *apigw.Response) {
	if x.match != nil && x.match.Route.API.Cors != nil {
		x.match.Route.API.Cors.Decorate(x.req, resp)
	}
	h := x.w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	x.w.WriteHeader(resp.Status)
}

// answer sends a whole response and records the exchange.
func (x *exchange) answer(resp *apigw.Response, err error) {
	if err != nil {
		x.f.s.logger.Error("front door", "method", x.req.Method, "path", x.req.Path, "err", err)
	}
	x.writeHead(resp)
	if x.req.Method != http.MethodHead {
		_, _ = x.w.Write(resp.Body)
	}
	x.recordAll(context.Background(), resp)
}

// recordAll records the exchange with every invocation it made.
func (x *exchange) recordAll(ctx context.Context, resp *apigw.Response) {
	for _, id := range x.requestIDs {
		x.save(ctx, id, resp)
	}
}

func (x *exchange) save(ctx context.Context, requestID string, resp *apigw.Response) {
	ex := lambdadeck.HTTPExchange{
		Method:   x.req.Method,
		Path:     x.req.Path,
		Status:   resp.Status,
		Request:  requestText(x.req),
		Response: responseText(resp),
	}
	if x.req.RawQuery != "" {
		ex.Path += "?" + x.req.RawQuery
	}
	if x.match != nil {
		ex.Route, ex.API = x.match.Route.Key(), x.match.Route.API.ID
	}
	if err := x.f.s.store.SaveHTTPExchange(ctx, requestID, ex); err != nil {
		x.f.s.logger.Error("front door: recording the exchange", "request_id", requestID, "err", err)
	}
}

// requestText is the request as text: request line, headers, body.
func requestText(r *apigw.Request) string {
	var b strings.Builder
	target := r.Path
	if r.RawQuery != "" {
		target += "?" + r.RawQuery
	}
	fmt.Fprintf(&b, "%s %s %s\n", r.Method, target, r.Protocol)
	writeHeaders(&b, r.Header)
	b.WriteString("\n")
	b.Write(printable(r.Body))
	return b.String()
}

// responseText is the response as text: status line, headers, body.
func responseText(r *apigw.Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", r.Status, http.StatusText(r.Status))
	writeHeaders(&b, r.Header)
	b.WriteString("\n")
	b.Write(printable(r.Body))
	return b.String()
}

func writeHeaders(b *strings.Builder, h map[string][]string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			if isSecretHeader(k) {
				v = "••••" // never shown or kept: it may be a credential
			}
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

// isSecretHeader reports whether a header may carry a credential.
func isSecretHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Amz-Security-Token":
		return true
	}
	return false
}

// printable is a body as the history shows it: text as is, binary as a
// note of its size.
func printable(body []byte) []byte {
	if bytes.ContainsRune(body, 0) || !isUTF8(body) {
		return []byte(fmt.Sprintf("(%d bytes of binary data)", len(body)))
	}
	return body
}

func isUTF8(b []byte) bool { return utf8.Valid(b) }

func firstValue(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// The real invoker streams and times out through liveInvoker.
var _ liveInvoker = (*invoker.Invoker)(nil)
