package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/apigw"
	lambdaevents "github.com/lambdadeck/lambdadeck/invoker/events"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
	"github.com/lambdadeck/lambdadeck/store"
)

// frontEnv is the front door tests' setup: the testdata/frontdoor template
// (Node.js and Python handlers) run by the real invoker, recorded in a real
// store, with the front door and the dashboard each on a real listener.
type frontEnv struct {
	front, dash *httptest.Server
	srv         *Server
	db          *store.DB
	dir         string
}

// frontIntegrationTimeout stands in for API Gateway's 29 s in tests.
const frontIntegrationTimeout = 10 * time.Second

func newFrontEnv(t *testing.T) *frontEnv {
	t.Helper()
	for _, tool := range []string{"node", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "app"), os.DirFS(filepath.Join("testdata", "frontdoor"))); err != nil {
		t.Fatal(err)
	}
	tpl, err := sam.Load(filepath.Join(dir, "app", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	iv, err := invoker.New(invoker.Config{Functions: tpl.Functions, Recorder: db, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	routes := apigw.Build(tpl.HTTP, tpl.Functions)
	srv, err := New(Config{Invoker: iv, Store: db, TemplatePath: tpl.Path, Version: "frontdoor",
		Warnings: routes.Warnings, Routes: routes, IntegrationTimeout: frontIntegrationTimeout})
	if err != nil {
		t.Fatal(err)
	}
	e := &frontEnv{front: httptest.NewServer(srv.FrontDoor()), dash: httptest.NewServer(srv), srv: srv, db: db, dir: dir}
	t.Cleanup(e.front.Close)
	t.Cleanup(e.dash.Close)
	return e
}

// frontResponse is one answer of the front door, read whole.
type frontResponse struct {
	status int
	header http.Header
	body   []byte
}

func (e *frontEnv) send(t *testing.T, method, target string, body []byte, header ...string) frontResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.front.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return frontResponse{resp.StatusCode, resp.Header, b}
}

func (r frontResponse) want(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, truncate(string(r.body), 500))
	}
}

// echoed is the event the echo handlers sent back in their body.
func (r frontResponse) echoed(t *testing.T) json.RawMessage {
	t.Helper()
	var out struct {
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || out.Event == nil {
		t.Fatalf("body is not an echoed event: %v: %s", err, truncate(string(r.body), 300))
	}
	return out.Event
}

// strictDecode decodes an event into v, refusing any field v lacks.
func strictDecode(t *testing.T, event []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("the event does not decode strictly into %T: %v\n%s", v, err, event)
	}
}

// sameShape checks that every key of the shipped sample (at the top level
// and in requestContext) is in the generated event too.
func sameShape(t *testing.T, event []byte, service, name string, ignore ...string) {
	t.Helper()
	tpl, err := lambdaevents.Lookup(service, name)
	if err != nil {
		t.Fatal(err)
	}
	sample, err := tpl.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(doc []byte) (top, ctx []string) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		for k := range m {
			top = append(top, k)
		}
		var rc map[string]json.RawMessage
		_ = json.Unmarshal(m["requestContext"], &rc)
		for k := range rc {
			ctx = append(ctx, "requestContext."+k)
		}
		return top, ctx
	}
	wantTop, wantCtx := keys(sample)
	gotTop, gotCtx := keys(event)
	for _, k := range append(wantTop, wantCtx...) {
		if !slices.Contains(gotTop, k) && !slices.Contains(gotCtx, k) && !slices.Contains(ignore, k) {
			t.Errorf("the generated event lacks %s, which the %s/%s sample has", k, service, name)
		}
	}
}

