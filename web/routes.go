package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck/static"
	"github.com/lambdadeck/lambdadeck/store"
)

// routes registers every route of the dashboard, in one table.
func (s *Server) routes() {
	e := s.echo

	e.GET("/", s.dashboard)                                                         // functions, warnings, recent invocations
	e.GET("/functions/:name", s.functionPage)                                       // configuration, event editor, result panel
	e.POST("/functions/:name/invoke", s.invokeFunction)                             // run it: htmx fragment or 303 to the permalink
	e.GET("/functions/:name/trends", s.functionTrends)                              // charts and table over ?range=1h|24h|7d|30d|all
	e.GET("/errors", s.errorGroups)                                                 // failures grouped by function, error type and normalised message
	e.GET("/invocations", s.invocationHistory)                                      // history with filters and cursor pagination
	e.GET("/invocations/feed", s.invocationFeed)                                    // live tables' poll: 204 until the newest rows change
	e.GET("/invocations/export", s.exportHistory)                                   // this history page (same filters) as a bundle
	e.POST("/invocations/import", s.importBundle)                                   // upload a bundle: its invocations join the history, marked imported
	e.GET("/invocations/:requestId", s.invocationPermalink)                         // one invocation, run again, edit and run
	e.GET("/invocations/:requestId/event", s.invocationPart(store.PartEvent))       // the whole event, streamed; ?download=1 to save it
	e.GET("/invocations/:requestId/response", s.invocationPart(store.PartResponse)) // the whole response, streamed; ?download=1 to save it
	e.GET("/invocations/:requestId/logs", s.invocationPart(store.PartLogs))         // the whole log, streamed; ?download=1 to save it
	e.POST("/invocations/:requestId/run", s.runInvocationAgain)                     // run again with the recorded event (too large for a form)
	e.GET("/invocations/:requestId/export", s.exportInvocation)                     // this invocation as a bundle (JSON download)
	e.GET("/invocations/:requestId/compare-previous", s.comparePrevious)            // 303 to /compare/<previous run>/<this one>
	e.GET("/compare", s.compareForm)                                                // the pick-two GET forms: 303 to /compare/:a/:b
	e.GET("/compare/:a/:b", s.comparePage)                                          // two invocations side by side: diffs, figures, configuration, code
	e.GET("/compare/:a/:b/export", s.exportComparison)                              // both sides as a bundle
	e.POST("/invocations/:requestId/pin", s.pinInvocation(true))                    // retention keeps it: 303 back to the permalink
	e.POST("/invocations/:requestId/unpin", s.pinInvocation(false))                 // retention may remove it again
	e.GET("/settings", s.settingsPage)                                              // retention limits (the command line's win) and the database's size
	e.POST("/settings", s.saveSettings)                                             // save the retention limits: 303 back
	e.GET("/healthz", s.health)                                                     // JSON: store reachable, function count, version

	e.GET("/fixtures", s.fixtureList)                                        // all fixtures: search, function and tag filters, deleted ones on request
	e.GET("/fixtures/new", s.newFixtureForm)                                 // blank form, or prefilled from ?function=, ?event=, ?from=<requestId>
	e.POST("/fixtures/new", s.newFixtureFromEditor)                          // "Save as fixture" beside Invoke: the form prefilled, nothing saved
	e.POST("/fixtures", s.createFixture)                                     // save a new fixture (revision 1): 303 to it
	e.POST("/fixtures/load", s.loadPickedFixture)                            // the function page picker's Load
	e.POST("/fixtures/run", s.runPickedFixture)                              // the function page picker's Run
	e.GET("/fixtures/:id", s.fixturePage)                                    // one fixture: event, Run, Edit, Duplicate, Delete, history with diffs
	e.POST("/fixtures/:id", s.updateFixture)                                 // save an edit as a new revision; stale revision: 409
	e.GET("/fixtures/:id/edit", s.editFixtureForm)                           // the edit form
	e.POST("/fixtures/:id/run", s.runFixture)                                // run it: htmx result panel or 303 to the invocation
	e.POST("/fixtures/:id/duplicate", s.duplicateFixture)                    // save a copy as "name (copy)"
	e.GET("/fixtures/:id/delete", s.deleteFixtureConfirm)                    // ask before deleting
	e.POST("/fixtures/:id/delete", s.deleteFixture)                          // soft delete, with confirm=yes
	e.POST("/fixtures/:id/revisions/:rev/restore", s.restoreFixtureRevision) // an old revision becomes the newest
	e.GET("/fixtures/:id/compare", s.compareExpectation)                     // the expected response beside the latest run's

	e.GET("/tests", s.testsPage)                              // fixtures with expectations, their latest verdicts, Run all
	e.POST("/tests/run", s.startTestRun)                      // run them in the background: 303 to the run
	e.GET("/tests/runs/:id", s.testRunPage)                   // a run's progress (htmx polls the fragment) and outcomes
	e.GET("/environments", s.environmentsPage)                // named environments for {{variables}}: the file's and the dashboard's
	e.POST("/environments", s.saveEnvironment)                // create or replace one
	e.POST("/environments/:name/delete", s.deleteEnvironment) // delete one

	e.GET("/templates", s.eventGallery)                         // sample events by service, filtered by ?q=; ?function= carried through
	e.GET("/templates/:service/:event", s.eventTemplatePage)    // one template: parameters as a GET form, the rendered event
	e.GET("/templates/:service/:event/use", s.useEventTemplate) // "Use with function": 303 to /functions/:name?event=, large events in place

	e.GET("/routes", s.routesPage)      // the HTTP front door's routes, a send form per route
	e.POST("/routes/send", s.sendRoute) // send a request through the front door, in process; the answer on the page

	e.GET(accountKeysPath, s.keysPage(accountKeys))                 // my API keys (apikeys.go)
	e.POST(accountKeysPath, s.createKey(accountKeys))               // create one: its secret shown on this answer only
	e.POST(accountKeysPath+"/:id/revoke", s.revokeKey(accountKeys)) // revoke one of mine
	e.GET(adminKeysPath, s.keysPage(adminKeys))                     // every account's keys (?user=NAME), admin only
	e.POST(adminKeysPath, s.createKey(adminKeys))                   // create one for any account
	e.POST(adminKeysPath+"/:id/revoke", s.revokeKey(adminKeys))     // revoke anyone's
	e.GET("/login", s.loginPage)                                    // sign in: name and password, or the identity provider
	e.POST("/login", s.login)                                       // check the password (rate-limited), open a session
	e.POST("/logout", s.logout)                                     // end this session
	e.GET("/auth/oidc/login", s.oidcLogin)                          // off to the identity provider (state, nonce, PKCE)
	e.GET("/auth/oidc/callback", s.oidcCallback)                    // back from it: verify the ID token, open a session
	e.GET("/account", s.accountPage)                                // who I am, my role, change my password
	e.POST("/account/password", s.changePassword)                   // change my password; my other sessions end
	e.POST("/account/logout-all", s.logoutEverywhere)               // end every session of my account
	e.GET("/admin/users", s.usersPage)                              // accounts and their roles
	e.POST("/admin/users", s.addUser)                               // add one (a one-time password with --auth local)
	e.POST("/admin/users/:id/role", s.setUserRole)                  // change an account's role
	e.POST("/admin/users/:id/disable", s.setUserDisabled)           // disable or enable an account
	e.POST("/admin/users/:id/password", s.resetUserPassword)        // a new one-time password
	e.GET("/admin/audit", s.auditPage)                              // who did what, with filters

	e.GET(static.Prefix+"*", echo.WrapHandler(s.assets)) // content-hashed, immutable assets
	e.GET("/favicon.ico", s.favicon)                     // browsers ask for it even with a <link rel=icon>

	s.lambdaAPIRoutes(e)
}

