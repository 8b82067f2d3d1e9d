package web

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/store/bundle"
	"github.com/lambdadeck/lambdadeck/views"
)

// Reviewing past invocations: comparing two, exporting them as a bundle and
// importing another server's bundle. The comparison's arithmetic is in
// views/diff; the bundle format in store/bundle.

// compareForm answers the GET forms that pick two invocations: the
// permalink's "Compare with…" (a and b) and the history's two checkboxes
// (id twice). It redirects to the comparison's stable URL.
func (s *Server) compareForm(c echo.Context) error {
	if err := checkQuery(c, "a", "b", "id"); err != nil {
		return err
	}
	q := c.QueryParams()
	var ids []string
	for _, v := range append(q["a"], append(q["b"], q["id"]...)...) {
		if v = strings.TrimSpace(v); v != "" {
			ids = append(ids, v)
		}
	}
	if len(ids) != 2 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "pick exactly two invocations to compare; %d were given", len(ids))
	}
	if ids[0] == ids[1] {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "pick two different invocations to compare")
	}
	for _, id := range ids {
		if _, _, err := s.store.InvocationHead(c.Request().Context(), id, 1); err != nil {
			return err
		}
	}
	// The history lists newest first: the older run goes on the left.
	if q.Has("id") {
		ids[0], ids[1] = ids[1], ids[0]
	}
	return c.Redirect(http.StatusSeeOther, views.CompareURL(ids[0], ids[1]))
}

// comparePage compares two invocations by request id: /compare/:a/:b.
// Each side is read as the permalink reads it, its large parts cut to
// views.HeadBytes, so a comparison's cost is bounded however large the
// invocations.
func (s *Server) comparePage(c echo.Context) error {
	ctx := c.Request().Context()
	if err := checkQuery(c); err != nil {
		return err
	}
	a, b := c.Param("a"), c.Param("b")
	invA, sizesA, err := s.store.InvocationHead(ctx, a, views.HeadBytes)
	if err != nil {
		return err
	}
	invB, sizesB, err := s.store.InvocationHead(ctx, b, views.HeadBytes)
	if err != nil {
		return err
	}
	s.overlayLive(invA)
	s.overlayLive(invB)
	p := views.NewComparePage(s.page(c, "Compare "+a+" with "+b, "invocations"),
		views.CompareSide{Label: sideLabel("A", invA), Invocation: *invA, URL: "/invocations/" + url.PathEscape(a),
			Sizes: views.PartSizes{Event: sizesA.Event, Payload: sizesA.Payload, Logs: sizesA.Logs}},
		views.CompareSide{Label: sideLabel("B", invB), Invocation: *invB, URL: "/invocations/" + url.PathEscape(b),
			Sizes: views.PartSizes{Event: sizesB.Event, Payload: sizesB.Payload, Logs: sizesB.Logs}})
	p.ExportURL = views.CompareURL(a, b) + "/export"
	p.SwapURL = views.CompareURL(b, a)
	return render(c, http.StatusOK, views.Comparison(p))
}

// sideLabel names a side by its letter and the start of its request id.
func sideLabel(letter string, inv *lambdadeck.Invocation) string {
	id := inv.RequestID
	if len(id) > 8 {
		id = id[:8]
	}
	return letter + " · " + id
}

// comparePrevious redirects to the comparison of an invocation with the
// run of the same function before it.
func (s *Server) comparePrevious(c echo.Context) error {
	id := c.Param("requestId")
	prev, err := s.store.PreviousInvocation(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, views.CompareURL(prev, id))
}