// invocationOf returns the recorded invocation a front door answer names.
func (e *frontEnv) invocationOf(t *testing.T, r frontResponse) *lambdadeck.Invocation {
	t.Helper()
	id := r.header.Get("X-Lambdadeck-Request-Id")
	if id == "" {
		t.Fatal("no X-Lambdadeck-Request-Id on the answer")
	}
	// The exchange is saved just after the answer is written.
	deadline := time.Now().Add(30 * time.Second)
	for {
		inv, err := e.db.Invocation(context.Background(), id)
		if err == nil && inv.HTTP != nil {
			return inv
		}
		if time.Now().After(deadline) {
			t.Fatalf("invocation %s has no recorded exchange (err %v)", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countInvocations(t *testing.T, db *store.DB, function string) int {
	t.Helper()
	n, err := db.CountInvocations(context.Background(), store.InvocationFilter{Function: function})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFrontDoor sends real HTTP requests (Go's client, and curl) through
// the front door to real Node.js and Python handlers.
func TestFrontDoor(t *testing.T) {
	e := newFrontEnv(t)

	t.Run("a Host that is not this machine is refused, as on the dashboard", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest("GET", e.front.URL+"/users/7", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest || bytes.Contains(body, []byte("users")) {
			t.Errorf("Host evil.test: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("REST 1.0 event, path parameter, query and multi-value headers", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "GET", "/users/7?x=1&x=2&only=one", nil, "X-Multi", "a", "X-Multi", "b", "Cookie", "k=v")
		r.want(t, 200)
		if got := r.header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1", "b=2"}) {
			t.Errorf("Set-Cookie = %q", got)
		}
		if got := r.header.Values("X-Multi"); !slices.Equal(got, []string{"x", "y"}) {
			t.Errorf("X-Multi = %q", got)
		}
		raw := r.echoed(t)
		var ev events.APIGatewayProxyRequest
		strictDecode(t, raw, &ev)
		sameShape(t, raw, "apigateway", "aws-proxy")
		if ev.Resource != "/users/{id}" || ev.Path != "/users/7" || ev.HTTPMethod != "GET" || ev.PathParameters["id"] != "7" {
			t.Errorf("resource %q path %q method %q params %v", ev.Resource, ev.Path, ev.HTTPMethod, ev.PathParameters)
		}
		if ev.QueryStringParameters["x"] != "2" || !slices.Equal(ev.MultiValueQueryStringParameters["x"], []string{"1", "2"}) {
			t.Errorf("query %v, multi %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
		}
		if !slices.Equal(ev.MultiValueHeaders["X-Multi"], []string{"a", "b"}) || ev.Headers["X-Multi"] != "b" {
			t.Errorf("headers %v, multi %v", ev.Headers["X-Multi"], ev.MultiValueHeaders["X-Multi"])
		}
		rc := ev.RequestContext
		if ev.Headers["X-Forwarded-For"] != "127.0.0.1" || ev.Headers["X-Forwarded-Proto"] != "http" || ev.Headers["X-Forwarded-Port"] == "" {
			t.Errorf("X-Forwarded-* headers: %v", ev.Headers)
		}
		if rc.Stage != "Prod" || rc.ResourcePath != "/users/{id}" || rc.Identity.SourceIP != "127.0.0.1" || rc.HTTPMethod != "GET" || rc.RequestID == "" || rc.Path != "/Prod/users/7" {
			t.Errorf("requestContext %+v", rc)
		}
		if !strings.Contains(string(raw), `"body":null`) {
			t.Errorf("a request without a body must have body null, as API Gateway sends: %s", raw)
		}
		inv := e.invocationOf(t, r)
		if inv.Source != lambdadeck.SourceHTTP || inv.HTTP.Method != "GET" || inv.HTTP.Path != "/users/7?x=1&x=2&only=one" || inv.HTTP.Status != 200 || inv.HTTP.Route != "GET /users/{id}" {
			t.Errorf("recorded %s %+v", inv.Source, inv.HTTP)
		}
		if strings.Contains(inv.HTTP.Request, "k=v") || !strings.Contains(inv.HTTP.Request, "Cookie: ••••") {
			t.Errorf("the recorded request shows the cookie: %s", inv.HTTP.Request)
		}
	})

	t.Run("REST greedy and ANY", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "DELETE", "/users/7/orders/9", nil)
		r.want(t, 200)
		var ev events.APIGatewayProxyRequest
		strictDecode(t, r.echoed(t), &ev)
		if ev.Resource != "/users/{proxy+}" || ev.PathParameters["proxy"] != "7/orders/9" || ev.HTTPMethod != "DELETE" {
			t.Errorf("resource %q params %v method %s", ev.Resource, ev.PathParameters, ev.HTTPMethod)
		}
	})

	t.Run("HTTP API 2.0 event with cookies and comma-joined headers", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "GET", "/v2/items/x?y=1&y=2", nil, "Cookie", "c1=v1; c2=v2", "X-Multi", "a", "X-Multi", "b")
		r.want(t, 200)
		if got := r.header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1; Path=/", "b=2"}) {
			t.Errorf("Set-Cookie = %q", got)
		}
		raw := r.echoed(t)
		var ev events.APIGatewayV2HTTPRequest
		strictDecode(t, raw, &ev)
		// A GET has no body, and no stage variables are set: 2.0 then
		// leaves both out.
		sameShape(t, raw, "apigateway", "http-api-proxy", "body", "stageVariables")
		if ev.Version != "2.0" || ev.RouteKey != "GET /v2/items/{id}" || ev.RawPath != "/v2/items/x" || ev.RawQueryString != "y=1&y=2" {
			t.Errorf("version %q routeKey %q rawPath %q rawQuery %q", ev.Version, ev.RouteKey, ev.RawPath, ev.RawQueryString)
		}
		if !slices.Equal(ev.Cookies, []string{"c1=v1", "c2=v2"}) || ev.Headers["x-multi"] != "a,b" || ev.QueryStringParameters["y"] != "1,2" || ev.PathParameters["id"] != "x" {
			t.Errorf("cookies %q x-multi %q query %v params %v", ev.Cookies, ev.Headers["x-multi"], ev.QueryStringParameters, ev.PathParameters)
		}
		h := ev.RequestContext.HTTP
		if h.Method != "GET" || h.Path != "/v2/items/x" || h.SourceIP != "127.0.0.1" || h.Protocol != "HTTP/1.1" || h.UserAgent == "" {
			t.Errorf("requestContext.http %+v", h)
		}
		if _, ok := ev.Headers["cookie"]; ok {
			t.Error("2.0 moves cookies out of the headers")
		}
	})

	t.Run("HTTP API 1.0 with a body, and the greedy route", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "POST", "/v1/items", []byte(`{"n":1}`), "Content-Type", "application/json")
		r.want(t, 200)
		var ev events.APIGatewayProxyRequest
		strictDecode(t, r.echoed(t), &ev)
		if ev.Body != `{"n":1}` || ev.IsBase64Encoded || ev.Resource != "/v1/items" || ev.RequestContext.Stage != "$default" {
			t.Errorf("body %q b64 %v resource %q stage %q", ev.Body, ev.IsBase64Encoded, ev.Resource, ev.RequestContext.Stage)
		}
		g := e.send(t, "PUT", "/v2/files/a/b.txt", nil)
		g.want(t, 200)
		var gev events.APIGatewayV2HTTPRequest
		strictDecode(t, g.echoed(t), &gev)
		if gev.PathParameters["proxy"] != "a/b.txt" || gev.RouteKey != "ANY /v2/files/{proxy+}" {
			t.Errorf("greedy: params %v routeKey %q", gev.PathParameters, gev.RouteKey)
		}
	})

	t.Run("Python handler behind an HTTP API and a REST API", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "PATCH", "/py/bob?z=1", []byte("hi"), "Content-Type", "text/plain")
		r.want(t, 200)
		if r.header.Get("X-Runtime") != "python" {
			t.Errorf("X-Runtime = %q", r.header.Get("X-Runtime"))
		}
		var ev events.APIGatewayV2HTTPRequest
		strictDecode(t, r.echoed(t), &ev)
		if ev.PathParameters["name"] != "bob" || ev.Body != "hi" || ev.RequestContext.HTTP.Method != "PATCH" {
			t.Errorf("params %v body %q method %s", ev.PathParameters, ev.Body, ev.RequestContext.HTTP.Method)
		}
		rest := e.send(t, "GET", "/pyrest/ann", nil)
		rest.want(t, 200)
		var rev events.APIGatewayProxyRequest
		strictDecode(t, rest.echoed(t), &rev)
		if rev.PathParameters["name"] != "ann" || rev.Resource != "/pyrest/{name}" {
			t.Errorf("REST from Python: params %v resource %q", rev.PathParameters, rev.Resource)
		}
	})

	t.Run("Function URL, buffered, Node.js and Python", func(t *testing.T) {
		t.Parallel()
		r := e.send(t, "GET", "/_url/EchoFunction/some/path?q=1&q=2", nil, "Cookie", "u=1")
		r.want(t, 200)
		raw := r.echoed(t)
		// aws-lambda-go's LambdaFunctionURLRequest lacks three fields AWS
		// sends (and the shipped sample has): routeKey at the top and in
		// requestContext, and requestContext.stage.
		var ev struct {
			events.LambdaFunctionURLRequest
			RouteKey       string `json:"routeKey"`
			RequestContext struct {
				events.LambdaFunctionURLRequestContext
				RouteKey string `json:"routeKey"`
				Stage    string `json:"stage"`
			} `json:"requestContext"`
		}
		strictDecode(t, raw, &ev)
		sameShape(t, raw, "function-url", "request", "body", "requestContext.authentication")
		if ev.RawPath != "/some/path" || ev.RawQueryString != "q=1&q=2" || ev.QueryStringParameters["q"] != "1,2" || !slices.Equal(ev.Cookies, []string{"u=1"}) || ev.RouteKey != "$default" {
			t.Errorf("rawPath %q rawQuery %q query %v cookies %q routeKey %q", ev.RawPath, ev.RawQueryString, ev.QueryStringParameters, ev.Cookies, ev.RouteKey)
		}
		if ev.RequestContext.HTTP.Path != "/some/path" || ev.RequestContext.Stage != "$default" || ev.RequestContext.AccountID != "anonymous" {
			t.Errorf("requestContext %+v", ev.RequestContext)
		}
		py := e.send(t, "POST", "/_url/PyEchoFunction/", []byte(`{"a":1}`), "Content-Type", "application/json")
		py.want(t, 200)
		var pev events.LambdaFunctionURLRequest
		if err := json.Unmarshal(py.echoed(t), &pev); err != nil || pev.Body != `{"a":1}` || pev.RawPath != "/" {
			t.Errorf("python URL event: %v %+v", err, pev)
		}
	})

	t.Run("Function URL streaming: the first chunk arrives before the handler ends", func(t *testing.T) {
		t.Parallel()
		gate := filepath.Join(t.TempDir(), "gate")
		resp, err := http.Get(e.front.URL + "/_url/StreamFunction/?gate=" + gate)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 201 || resp.Header.Get("X-Streamed") != "yes" || resp.Header.Get("Set-Cookie") != "s=1" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("status %d headers %v", resp.StatusCode, resp.Header)
		}
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "first\n" {
			t.Fatalf("first chunk %q, %v", line, err)
		}
		// The handler is still waiting for the gate: only now may it end.
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(br)
		if err != nil || string(rest) != "second\n" {
			t.Fatalf("rest %q, %v", rest, err)
		}
		id := resp.Header.Get("X-Lambdadeck-Request-Id")
		inv := e.invocationOf(t, frontResponse{header: http.Header{"X-Lambdadeck-Request-Id": {id}}})
		if inv.HTTP.Status != 201 || !strings.Contains(inv.HTTP.Response, "first\nsecond\n") {
			t.Errorf("recorded %+v", inv.HTTP)
		}
	})

	t.Run("base64 bodies with BinaryMediaTypes and on HTTP APIs", func(t *testing.T) {
		t.Parallel()
		png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xfe, 0xff}
		r := e.send(t, "POST", "/image", png, "Content-Type", "image/png", "Accept", "image/png")
		r.want(t, 200)
		if !bytes.Equal(r.body, png) || r.header.Get("X-Got-Base64") != "true" || r.header.Get("Content-Type") != "image/png" {
			t.Errorf("REST binary: body %x base64 %q type %q", r.body, r.header.Get("X-Got-Base64"), r.header.Get("Content-Type"))
		}
		h := e.send(t, "POST", "/v2/image", png, "Content-Type", "application/octet-stream")
		h.want(t, 200)
		if !bytes.Equal(h.body, png) || h.header.Get("X-Got-Base64") != "true" {
			t.Errorf("HTTP API binary: body %x base64 %q", h.body, h.header.Get("X-Got-Base64"))
		}
		txt := e.send(t, "POST", "/v2/image", []byte("plain"), "Content-Type", "text/plain")
		if string(txt.body) != "plain" || txt.header.Get("X-Got-Base64") != "false" {
			t.Errorf("text body: %q base64 %q", txt.body, txt.header.Get("X-Got-Base64"))
		}
	})

	t.Run("CORS preflight and response headers", func(t *testing.T) {
		t.Parallel()
		origin := "http://localhost:5173"
		p := e.send(t, "OPTIONS", "/v2/items/1", nil, "Origin", origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "content-type")
		p.want(t, 204)
		if p.header.Get("Access-Control-Allow-Origin") != origin || p.header.Get("Access-Control-Allow-Methods") != "GET,POST" ||
			p.header.Get("Access-Control-Max-Age") != "300" || p.header.Get("Access-Control-Allow-Headers") != "content-type" {
			t.Errorf("HTTP API preflight headers %v", p.header)
		}
		other := e.send(t, "OPTIONS", "/v2/items/1", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
		if other.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a foreign origin was allowed: %v", other.header)
		}
		rp := e.send(t, "OPTIONS", "/things", nil, "Origin", origin, "Access-Control-Request-Method", "POST")
		rp.want(t, 204)
		if rp.header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(rp.header.Get("Access-Control-Allow-Methods"), "POST") || rp.header.Get("Access-Control-Max-Age") != "600" {
			t.Errorf("REST preflight headers %v", rp.header)
		}
		g := e.send(t, "GET", "/v2/items/1", nil, "Origin", origin)
		if g.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("response lacks Access-Control-Allow-Origin: %v", g.header)
		}
	})

	t.Run("Lambda authorizers: TOKEN policy, cached, and HTTP API simple responses", func(t *testing.T) {
		t.Parallel()
		e.send(t, "GET", "/secret", nil).want(t, 401)
		e.send(t, "GET", "/secret", nil, "Authorization", "bogus").want(t, 401)
		deny := e.send(t, "GET", "/secret", nil, "Authorization", "deny")
		deny.want(t, 403)
		if !strings.Contains(string(deny.body), "explicit deny") {
			t.Errorf("deny body %s", deny.body)
		}
		before := countInvocations(t, e.db, "AuthFunction")
		ok := e.send(t, "GET", "/secret", nil, "Authorization", "allow")
		ok.want(t, 200)
		var ev events.APIGatewayProxyRequest
		strictDecode(t, ok.echoed(t), &ev)
		if ev.RequestContext.Authorizer["principalId"] != "alice" || ev.RequestContext.Authorizer["user"] != "alice" || ev.RequestContext.Stage != "dev" {
			t.Errorf("authorizer context %v, stage %q", ev.RequestContext.Authorizer, ev.RequestContext.Stage)
		}
		e.send(t, "GET", "/secret", nil, "Authorization", "allow").want(t, 200)
		if n := countInvocations(t, e.db, "AuthFunction"); n != before+1 {
			t.Errorf("the authorizer ran %d times for two requests with one token; its decision is cached for 300 s", n-before)
		}

		e.send(t, "GET", "/v2/simple", nil).want(t, 401)
		e.send(t, "GET", "/v2/simple", nil, "X-Token", "no").want(t, 403)
		s := e.send(t, "GET", "/v2/simple", nil, "X-Token", "yes")
		s.want(t, 200)
		var sev events.APIGatewayV2HTTPRequest
		strictDecode(t, s.echoed(t), &sev)
		if sev.RequestContext.Authorizer == nil || sev.RequestContext.Authorizer.Lambda["role"] != "admin" {
			t.Errorf("simple authorizer context %+v", sev.RequestContext.Authorizer)
		}
	})

	t.Run("JWT authorizer decodes claims without verifying", func(t *testing.T) {
		t.Parallel()
		e.send(t, "GET", "/v2/jwt", nil).want(t, 401)
		e.send(t, "GET", "/v2/jwt", nil, "Authorization", "Bearer not-a-jwt").want(t, 401)
		claims := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u-1","scope":"read write","aud":"app"}`))
		token := "eyJhbGciOiJub25lIn0." + claims + ".c2ln"
		r := e.send(t, "GET", "/v2/jwt", nil, "Authorization", "Bearer "+token)
		r.want(t, 200)
		var ev events.APIGatewayV2HTTPRequest
		strictDecode(t, r.echoed(t), &ev)
		jwt := ev.RequestContext.Authorizer.JWT
		if jwt == nil || jwt.Claims["sub"] != "u-1" || !slices.Equal(jwt.Scopes, []string{"read", "write"}) {
			t.Errorf("jwt context %+v", jwt)
		}
	})

	t.Run("502 and 504, and 2.0's plain returns", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/v2/fail", "/fail", "/malformed", "/v2/slow"} {
			r := e.send(t, "GET", path, nil)
			if r.status != 502 || string(r.body) != `{"message":"Internal server error"}` {
				t.Errorf("%s: %d %s, want 502 Internal server error", path, r.status, r.body)
			}
		}
		slow := e.send(t, "GET", "/slow", nil)
		if slow.status != 504 || string(slow.body) != `{"message":"Endpoint request timed out"}` {
			t.Errorf("/slow: %d %s, want 504 after the integration timeout", slow.status, slow.body)
		}
		inv := e.invocationOf(t, slow)
		if inv.HTTP.Status != 504 {
			t.Errorf("recorded status %d", inv.HTTP.Status)
		}
		p := e.send(t, "GET", "/v2/plain", nil)
		p.want(t, 200)
		if string(p.body) != `{"hello":"world"}` || p.header.Get("Content-Type") != "application/json" {
			t.Errorf("plain object: %s %q", p.body, p.header.Get("Content-Type"))
		}
		ps := e.send(t, "GET", "/v2/plainstring", nil)
		if string(ps.body) != "just a string" || ps.header.Get("Content-Type") != "application/json" {
			t.Errorf("plain string: %s %q", ps.body, ps.header.Get("Content-Type"))
		}
	})

	t.Run("no route, too large, and no dashboard on the front door", func(t *testing.T) {
		t.Parallel()
		nf := e.send(t, "GET", "/nothing/here", nil)
		if nf.status != 404 || string(nf.body) != `{"message":"Not Found"}` {
			t.Errorf("unmatched: %d %s", nf.status, nf.body)
		}
		mat := e.send(t, "GET", "/things", nil)
		if mat.status != 403 || string(mat.body) != `{"message":"Missing Authentication Token"}` {
			t.Errorf("REST path, wrong method: %d %s", mat.status, mat.body)
		}
		big := e.send(t, "POST", "/things", bytes.Repeat([]byte("x"), apigw.MaxRequestBody+1))
		if big.status != 413 || string(big.body) != `{"message":"Request Entity Too Large"}` {
			t.Errorf("oversize: %d %s", big.status, big.body)
		}
		for _, path := range []string{"/", "/invocations", "/healthz", "/routes", "/2015-03-31/functions/EchoFunction/invocations"} {
			r := e.send(t, "GET", path, nil)
			if r.status != 404 || strings.Contains(string(r.body), "<html") {
				t.Errorf("front door %s: %d %s", path, r.status, truncate(string(r.body), 200))
			}
		}
	})

	t.Run("curl", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl is not installed")
		}
		out, err := exec.Command("curl", "-sS", "-i", "--max-time", "60", "-H", "X-Multi: a", "-H", "X-Multi: b", "-b", "k=v",
			e.front.URL+"/users/curl?x=1&x=2").CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, out)
		}
		text := string(out)
		for _, want := range []string{"HTTP/1.1 200", "Set-Cookie: a=1", "Set-Cookie: b=2", `"X-Multi":["a","b"]`, `"x":["1","2"]`, `"id":"curl"`} {
			if !strings.Contains(text, want) {
				t.Errorf("curl output lacks %q:\n%s", want, truncate(text, 2000))
			}
		}
	})
}

