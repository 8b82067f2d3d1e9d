package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/static"
)

// Roles, enforced on every route: routeRoles declares the weakest role
// each route needs, and the authorize middleware refuses the rest before
// any handler runs. A route registered without a line here is refused to
// all but admins, and TestEveryRouteDeclaresARole fails, so a new route
// cannot slip in without a decision.
//
// The HTTP front door (serve --http-addr) is not in this table: it stands
// in for API Gateway and Function URLs, which have no lambdadeck accounts,
// and answers on its own listener only (README, "Run it for your team").

// rolePublic marks the routes anybody may use, signed in or not: the sign-in
// pages, the health check and static assets.
const rolePublic lambdadeck.Role = "public"

var (
	viewer = lambdadeck.RoleViewer
	runner = lambdadeck.RoleRunner
	editor = lambdadeck.RoleEditor
	admin  = lambdadeck.RoleAdmin
)

// routeRoles maps "METHOD /route/:pattern" to the weakest role it needs.
var routeRoles = map[string]lambdadeck.Role{
	"GET /":                                     viewer,
	"GET /functions/:name":                      viewer,
	"POST /functions/:name/invoke":              runner, // environment overrides need editor too (functions.go)
	"GET /invocations":                          viewer,
	"GET /invocations/feed":                     viewer,
	"GET /invocations/:requestId":               viewer,
	"GET /invocations/:requestId/event":         viewer,
	"GET /invocations/:requestId/response":      viewer,
	"GET /invocations/:requestId/logs":          viewer,
	"POST /invocations/:requestId/run":          runner,
	"GET /healthz":                              rolePublic,
	"GET /fixtures":                             viewer,
	"GET /fixtures/new":                         editor,
	"POST /fixtures/new":                        editor,
	"POST /fixtures":                            editor,
	"POST /fixtures/load":                       viewer, // fills the editor, runs nothing
	"POST /fixtures/run":                        runner,
	"GET /fixtures/:id":                         viewer,
	"POST /fixtures/:id":                        editor,
	"GET /fixtures/:id/edit":                    editor,
	"POST /fixtures/:id/run":                    runner,
	"POST /fixtures/:id/duplicate":              editor,
	"GET /fixtures/:id/delete":                  editor,
	"POST /fixtures/:id/delete":                 editor,
	"POST /fixtures/:id/revisions/:rev/restore": editor,
	"GET /tests":                                viewer,
	"POST /tests/run":                           runner,
	"GET /tests/runs/:id":                       viewer,
	"GET /environments":                         viewer,
	"POST /environments":                        editor,
	"POST /environments/:name/delete":           editor,
	"GET /templates":                            viewer,
	"GET /templates/:service/:event":            viewer,
	"GET /templates/:service/:event/use":        viewer,
	"GET /routes":                               viewer,
	"POST /routes/send":                         runner,
	"GET " + static.Prefix + "*":                rolePublic,
	"GET /favicon.ico":                          rolePublic,

	// Signing in and out, one's own account (auth.go).
	"GET /login":               rolePublic,
	"POST /login":              rolePublic,
	"POST /logout":             rolePublic, // ends whatever session the cookie names
	"GET /auth/oidc/login":     rolePublic,
	"GET /auth/oidc/callback":  rolePublic,
	"GET /account":             viewer,
	"POST /account/password":   viewer,
	"POST /account/logout-all": viewer,

	// Compare, export and import (compare.go, bundle.go), trends and errors.
	"GET /invocations/export":                      viewer,
	"POST /invocations/import":                     editor, // adds invocations to the shared history
	"GET /invocations/:requestId/export":           viewer,
	"GET /invocations/:requestId/compare-previous": viewer,
	"GET /compare":                                 viewer,
	"GET /compare/:a/:b":                           viewer,
	"GET /compare/:a/:b/export":                    viewer,
	"GET /fixtures/:id/compare":                    viewer,
	"GET /functions/:name/trends":                  viewer,
	"GET /errors":                                  viewer,

	// Retention (retention.go): pins keep an invocation for everyone; the
	// limits delete the team's history.
	"POST /invocations/:requestId/pin":   editor,
	"POST /invocations/:requestId/unpin": editor,
	"GET /settings":                      viewer,
	"POST /settings":                     admin,

	// API keys (apikeys.go): one's own, and (admins) everyone's.
	"GET /account/keys":             viewer,
	"POST /account/keys":            viewer,
	"POST /account/keys/:id/revoke": viewer,
	"GET /admin/keys":               admin,
	"POST /admin/keys":              admin,
	"POST /admin/keys/:id/revoke":   admin,

	// Administration (admin.go).
	"GET /admin/users":               admin,
	"POST /admin/users":              admin,
	"POST /admin/users/:id/role":     admin,
	"POST /admin/users/:id/disable":  admin,
	"POST /admin/users/:id/password": admin,
	"GET /admin/audit":               admin,

	// The AWS Lambda API (lambdaapi.go): checked by requireLambdaRole in
	// the lambdaAPI wrapper, on both listeners, in AWS's format.
	"POST /2015-03-31/functions/:name/invocations":                    runner,
	"POST /2021-11-15/functions/:name/response-streaming-invocations": runner,
	"GET /2015-03-31/functions":                                       viewer,
	"GET /2015-03-31/functions/":                                      viewer,
	"GET /2015-03-31/functions/:name":                                 viewer,
	"GET /2015-03-31/functions/:name/configuration":                   viewer,
}

