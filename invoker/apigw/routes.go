// Package apigw is the logic of lambdadeck's HTTP front door: it turns the
// template's API Gateway APIs (REST and HTTP), their Api and HttpApi events
// and the functions' Function URLs into a route table, matches HTTP
// requests against it in API Gateway's order, builds the events API Gateway
// sends (payload formats 1.0 and 2.0, Function URL requests), runs the CORS
// and authorizer rules, and maps a function's response back onto an HTTP
// response. It never touches the network: web/frontdoor.go serves it.
package apigw

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// Kind is the kind of API a route belongs to.
type Kind string

const (
	REST Kind = "REST"        // API Gateway REST API (Type: Api)
	HTTP Kind = "HTTP"        // API Gateway HTTP API (Type: HttpApi)
	URL  Kind = "FunctionURL" // a function's URL (FunctionUrlConfig)
)

// Names of the APIs SAM creates when an event names none.
const (
	ImplicitRestAPI = "ServerlessRestApi"
	ImplicitHTTPAPI = "ServerlessHttpApi"
)

// URLPrefix is where Function URLs are served: /_url/{function}/... on
// the front door, since each function has a URL of its own on AWS.
const URLPrefix = "/_url/"

// DefaultRoute is the HTTP API's catch-all route key.
const DefaultRoute = "$default"

// API is one API Gateway API (or a function's URL) and what applies to
// every route of it.
type API struct {
	ID               string // the logical ID, or ImplicitRestAPI / ImplicitHTTPAPI, or the function's name for a URL
	Kind             Kind
	Stage            string
	StageVariables   map[string]string
	BinaryMediaTypes []string
	Cors             *Cors // nil: no CORS
	// Authorizers by name; DefaultAuthorizer applies to routes that name none.
	Authorizers       map[string]*Authorizer
	DefaultAuthorizer string
	// PayloadVersion is the HTTP API's default payload format ("2.0").
	PayloadVersion string
}

// Route is one route of the front door.
type Route struct {
	Method   string // GET, POST, ... or ANY
	Path     string // /users/{id}, /{proxy+}, or $default
	Function string
	API      *API
	Event    string // the function's event that declared it; "" for a URL
	// PayloadVersion is "1.0" or "2.0".
	PayloadVersion string
	// Authorizer guards the route; nil for none.
	Authorizer *Authorizer
	// Streaming is set for a Function URL with InvokeMode RESPONSE_STREAM.
	Streaming bool

	segments []segment
}

// Key is the route's method and path, as API Gateway writes route keys.
func (r *Route) Key() string {
	if r.Path == DefaultRoute {
		return DefaultRoute
	}
	return r.Method + " " + r.Path
}

// AuthLabel says in words what guards the route.
func (r *Route) AuthLabel() string {
	if r.Authorizer == nil {
		return "none"
	}
	return r.Authorizer.Name + " (" + string(r.Authorizer.Type) + ")"
}

// segment is one part of a route's path.
type segment struct {
	literal string
	param   string // set for {name} and {name+}
	greedy  bool
}

// Table is the front door's routes, built once per template.
type Table struct {
	Routes   []*Route // in the order of the table page: by API, then path, then method
	APIs     []*API
	Warnings []string
	// byFunction lists the URL route of each function with a URL.
	urls map[string]*Route
}

// paramName is what API Gateway accepts between braces.
var paramName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// parsePath splits a route path into segments, or says why it is invalid.
func parsePath(path string) ([]segment, error) {
	if path == DefaultRoute {
		return nil, nil
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("the path %q does not start with /", path)
	}
	if path == "/" {
		return nil, nil
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case p == "":
			if i == len(parts)-1 {
				continue // a trailing slash, which API Gateway ignores
			}
			return nil, fmt.Errorf("the path %q has an empty segment", path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if !paramName.MatchString(name) {
				return nil, fmt.Errorf("the path %q has an invalid parameter %s", path, p)
			}
			if greedy && i != len(parts)-1 {
				return nil, fmt.Errorf("the path %q has the greedy parameter %s before its last segment", path, p)
			}
			if seen[name] {
				return nil, fmt.Errorf("the path %q names the parameter %s twice", path, name)
			}
			seen[name] = true
			segs = append(segs, segment{param: name, greedy: greedy})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("the path %q has a brace outside a whole {parameter} segment", path)
		default:
			segs = append(segs, segment{literal: p})
		}
	}
	return segs, nil
}

// shape is the path with parameter names dropped: two routes of one API
// with the same method and shape clash.
func shape(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		switch {
		case s.greedy:
			b.WriteString("{+}")
		case s.param != "":
			b.WriteString("{}")
		default:
			b.WriteString(s.literal)
		}
	}
	return b.String()
}

