package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// The newest invocations, kept current on the page: the dashboard, a
// function's page and the first page of the history poll the feed, which
// answers 204 (htmx swaps nothing) until something changed, so invocations
// from the CLI, the API or a teammate appear without a reload.

// feedLimitMax bounds the rows a feed answers with.
const feedLimitMax = 100

// invocationFeed answers a live table's poll: 204 when nothing changed,
// else the table anew (with its next poll URL).
func (s *Server) invocationFeed(c echo.Context) error {
	if err := checkQuery(c, "fn", "function", "status", "source", "q", "code", "limit", "v", "select"); err != nil {
		return err
	}
	if !c.QueryParams().Has("limit") {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the feed needs limit, a number from 1 to %d", feedLimitMax)
	}
	limit, err := strconv.Atoi(c.QueryParam("limit"))
	if err != nil || limit < 1 || limit > feedLimitMax {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "limit must be a number from 1 to %d; it is %q", feedLimitMax, c.QueryParam("limit"))
	}
	f := store.InvocationFilter{
		Function: c.QueryParam("function"),
		Status:   c.QueryParam("status"),
		Source:   c.QueryParam("source"),
		Query:    c.QueryParam("q"),
		Code:     c.QueryParam("code"),
		Limit:    limit,
	}
	page, err := s.store.ListInvocations(c.Request().Context(), f)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	table := views.NewLiveTable(page.Items, views.InvocationFilter{Function: f.Function, Status: f.Status, Source: f.Source, Query: f.Query, Code: f.Code},
		limit, c.QueryParam("fn") != "0")
	if c.QueryParam("select") == "1" {
		table = views.Selectable(table)
	}
	if table.Fingerprint == c.QueryParam("v") {
		return c.NoContent(http.StatusNoContent)
	}
	return render(c, http.StatusOK, views.LiveInvocationTable(table))
}