// lambdaActions names each Lambda API route's IAM action, for
// AccessDeniedException's message.
var lambdaActions = map[string]string{
	"POST /2015-03-31/functions/:name/invocations":                    "lambda:InvokeFunction",
	"POST /2021-11-15/functions/:name/response-streaming-invocations": "lambda:InvokeFunction",
	"GET /2015-03-31/functions":                                       "lambda:ListFunctions",
	"GET /2015-03-31/functions/":                                      "lambda:ListFunctions",
	"GET /2015-03-31/functions/:name":                                 "lambda:GetFunction",
	"GET /2015-03-31/functions/:name/configuration":                   "lambda:GetFunctionConfiguration",
}

// routeKey is a route's key in routeRoles.
func routeKey(method, path string) string { return method + " " + path }

// roleFor returns the weakest role the matched route of c needs; ok is
// false for a route not in the table.
func roleFor(c echo.Context) (lambdadeck.Role, bool) {
	role, ok := routeRoles[routeKey(c.Request().Method, c.Path())]
	return role, ok
}

// roleName is "a viewer", "an admin", for messages.
func roleName(r lambdadeck.Role) string {
	switch r {
	case lambdadeck.RoleAdmin:
		return "an admin"
	case "":
		return "no role"
	}
	return "a " + string(r)
}

// forbidden is the refusal of a principal whose role is too weak.
func forbidden(p lambdadeck.Principal, need lambdadeck.Role) error {
	return lambdadeck.Errorf(lambdadeck.EFORBIDDEN,
		"This needs the %s role (or a stronger one); %s is %s. Ask an admin of this lambdadeck for the role.",
		need, p.String(), roleName(p.Role))
}

// requireRole refuses the request unless its principal has need.
func requireRole(c echo.Context, need lambdadeck.Role) error {
	if p := principalOf(c); !p.Can(need) {
		return forbidden(p, need)
	}
	return nil
}

// requireLambdaRole refuses a Lambda API request whose principal lacks
// role, with the AccessDeniedException AWS answers (403, in AWS's JSON
// format once the lambdaAPI wrapper writes it). The SigV4 check (apiauth.go)
// sets the principal first; an unsigned request in team mode is
// anonymous, with no role.
func requireLambdaRole(c echo.Context, role lambdadeck.Role) error {
	p := principalOf(c)
	if p.Can(role) {
		return nil
	}
	action := lambdaActions[routeKey(c.Request().Method, c.Path())]
	if action == "" {
		action = "this operation"
	}
	who := p.String()
	return &apiError{Status: http.StatusForbidden, Code: "AccessDeniedException", Message: fmt.Sprintf(
		"User: %s is not authorized to perform: %s because lambdadeck gives %s the %s role and this needs %s",
		who, action, who, orDefault(string(p.Role), "no"), string(role))}
}

// authorizeLambdaAPI is the Lambda API's role check, called by the
// lambdaAPI wrapper on both listeners. In team mode a request nobody
// signed is anonymous.
func (s *Server) authorizeLambdaAPI(c echo.Context) error {
	if s.auth.team() && c.Get(principalContextKey) == nil {
		setPrincipal(c, anonymousPrincipal)
	}
	if s.auth.Mode == AuthNone && c.Get(principalContextKey) == nil {
		setPrincipal(c, openPrincipal)
	}
	role, ok := roleFor(c)
	if !ok {
		role = lambdadeck.RoleAdmin
	}
	return requireLambdaRole(c, role)
}

// authorize is the dashboard's role check: after authentication has set
// the principal, it refuses a route the principal's role does not reach
// (403, a page naming the role needed), and sends a team-mode visitor who
// has not signed in to the sign-in page.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isLambdaAPIPath(req.URL.Path) {
			return next(c) // authorizeLambdaAPI, in AWS's format
		}
		key := routeKey(req.Method, c.Path())
		role, declared := routeRoles[key]
		if role == rolePublic {
			return next(c)
		}
		if !declared && s.registered[key] {
			role = lambdadeck.RoleAdmin // a route nobody gave a role: admins only
		}
		p := principalOf(c)
		if p.Kind == lambdadeck.PrincipalAnonymous {
			return s.signInFirst(c)
		}
		if !declared && !s.registered[key] {
			return next(c) // no such route: 404 or 405 from the router
		}
		if !p.Can(role) {
			return forbidden(p, role)
		}
		return next(c)
	}
}

// signInFirst answers a team-mode request from someone not signed in: a
// page request goes to the sign-in page (and comes back after), htmx is
// told to go there, anything else is 401.
func (s *Server) signInFirst(c echo.Context) error {
	if s.auth.Mode == AuthProxy {
		return lambdadeck.Errorf(lambdadeck.EUNAUTHORIZED,
			"lambdadeck signs people in through its proxy, and this request did not come through it with an account.")
	}
	req := c.Request()
	target := "/login"
	if next := req.URL.RequestURI(); next != "/" && safeNext(next) {
		target += "?next=" + url.QueryEscape(next)
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusUnauthorized)
	}
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return c.Redirect(http.StatusSeeOther, target)
	}
	return lambdadeck.Errorf(lambdadeck.EUNAUTHORIZED, "Sign in first: this lambdadeck is shared, and needs to know who you are.")
}

// safeNext reports whether next is a path on this site to return to after
// signing in: it starts with one slash (never "//host" or a scheme).
func safeNext(next string) bool {
	return strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") && !strings.HasPrefix(next, "/\\") &&
		!strings.ContainsAny(next, "\r\n")
}
