package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// historyPageSize is how many invocations one history page lists.
const historyPageSize = 50

// invocationHistory lists invocations newest first, filtered by the query
// parameters function, status, source and q, one cursor page at a time
// (before=<cursor>).
func (s *Server) invocationHistory(c echo.Context) error {
	ctx := c.Request().Context()
	filter := views.InvocationFilter{
		Function: c.QueryParam("function"),
		Status:   c.QueryParam("status"),
		Source:   c.QueryParam("source"),
		Query:    c.QueryParam("q"),
	}
	if filter.Status != "" && !lambdadeck.Status(filter.Status).Valid() {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "unknown status %q; use one of succeeded, failed, timed_out, crashed, running, queued, interrupted", filter.Status)
	}
	if filter.Source != "" && !validSource(lambdadeck.Source(filter.Source)) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "unknown source %q; use one of browser, cli, api, test", filter.Source)
	}
	before := c.QueryParam("before")
	query := store.InvocationFilter{
		Function: filter.Function,
		Status:   filter.Status,
		Source:   filter.Source,
		Query:    filter.Query,
		Before:   before,
		Limit:    historyPageSize,
	}
	page, err := s.store.ListInvocations(ctx, query)
	if err != nil {
		return err
	}
	// A first page without a next one holds every match: counting them
	// again would cost a second scan, which a text search makes a full one.
	total := len(page.Items)
	if before != "" || page.Next != "" {
		if total, err = s.store.CountInvocations(ctx, query); err != nil {
			return err
		}
	}
	list := views.InvocationList{
		Page:          s.page(c, "Invocations", "invocations"),
		Filter:        filter,
		FunctionNames: s.functionNames(filter.Function),
		Items:         page.Items,
		Total:         total,
		PageSize:      historyPageSize,
	}
	if page.Next != "" {
		list.OlderURL = historyURL(filter, page.Next)
	}
	if before != "" {
		list.NewestURL = historyURL(filter, "")
	}
	return render(c, http.StatusOK, views.InvocationHistory(list))
}

// validSource reports whether s is a known invocation source.
func validSource(s lambdadeck.Source) bool {
	switch s {
	case lambdadeck.SourceBrowser, lambdadeck.SourceCLI, lambdadeck.SourceAPI, lambdadeck.SourceTest, lambdadeck.SourceHTTP:
		return true
	}
	return false
}

// historyURL is the history page for filter, starting at the cursor before
// (the first page when empty). Empty filters are left out of the URL.
func historyURL(filter views.InvocationFilter, before string) string {
	q := url.Values{}
	for _, p := range [...]struct{ name, value string }{
		{"function", filter.Function},
		{"status", filter.Status},
		{"source", filter.Source},
		{"q", filter.Query},
		{"before", before},
	} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	if len(q) == 0 {
		return "/invocations"
	}
	return "/invocations?" + q.Encode()
}

// functionNames lists the configured functions' names for the filter form,
// plus the current filter value if it names a function no longer in the
// template (its history is still there).
func (s *Server) functionNames(current string) []string {
	var names []string
	for _, fn := range s.invoker.Functions() {
		names = append(names, fn.Name)
	}
	if current != "" && !slices.Contains(names, current) {
		names = append(names, current)
	}
	slices.Sort(names)
	return names
}

// invocationPermalink shows one invocation in full, with forms to run it
// again as it was or to edit its event first.
func (s *Server) invocationPermalink(c echo.Context) error {
	inv, err := s.store.Invocation(c.Request().Context(), c.Param("requestId"))
	if err != nil {
		return err
	}
	runAgain := formFromInvocation(inv)
	runAgain.Event = string(inv.Event) // re-send the exact bytes, not the pretty copy
	s.overlayLive(inv)
	page := s.page(c, "Invocation "+inv.RequestID, "invocations")
	if !inv.Status.Finished() {
		page.RefreshSeconds = 2 // without JavaScript, follow it by reloading
	}
	return render(c, http.StatusOK, views.InvocationDetail(views.InvocationPage{
		Page:       page,
		Invocation: *inv,
		Env:        maskedEnv(inv.EnvOverrides),
		RunAgain:   runAgain,
	}))
}
