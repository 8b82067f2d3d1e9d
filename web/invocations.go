package web

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
	if err := checkQuery(c, "function", "status", "source", "q", "group", "pinned", "from", "to", "code", "before"); err != nil {
		return err
	}
	filter := views.InvocationFilter{
		Function: c.QueryParam("function"),
		Status:   c.QueryParam("status"),
		Source:   c.QueryParam("source"),
		Query:    c.QueryParam("q"),
		Group:    c.QueryParam("group"),
		Pinned:   c.QueryParam("pinned"),
		From:     c.QueryParam("from"),
		To:       c.QueryParam("to"),
		Code:     strings.TrimSpace(c.QueryParam("code")),
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
		Code:     filter.Code,
		Before:   before,
		Limit:    historyPageSize,
	}
	if err := parseHistoryExtras(filter, &query); err != nil {
		return err
	}
	page, err := s.store.ListInvocations(ctx, query)
	if err != nil {
		return err
	}
	// A first page without a next one holds every match: counting them
	// again would cost a second scan, which a text search makes a full one.
	total, estimated := len(page.Items), false
	if before != "" || page.Next != "" {
		if total, estimated, err = s.store.EstimateInvocations(ctx, query); err != nil {
			return err
		}
	}
	list := views.InvocationList{
		Page:           s.page(c, "Invocations", "invocations"),
		Filter:         filter,
		FunctionNames:  s.functionNames(filter.Function),
		Items:          page.Items,
		Total:          total,
		TotalEstimated: estimated,
		PageSize:       historyPageSize,
	}
	if page.Next != "" {
		list.OlderURL = historyURL(filter, page.Next)
	}
	if before != "" {
		list.NewestURL = historyURL(filter, "")
	}
	list.ExportURL = "/invocations/export" + strings.TrimPrefix(historyURL(filter, before), "/invocations")
	return render(c, http.StatusOK, views.InvocationHistory(list))
}

// historyTimeLayouts are the forms from= and to= accept: a browser's
// datetime-local value (UTC), with seconds, or RFC 3339.
var historyTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339, "2006-01-02"}

// parseHistoryExtras reads the history's group, pinned, from and to
// filters into q, with a clear error for each malformed one.
func parseHistoryExtras(f views.InvocationFilter, q *store.InvocationFilter) error {
	if f.Group != "" {
		id, err := strconv.ParseInt(f.Group, 10, 64)
		if err != nil || id <= 0 {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "group must be an error group's number (from /errors), not %q", f.Group)
		}
		q.ErrorGroup = id
	}
	switch f.Pinned {
	case "":
	case "1":
		q.Pinned = true
	default:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "pinned must be 1 or absent, not %q", f.Pinned)
	}
	for _, p := range []struct {
		name, value string
		into        *time.Time
	}{{"from", f.From, &q.From}, {"to", f.To, &q.To}} {
		if p.value == "" {
			continue
		}
		t, err := parseHistoryTime(p.value)
		if err != nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "%s must be a UTC date and time such as 2026-01-31T14:05 (or RFC 3339), not %q", p.name, p.value)
		}
		*p.into = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "to (%s) must be after from (%s)", f.To, f.From)
	}
	return nil
}

