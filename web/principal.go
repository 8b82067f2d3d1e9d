package web

import (
	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
)

// principalContextKey is where authentication leaves the request's
// principal for handlers and pages.
const principalContextKey = "lambdadeck.principal"

// principalOf returns who makes the request. With no authentication (laptop
// mode) that is the owner of the machine, with every role.
func principalOf(c echo.Context) lambdadeck.Principal {
	if p, ok := c.Get(principalContextKey).(lambdadeck.Principal); ok {
		return p
	}
	return lambdadeck.LocalPrincipal
}

// setPrincipal records who makes the request; the authentication
// middleware (sessions, a trusted proxy, SigV4 API keys) calls it.
func setPrincipal(c echo.Context, p lambdadeck.Principal) {
	c.Set(principalContextKey, p)
}