// methods API Gateway accepts on a route.
var methods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// Build makes the route table of a template's HTTP section. Mistakes
// (an invalid path or method, a clash, an unknown RestApiId or ApiId, an
// unknown authorizer) are warnings: the route is left out and the others
// are served.
func Build(h sam.HTTP, functions []lambdadeck.Function) *Table {
	t := &Table{urls: map[string]*Route{}}
	apis := map[string]*API{}
	declared := map[string]sam.HTTPAPI{}
	for _, a := range h.APIs {
		declared[a.LogicalID] = a
	}
	byLogicalID := map[string]string{}
	for _, fn := range functions {
		byLogicalID[fn.LogicalID] = fn.Name
	}
	api := func(id string, kind Kind) *API {
		if a, ok := apis[id]; ok {
			return a
		}
		var props map[string]any
		switch id {
		case ImplicitRestAPI:
			props = h.GlobalsAPI
		case ImplicitHTTPAPI:
			props = h.GlobalsHTTPAPI
		default:
			props = declared[id].Properties
		}
		a := t.newAPI(id, kind, props, byLogicalID)
		apis[id] = a
		t.APIs = append(t.APIs, a)
		return a
	}
	// Declared APIs come first, even without routes, so their warnings
	// come out in template order.
	for _, a := range h.APIs {
		kind := REST
		if a.Type == "AWS::Serverless::HttpApi" {
			kind = HTTP
		}
		api(a.LogicalID, kind)
	}

	// Every API is served on the one listener, so routes of different
	// APIs clash too.
	type clashKey struct{ method, shape string }
	seen := map[clashKey]*Route{}
	for _, ev := range h.Events {
		kind := REST
		idProp, implicit := "RestApiId", ImplicitRestAPI
		if ev.Type == "HttpApi" {
			kind, idProp, implicit = HTTP, "ApiId", ImplicitHTTPAPI
		}
		where := fmt.Sprintf("%s: event %s", ev.Function, ev.Name)
		id := implicit
		if v, ok := ev.Properties[idProp]; ok {
			s, _ := v.(string)
			d, known := declared[s]
			wantType := "AWS::Serverless::Api"
			if kind == HTTP {
				wantType = "AWS::Serverless::HttpApi"
			}
			if !known || d.Type != wantType {
				t.warn("%s: %s %v is not an %s in the template; the route is not served", where, idProp, v, wantType)
				continue
			}
			id = s
		}
		a := api(id, kind)
		method, _ := ev.Properties["Method"].(string)
		path, _ := ev.Properties["Path"].(string)
		if kind == HTTP && method == "" && path == "" {
			method, path = "ANY", DefaultRoute // an HttpApi event without Path and Method is $default
		}
		method = strings.ToUpper(method)
		if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || method == "*" {
			method = "ANY"
		}
		if !slices.Contains(methods, method) {
			t.warn("%s: Method %q is not one of %s; the route is not served", where, method, strings.Join(methods, ", "))
			continue
		}
		if path == DefaultRoute && kind == REST {
			t.warn("%s: $default is a route of HTTP APIs only; the route is not served", where)
			continue
		}
		segs, err := parsePath(path)
		if err != nil {
			t.warn("%s: %v; the route is not served", where, err)
			continue
		}
		r := &Route{Method: method, Path: path, Function: ev.Function, API: a, Event: ev.Name, segments: segs, PayloadVersion: "1.0"}
		if path == DefaultRoute {
			r.Method = "ANY"
		}
		if kind == HTTP {
			r.PayloadVersion = a.PayloadVersion
			if v, ok := ev.Properties["PayloadFormatVersion"]; ok {
				s, _ := v.(string)
				if s != "1.0" && s != "2.0" {
					t.warn("%s: PayloadFormatVersion %v is not 1.0 or 2.0; using %s", where, v, r.PayloadVersion)
				} else {
					r.PayloadVersion = s
				}
			}
		}
		auth, err := a.routeAuthorizer(ev.Properties["Auth"])
		if err != nil {
			t.warn("%s: %v; the route is not served", where, err)
			continue
		}
		r.Authorizer = auth
		key := clashKey{r.Method, shape(segs)}
		if path == DefaultRoute {
			key.shape = DefaultRoute
		}
		if other, dup := seen[key]; dup {
			t.warn("%s: the route %s of %s clashes with %s of %s (%s, event %s); only the first, in event order, is served",
				where, r.Key(), a.ID, other.Key(), other.API.ID, other.Function, other.Event)
			continue
		}
		seen[key] = r
		t.Routes = append(t.Routes, r)
	}

	for _, u := range h.URLs {
		a := &API{ID: u.Function, Kind: URL, Stage: "$default", PayloadVersion: "2.0"}
		if cors, ok := u.Config["Cors"]; ok {
			c, err := parseHTTPCors(cors)
			if err != nil {
				t.warn("%s: FunctionUrlConfig.Cors: %v; no CORS", u.Function, err)
			}
			a.Cors = c
		}
		r := &Route{Method: "ANY", Path: "/{proxy+}", Function: u.Function, API: a, PayloadVersion: "2.0",
			segments: []segment{{param: "proxy", greedy: true}}}
		switch mode, _ := u.Config["InvokeMode"].(string); mode {
		case "", "BUFFERED":
		case "RESPONSE_STREAM":
			r.Streaming = true
		default:
			t.warn("%s: FunctionUrlConfig.InvokeMode %q is not BUFFERED or RESPONSE_STREAM; buffering", u.Function, mode)
		}
		switch at, _ := u.Config["AuthType"].(string); at {
		case "", "NONE", "AWS_IAM":
			if at == "AWS_IAM" {
				t.warn("%s: FunctionUrlConfig.AuthType AWS_IAM is not checked locally: requests are not signature-verified", u.Function)
			}
		default:
			t.warn("%s: FunctionUrlConfig.AuthType %q is not NONE or AWS_IAM", u.Function, at)
		}
		t.urls[u.Function] = r
		t.APIs = append(t.APIs, a)
	}
	for _, fn := range sortedURLs(t.urls) {
		t.Routes = append(t.Routes, t.urls[fn])
	}
	sort.SliceStable(t.Routes, func(i, j int) bool {
		a, b := t.Routes[i], t.Routes[j]
		if a.API.Kind != b.API.Kind {
			return kindOrder(a.API.Kind) < kindOrder(b.API.Kind)
		}
		if a.API.ID != b.API.ID {
			return a.API.ID < b.API.ID
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return t
}

func kindOrder(k Kind) int {
	switch k {
	case REST:
		return 0
	case HTTP:
		return 1
	}
	return 2
}

func sortedURLs(m map[string]*Route) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (t *Table) warn(format string, args ...any) {
	t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...))
}

// newAPI reads an API's properties (a resource's, or Globals for an
// implicit API).
func (t *Table) newAPI(id string, kind Kind, props map[string]any, byLogicalID map[string]string) *API {
	a := &API{ID: id, Kind: kind, Stage: "Prod", PayloadVersion: "2.0", Authorizers: map[string]*Authorizer{}}
	if kind == HTTP {
		a.Stage = "$default"
	}
	if s, ok := props["StageName"].(string); ok && s != "" {
		a.Stage = s
	}
	if vars, ok := props["Variables"].(map[string]any); ok {
		a.StageVariables = map[string]string{}
		for k, v := range vars {
			a.StageVariables[k] = fmt.Sprint(v)
		}
	}
	if list, ok := props["BinaryMediaTypes"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				// SAM writes */* as *~1* (a JSON pointer escape).
				a.BinaryMediaTypes = append(a.BinaryMediaTypes, strings.ReplaceAll(s, "~1", "/"))
			}
		}
	}
	switch kind {
	case REST:
		if v, ok := props["Cors"]; ok {
			c, err := parseRESTCors(v)
			if err != nil {
				t.warn("%s: Cors: %v; no CORS", id, err)
			}
			a.Cors = c
		}
	case HTTP:
		if v, ok := props["CorsConfiguration"]; ok {
			c, err := parseHTTPCors(v)
			if err != nil {
				t.warn("%s: CorsConfiguration: %v; no CORS", id, err)
			}
			a.Cors = c
		}
	}
	if auth, ok := props["Auth"].(map[string]any); ok {
		if list, ok := auth["Authorizers"].(map[string]any); ok {
			for _, name := range sortedKeys(list) {
				cfg, _ := list[name].(map[string]any)
				z, err := parseAuthorizer(name, kind, cfg, byLogicalID)
				if err != nil {
					t.warn("%s: authorizer %s: %v; routes that use it are not served", id, name, err)
					continue
				}
				a.Authorizers[name] = z
			}
		}
		if d, ok := auth["DefaultAuthorizer"].(string); ok {
			a.DefaultAuthorizer = d
			if _, ok := a.Authorizers[d]; !ok && d != "NONE" && d != "AWS_IAM" {
				t.warn("%s: DefaultAuthorizer %s is not one of its Authorizers", id, d)
			}
		}
	}
	return a
}