// dashboardClient is a client for the dashboard listener that keeps the
// CSRF cookie.
func (e *frontEnv) dashboardClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 60 * time.Second}
}

func dashGet(t *testing.T, client *http.Client, u string) (*html.Node, int) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return parseHTML(t, string(b)), resp.StatusCode
}

// TestFrontDoorDashboard checks the routes page (list, send form with CSRF,
// mistakes), the history's http source with method, path and status, the
// permalink's exchange, and the function page's routes; then Chromium sends
// a request from /routes and follows it to its permalink.
func TestFrontDoorDashboard(t *testing.T) {
	e := newFrontEnv(t)
	client := e.dashboardClient(t)

	doc, status := dashGet(t, client, e.dash.URL+"/routes")
	if status != 200 {
		t.Fatalf("/routes: %d", status)
	}
	rows := byTestID(doc, "route-row")
	if len(rows) != len(e.srv.Routes().Routes) || len(rows) < 20 {
		t.Errorf("%d route rows for %d routes", len(rows), len(e.srv.Routes().Routes))
	}
	page := text(doc)
	for _, want := range []string{"GET", "/users/{id}", "EchoFunction", "ServerlessRestApi (REST)", "TokenAuth (TOKEN)", "Jwt (JWT)",
		"without verifying its signature", "/_url/StreamFunction/{proxy+}", "UserClash", "Function URL"} {
		if !strings.Contains(page, want) {
			t.Errorf("/routes lacks %q", want)
		}
	}
	if len(byTestID(doc, "front-door-off")) != 1 {
		t.Error("/routes does not say the front door has no listener")
	}

	// Without the CSRF token the form is refused.
	resp, err := client.PostForm(e.dash.URL+"/routes/send", url.Values{"route": {"x"}, "method": {"GET"}, "path": {"/users/1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("send without a CSRF token: %d", resp.StatusCode)
	}
	token := attr(findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "_csrf" })[0], "value")
	send := func(form url.Values) (*html.Node, int) {
		t.Helper()
		form.Set("_csrf", token)
		resp, err := client.PostForm(e.dash.URL+"/routes/send", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return parseHTML(t, string(b)), resp.StatusCode
	}
	bad, status := send(url.Values{"route": {"r1"}, "method": {"GET"}, "path": {"/users/1"}, "headers": {"no colon here"}, "body": {"kept"}})
	if status != 400 || !strings.Contains(text(bad), "is not Name: value") {
		t.Errorf("bad header line: %d %s", status, truncate(text(bad), 300))
	}
	res, status := send(url.Values{"route": {"r1"}, "method": {"GET"}, "path": {"/users/42"}, "query": {"status=201"}, "headers": {"X-From: routes page"}})
	if status != 200 {
		t.Fatalf("send: %d", status)
	}
	if got := text(oneByTestID(t, res, "route-status")); got != "201" {
		t.Errorf("status shown %q", got)
	}
	if r := text(oneByTestID(t, res, "route-response")); !strings.Contains(r, "HTTP/1.1 201 Created") || !strings.Contains(r, `"X-From":["routes page"]`) {
		t.Errorf("response shown: %s", truncate(r, 500))
	}
	link := attr(oneByTestID(t, res, "route-invocation"), "href")
	perm, status := dashGet(t, client, e.dash.URL+link)
	if status != 200 {
		t.Fatalf("%s: %d", link, status)
	}
	if got := text(oneByTestID(t, perm, "source")); got != "http" {
		t.Errorf("source %q", got)
	}
	if got := text(oneByTestID(t, perm, "http-status")); got != "201" {
		t.Errorf("permalink status %q", got)
	}
	if req := text(oneByTestID(t, perm, "http-request")); !strings.HasPrefix(req, "GET /users/42?status=201 HTTP/1.1") {
		t.Errorf("permalink request %q", truncate(req, 200))
	}
	if ev := text(oneByTestID(t, perm, "event")); !strings.Contains(ev, `"resource": "/users/{id}"`) {
		t.Errorf("permalink event %s", truncate(ev, 300))
	}
	// Run again re-sends the same event; Save as fixture keeps it.
	runAgain := oneByTestID(t, perm, "run-again-form")
	if v := attr(findAll(runAgain, func(n *html.Node) bool { return attr(n, "name") == "event" })[0], "value"); !strings.Contains(v, `"httpMethod":"GET"`) {
		t.Errorf("run again carries %s", truncate(v, 200))
	}

	hist, _ := dashGet(t, client, e.dash.URL+"/invocations?source=http")
	summaries := byTestID(hist, "http-summary")
	if len(summaries) == 0 || !strings.Contains(text(summaries[0]), "GET /users/42?status=201 → 201") {
		t.Errorf("history http summaries: %d, first %q", len(summaries), func() string {
			if len(summaries) > 0 {
				return text(summaries[0])
			}
			return ""
		}())
	}
	if !slices.ContainsFunc(findAll(hist, func(n *html.Node) bool { return n.Data == "option" }), func(n *html.Node) bool { return attr(n, "value") == "http" }) {
		t.Error("the history's source filter does not offer http")
	}

	fnDoc, _ := dashGet(t, client, e.dash.URL+"/functions/EchoFunction")
	if n := len(byTestID(oneByTestID(t, fnDoc, "function-routes"), "route-row")); n != len(e.srv.Routes().RoutesOf("EchoFunction")) || n < 5 {
		t.Errorf("the function page lists %d routes", n)
	}

	t.Run("Chromium", func(t *testing.T) {
		ctx := newBrowser(t)
		b := watchBrowser(t, ctx)
		rowID := ""
		for _, r := range e.srv.Routes().Routes {
			if r.Key() == "GET /v2/items/{id}" {
				rowID = routeID(r)
			}
		}
		form := "#send-" + rowID
		b.step("open /routes", chromedp.Navigate(e.dash.URL+"/routes"), chromedp.WaitVisible(testIDSelector("routes")))
		b.step("open the form", chromedp.Click(form+" summary"), chromedp.WaitVisible(form+" "+testIDSelector("route-path")))
		b.step("fill and send",
			chromedp.SetValue(form+" "+testIDSelector("route-path"), "/v2/items/browser"),
			chromedp.SetValue(form+" "+testIDSelector("route-query"), "from=chromium"),
			chromedp.Click(form+" "+testIDSelector("route-submit")),
			chromedp.WaitVisible(testIDSelector("route-status")))
		if got := b.read("status", chromedp.Text(testIDSelector("route-status"))); got != "200" {
			t.Errorf("status %q", got)
		}
		b.step("follow to the permalink", chromedp.Click(testIDSelector("route-invocation")), chromedp.WaitVisible(testIDSelector("http-exchange")))
		if got := b.read("request", chromedp.Text(testIDSelector("http-request"))); !strings.HasPrefix(got, "GET /v2/items/browser?from=chromium") {
			t.Errorf("permalink request %q", truncate(got, 200))
		}
		if got := b.read("event", chromedp.Text(testIDSelector("event"))); !strings.Contains(got, `"routeKey": "GET /v2/items/{id}"`) {
			t.Errorf("permalink event %s", truncate(got, 300))
		}
		b.checkConsole()
	})
}

// TestFrontDoorReload checks that new routes are served once the template
// changes, without a restart.
func TestFrontDoorReload(t *testing.T) {
	e := newFrontEnv(t)
	e.send(t, "GET", "/brand-new", nil).want(t, 404)
	path := filepath.Join(e.dir, "app", "template.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("        RestThings:"), []byte("        BrandNew: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /brand-new, Method: GET}}\n        RestThings:"), 1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := sam.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetRoutes(apigw.Build(tpl.HTTP, tpl.Functions))
	r := e.send(t, "GET", "/brand-new", nil)
	r.want(t, 200)
	var ev events.APIGatewayV2HTTPRequest
	strictDecode(t, r.echoed(t), &ev)
	if ev.RouteKey != "GET /brand-new" {
		t.Errorf("routeKey %q", ev.RouteKey)
	}
}