// compareExpectation compares a fixture's expected response with the
// response of its latest evaluated run.
func (s *Server) compareExpectation(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	if f.Expectation == nil || (len(f.Expectation.Response) == 0 && len(f.Expectation.Contains) == 0) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "fixture %q expects no response to compare with (only assertions)", f.Name)
	}
	verdict, err := s.fixtureVerdict(ctx, f.ID)
	if err != nil {
		return err
	}
	if verdict == nil {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "fixture %q has not run yet: run it, then compare", f.Name)
	}
	run, sizes, err := s.store.InvocationHead(ctx, verdict.RequestID, views.HeadBytes)
	if err != nil {
		return err
	}
	expected := f.Expectation.Response
	label := "Expected response"
	if len(expected) == 0 {
		expected, label = f.Expectation.Contains, "Expected to contain"
	}
	fixtureURL := "/fixtures/" + strconv.FormatInt(f.ID, 10)
	p := views.NewComparePage(s.page(c, "Compare "+f.Name+" with its expectation", "fixtures"),
		views.CompareSide{Label: label, Expected: true, URL: fixtureURL,
			Invocation: lambdadeck.Invocation{Payload: expected}, Sizes: views.PartSizes{Payload: len(expected)}},
		views.CompareSide{Label: sideLabel("Latest run", run), Invocation: *run, URL: "/invocations/" + url.PathEscape(run.RequestID),
			Sizes: views.PartSizes{Event: sizes.Event, Payload: sizes.Payload, Logs: sizes.Logs}})
	if label == "Expected to contain" {
		p.Notes = append(p.Notes, "The fixture expects the response to contain a subset: keys the run adds beyond it are listed as added, and do not fail the expectation.")
	}
	return render(c, http.StatusOK, views.Comparison(p))
}

// serverName is how this server names itself in the bundles it exports:
// its host name and the URL it was reached at.
func serverName(c echo.Context) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	return "lambdadeck at " + host + " (" + baseURL(c) + ")"
}

// baseURL is the scheme and host the request reached this server at.
func baseURL(c echo.Context) string {
	return c.Scheme() + "://" + c.Request().Host
}

// sendBundle writes a bundle of the given invocations as a download. It is
// built in memory first, so an error reading the store is an error page,
// not half a file.
func (s *Server) sendBundle(c echo.Context, h bundle.Header, ids []string, fileName string) error {
	if len(ids) == 0 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "no invocations match: there is nothing to export")
	}
	h.Server = serverName(c)
	var buf bytes.Buffer
	if err := bundle.Write(c.Request().Context(), &buf, s.store, h, ids); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

// exportInvocation downloads one invocation as a bundle.
func (s *Server) exportInvocation(c echo.Context) error {
	id := c.Param("requestId")
	return s.sendBundle(c, bundle.Header{Kind: bundle.KindInvocation}, []string{id}, safeName(id)+".bundle.json")
}

// exportComparison downloads both sides of a comparison as a bundle.
func (s *Server) exportComparison(c echo.Context) error {
	a, b := c.Param("a"), c.Param("b")
	return s.sendBundle(c, bundle.Header{Kind: bundle.KindComparison}, []string{a, b}, "compare-"+safeName(a)+"-"+safeName(b)+".bundle.json")
}

// exportHistory downloads one page of the history (its filters and cursor,
// as the history takes them) as a bundle.
func (s *Server) exportHistory(c echo.Context) error {
	if err := checkQuery(c, "function", "status", "source", "q", "code", "before"); err != nil {
		return err
	}
	f := store.InvocationFilter{
		Function: c.QueryParam("function"), Status: c.QueryParam("status"), Source: c.QueryParam("source"),
		Query: c.QueryParam("q"), Code: c.QueryParam("code"), Before: c.QueryParam("before"), Limit: historyPageSize,
	}
	page, err := s.store.ListInvocations(c.Request().Context(), f)
	if err != nil {
		return err
	}
	ids := make([]string, len(page.Items))
	for i, inv := range page.Items {
		ids[i] = inv.RequestID
	}
	filter := map[string]string{}
	for _, name := range []string{"function", "status", "source", "q", "code", "before"} {
		if v := c.QueryParam(name); v != "" {
			filter[name] = v
		}
	}
	return s.sendBundle(c, bundle.Header{Kind: bundle.KindHistory, Filter: filter}, ids,
		"invocations-"+time.Now().UTC().Format("20060102-150405")+".bundle.json")
}

// safeName keeps a request id's letters, digits and dashes for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// importBundle takes an uploaded bundle (the history's import form) and
// records its invocations as imported. A bad bundle imports nothing and is
// answered with what is wrong.
func (s *Server) importBundle(c echo.Context) error {
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	fh, err := c.FormFile("bundle")
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "choose a bundle file to import (the form's bundle field is empty)")
	}
	file, err := fh.Open()
	if err != nil {
		return fmt.Errorf("import: open upload: %w", err)
	}
	defer file.Close()
	b, out, err := bundle.Import(c.Request().Context(), s.store, file)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ImportDone(views.ImportResult{
		Page:       s.page(c, "Imported invocations", "invocations"),
		Server:     b.Server,
		Added:      out.Added,
		Present:    out.Present,
		HistoryURL: "/invocations",
	}))
}