// routeAuthorizer is the authorizer of a route whose event has the given
// Auth property.
func (a *API) routeAuthorizer(v any) (*Authorizer, error) {
	name := a.DefaultAuthorizer
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["Authorizer"].(string); ok {
			name = s
		}
	}
	switch name {
	case "", "NONE":
		return nil, nil
	case "AWS_IAM":
		return nil, nil // IAM authorization is not emulated: requests are let through
	}
	z, ok := a.Authorizers[name]
	if !ok {
		return nil, fmt.Errorf("the authorizer %s is not defined on %s", name, a.ID)
	}
	return z, nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Match is a route matched by a request.
type Match struct {
	Route      *Route
	PathParams map[string]string // nil when the route has none
	// Path is the request path the route saw: for a Function URL, the path
	// after /_url/{function}.
	Path string
}

// Outcome of a lookup that matched nothing.
type NoMatch struct {
	Status int
	Body   string
}

// Lookup finds the route for a request, in API Gateway's order: a
// Function URL by its prefix; else the route whose path matches with the
// most literal segments first (then parameters, then greedy ones), an
// exact method before ANY, and $default last. With no route it returns
// the answer API Gateway gives: 404 Not Found (HTTP APIs) or 403 Missing
// Authentication Token (REST APIs).
func (t *Table) Lookup(method, path string) (Match, *NoMatch) {
	if rest, ok := strings.CutPrefix(path, URLPrefix); ok {
		fn, sub, _ := strings.Cut(rest, "/")
		if r, ok := t.urls[fn]; ok {
			return Match{Route: r, Path: "/" + sub}, nil
		}
		return Match{}, &NoMatch{Status: 404, Body: `{"message":"Not Found"}`}
	}
	parts := splitPath(path)
	var best *Route
	var bestParams map[string]string
	var bestScore []int
	pathMatchedREST := false
	for _, r := range t.Routes {
		if r.API.Kind == URL || r.Path == DefaultRoute {
			continue
		}
		params, ok := r.match(parts)
		if !ok {
			continue
		}
		if r.API.Kind == REST {
			pathMatchedREST = true
		}
		if r.Method != "ANY" && r.Method != method {
			continue
		}
		score := r.score()
		if best == nil || compareScore(score, bestScore) > 0 {
			best, bestParams, bestScore = r, params, score
		}
	}
	if best == nil {
		for _, r := range t.Routes {
			if r.Path == DefaultRoute {
				best = r
				break
			}
		}
	}
	if best == nil {
		if pathMatchedREST || (t.hasKind(REST) && !t.hasKind(HTTP)) {
			return Match{}, &NoMatch{Status: 403, Body: `{"message":"Missing Authentication Token"}`}
		}
		return Match{}, &NoMatch{Status: 404, Body: `{"message":"Not Found"}`}
	}
	return Match{Route: best, PathParams: bestParams, Path: path}, nil
}