func parseHistoryTime(s string) (time.Time, error) {
	var err error
	for _, layout := range historyTimeLayouts {
		var t time.Time
		if t, err = time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
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
		{"group", filter.Group},
		{"pinned", filter.Pinned},
		{"from", filter.From},
		{"to", filter.To},
		{"code", filter.Code},
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

// invocationPermalink shows one invocation, with forms to run it again as
// it was or to edit its event first. A large event, response or log shows
// its first views.HeadBytes, read as such from the store, with links to
// the whole (invocationPart): a page costs the same however large the
// invocation.
func (s *Server) invocationPermalink(c echo.Context) error {
	inv, sizes, err := s.store.InvocationHead(c.Request().Context(), c.Param("requestId"), views.HeadBytes)
	if err != nil {
		return err
	}
	var runAgain views.InvokeForm
	if sizes.Event <= views.HeadBytes {
		runAgain = formFromInvocation(inv)
		runAgain.Event = string(inv.Event) // re-send the exact bytes, not the pretty copy
	}
	s.overlayLive(inv)
	page := s.page(c, "Invocation "+inv.RequestID, "invocations")
	if !inv.Status.Finished() {
		page.RefreshSeconds = 2 // without JavaScript, follow it by reloading
	}
	var attempts []views.AttemptLink
	if inv.Async != nil {
		refs, err := s.store.EventAttempts(c.Request().Context(), inv.Async.EventID)
		if err != nil {
			return err
		}
		for _, r := range refs {
			attempts = append(attempts, views.AttemptLink{RequestID: r.RequestID, Attempt: r.Attempt, Status: r.Status})
		}
	}
	pinned, err := s.store.Pinned(c.Request().Context(), inv.RequestID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvocationDetail(views.InvocationPage{
		Pinned:     pinned,
		Page:       page,
		Invocation: *inv,
		Env:        maskedEnv(inv.EnvOverrides),
		RunAgain:   runAgain,
		Attempts:   attempts,
		Build:      s.liveBuild(inv),
		Sizes:      views.PartSizes{Event: sizes.Event, Payload: sizes.Payload, Logs: sizes.Logs},
		CopyAs:     copyAs(c, inv, sizes),
	}))
}

// copyAs builds the commands that reproduce inv against this server.
func copyAs(c echo.Context, inv *lambdadeck.Invocation, sizes store.InvocationSizes) views.CopyAs {
	var overrides []string
	for name := range inv.EnvOverrides {
		overrides = append(overrides, name)
	}
	slices.Sort(overrides)
	return views.NewCopyAs(baseURL(c), inv.Function, inv.Event, sizes.Event > len(inv.Event),
		inv.ClientContext, overrides, hasIdentity(inv.Identity))
}

// hasIdentity reports whether a recorded identity holds anything.
func hasIdentity(doc json.RawMessage) bool {
	var id lambdadeck.CognitoIdentity
	return json.Unmarshal(doc, &id) == nil && (id.CognitoIdentityID != "" || id.CognitoIdentityPoolID != "")
}

// invocationPart answers one part of an invocation whole, streamed from
// the store a chunk at a time: GET /invocations/:requestId/event, /response
// or /logs. It is plain text to read in the browser (never the response's
// own type: a handler's text/html must not run on the dashboard's origin),
// or with ?download=1 a file to save.
func (s *Server) invocationPart(part store.InvocationPart) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := c.Param("requestId")
		download := c.QueryParam("download")
		if download != "" && download != "1" {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "download must be 1 or absent, not %q", download)
		}
		size, contentType, err := s.store.InvocationPartSize(ctx, id, part)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderContentLength, strconv.Itoa(size))
		h.Set("X-Content-Type-Options", "nosniff")
		if download == "1" {
			h.Set(echo.HeaderContentType, echo.MIMEOctetStream)
			h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment",
				map[string]string{"filename": partFileName(id, part, contentType)}))
		} else {
			h.Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
			h.Set(echo.HeaderContentDisposition, "inline")
		}
		c.Response().WriteHeader(http.StatusOK)
		if c.Request().Method == http.MethodHead {
			return nil
		}
		if _, err := s.store.CopyInvocationPart(ctx, c.Response(), id, part); err != nil {
			// The status is sent: all that is left is to cut the body short.
			s.logger.Warn("streaming an invocation part", "request_id", id, "part", string(part), "err", err)
			panic(http.ErrAbortHandler)
		}
		return nil
	}
}

// partFileName is the name a downloaded part is saved under.
func partFileName(requestID string, part store.InvocationPart, contentType string) string {
	ext := ".txt"
	switch {
	case part == store.PartEvent:
		ext = ".json"
	case part == store.PartResponse:
		mediaType, _, _ := mime.ParseMediaType(contentType)
		switch mediaType {
		case "application/json", "":
			ext = ".json"
		case "text/plain":
			ext = ".txt"
		default:
			ext = ".bin"
		}
	}
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, requestID)
	return safe + "-" + string(part) + ext
}

// runInvocationAgain runs an invocation again with its event and overrides
// as recorded, taken from the store: the permalink of an invocation whose
// event is too large to carry in a form posts here.
func (s *Server) runInvocationAgain(c echo.Context) error {
	inv, err := s.store.Invocation(c.Request().Context(), c.Param("requestId"))
	if err != nil {
		return err
	}
	fn, err := s.invoker.Function(inv.Function)
	if err != nil {
		return err
	}
	if !fn.Runnable() {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s cannot run here: %s", fn.Name, fn.NotRunnable)
	}
	req := lambdadeck.InvokeRequest{
		Function:  fn.Name,
		Event:     inv.Event,
		Env:       inv.EnvOverrides,
		Source:    lambdadeck.SourceBrowser,
		UserAgent: c.Request().UserAgent(),
	}
	if len(req.Env) > 0 {
		if err := requireRole(c, editor); err != nil {
			return err
		}
	}
	if len(inv.ClientContext) > 0 && string(inv.ClientContext) != "null" {
		req.ClientContext = inv.ClientContext
	}
	if len(inv.Identity) > 0 {
		var identity lambdadeck.CognitoIdentity
		if json.Unmarshal(inv.Identity, &identity) == nil {
			req.Identity = &identity
		}
	}
	return s.invokeAndRespond(c, fn, req)
}
