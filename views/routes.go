package views

import "github.com/lambdadeck/lambdadeck"

// RouteRow is one route of the HTTP front door, for the routes page and
// the function page.
type RouteRow struct {
	ID       string // identifies the route's form on the page
	Method   string // GET, ANY, ...
	Path     string // /users/{id}, $default, or /_url/{function}/{proxy+}
	Function string
	API      string // "ServerlessRestApi (REST)", "Http (HTTP)", "Function URL"
	Payload  string // 1.0 or 2.0
	Auth     string // "none", "TokenAuth (TOKEN)", ...
	// JWT is set for a JWT or Cognito authorizer, whose tokens the front
	// door decodes without verifying them.
	JWT       bool
	Streaming bool
	// SamplePath is a path that reaches the route, for the send form.
	SamplePath string
}

// RouteSend is the routes page's send form, as posted.
type RouteSend struct {
	RouteID string
	Method  string
	Path    string
	Query   string
	Headers string // one "Name: value" per line
	Body    string
}

// RouteResult is the HTTP answer to a request sent from the routes page.
type RouteResult struct {
	Status    int
	Response  string // status line, headers and body, as text
	RequestID string // the function's invocation, for its permalink; empty if none ran
}

// RoutesPage lists every route of the front door with a form to send a
// request through it.
type RoutesPage struct {
	Page
	Routes []RouteRow
	// Warnings are the front door's template warnings.
	Warnings []string
	// FrontDoorURL is where the front door listens (serve --http-addr);
	// empty when it is off (the page's forms still work).
	FrontDoorURL string
	Send         RouteSend
	Result       *RouteResult
	FormError    string
}

// sendValue is a send form's field: what was posted for that route, else
// its default.
func sendValue(s RouteSend, routeID, posted, def string) string {
	if s.RouteID == routeID {
		return posted
	}
	return def
}

// sampleMethod is the method a form starts with for a route's method.
func sampleMethod(m string) string {
	if m == "ANY" {
		return "GET"
	}
	return m
}

// sendable is the routes the page offers a send form for: all of them to a
// runner, none to a viewer.
func sendable(p RoutesPage) []RouteRow {
	if !p.Can(lambdadeck.RoleRunner) {
		return nil
	}
	return p.Routes
}