// lambdaAPIRoutes registers the AWS Lambda API (lambdaapi.go) on e: the
// dashboard's router, and the API-only one of LambdaAPI. Errors are answered
// in AWS's format by the lambdaAPI wrapper.
func (s *Server) lambdaAPIRoutes(e *echo.Echo) {
	e.POST("/2015-03-31/functions/:name/invocations", s.lambdaAPI(s.invokeFunctionAPI))                              // Invoke
	e.POST("/2021-11-15/functions/:name/response-streaming-invocations", s.lambdaAPI(s.invokeWithResponseStreamAPI)) // InvokeWithResponseStream
	e.GET("/2015-03-31/functions", s.lambdaAPI(s.listFunctionsAPI))                                                  // ListFunctions
	e.GET("/2015-03-31/functions/", s.lambdaAPI(s.listFunctionsAPI))                                                 // ListFunctions (as the docs spell it)
	e.GET("/2015-03-31/functions/:name", s.lambdaAPI(s.getFunctionAPI))                                              // GetFunction
	e.GET("/2015-03-31/functions/:name/configuration", s.lambdaAPI(s.getFunctionConfigurationAPI))                   // GetFunctionConfiguration
}

// favicon redirects to the current hashed favicon; a temporary redirect,
// since the target changes with the file.
func (s *Server) favicon(c echo.Context) error {
	return c.Redirect(http.StatusFound, s.assets.URL("img/favicon.svg"))
}