func (t *Table) hasKind(k Kind) bool {
	for _, r := range t.Routes {
		if r.API.Kind == k {
			return true
		}
	}
	return false
}

// URLRoute returns the Function URL route of a function, or nil.
func (t *Table) URLRoute(function string) *Route { return t.urls[function] }

// RoutesOf lists the routes of one function.
func (t *Table) RoutesOf(function string) []*Route {
	var out []*Route
	for _, r := range t.Routes {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}

func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// match matches the request path's segments.
func (r *Route) match(parts []string) (map[string]string, bool) {
	var params map[string]string
	set := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	for i, s := range r.segments {
		if s.greedy {
			if i >= len(parts) {
				return nil, false // {proxy+} needs at least one segment
			}
			set(s.param, strings.Join(parts[i:], "/"))
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch {
		case s.param != "":
			if parts[i] == "" {
				return nil, false
			}
			set(s.param, parts[i])
		case s.literal != parts[i]:
			return nil, false
		}
	}
	return params, len(parts) == len(r.segments)
}

// score ranks a route's specificity: per segment 3 for a literal, 2 for a
// parameter, 1 for greedy; then 1 for an exact method over ANY.
func (r *Route) score() []int {
	out := make([]int, 0, len(r.segments)+1)
	for _, s := range r.segments {
		switch {
		case s.greedy:
			out = append(out, 1)
		case s.param != "":
			out = append(out, 2)
		default:
			out = append(out, 3)
		}
	}
	m := 0
	if r.Method != "ANY" {
		m = 1
	}
	return append(out, m)
}

func compareScore(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return len(a) - len(b)
}

// ttl reads ReauthorizeEvery-style seconds.
func ttl(v any, def time.Duration) time.Duration {
	switch n := v.(type) {
	case int64:
		return time.Duration(n) * time.Second
	case float64:
		return time.Duration(n) * time.Second
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return time.Duration(i) * time.Second
		}
	}
	return def
}
