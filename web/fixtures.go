package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// authorCookie keeps the display name a person saves fixtures under, until
// lambdadeck has accounts.
const authorCookie = "lambdadeck_author"

// fixtureList lists fixtures, filtered by the query parameters q, function,
// tag and deleted=1.
func (s *Server) fixtureList(c echo.Context) error {
	ctx := c.Request().Context()
	filter := views.FixtureFilter{
		Query:       c.QueryParam("q"),
		Function:    c.QueryParam("function"),
		Tag:         c.QueryParam("tag"),
		ShowDeleted: c.QueryParam("deleted") == "1",
	}
	items, err := s.store.ListFixtures(ctx, store.FixtureFilter{
		Function:       filter.Function,
		Tag:            filter.Tag,
		Query:          filter.Query,
		IncludeDeleted: filter.ShowDeleted,
	})
	if err != nil {
		return err
	}
	tags, err := s.store.FixtureTags(ctx)
	if err != nil {
		return err
	}
	if filter.Tag != "" && !slices.Contains(tags, filter.Tag) {
		tags = append(tags, filter.Tag)
	}
	return render(c, http.StatusOK, views.FixtureIndex(views.FixtureList{
		Page:          s.page(c, "Fixtures", "fixtures"),
		Filter:        filter,
		FunctionNames: s.functionNames(filter.Function),
		Tags:          tags,
		Items:         items,
	}))
}

// newFixtureForm shows a blank fixture form, or one prefilled from
// ?function=, ?event= or the invocation named by ?from= ("save as
// fixture" from an invocation's page).
func (s *Server) newFixtureForm(c echo.Context) error {
	form := views.FixtureForm{
		Function: c.QueryParam("function"),
		Event:    "{}",
		Author:   authorFromCookie(c),
	}
	if from := c.QueryParam("from"); from != "" {
		invoke, inv, err := s.formFromStoredInvocation(c.Request().Context(), from)
		if err != nil {
			return err
		}
		form.Function, form.FromRequestID = inv.Function, inv.RequestID
		form.Event, form.Env, form.ClientContext = invoke.Event, invoke.Env, invoke.ClientContext
		form.CognitoIdentityID, form.CognitoIdentityPool = invoke.CognitoIdentityID, invoke.CognitoIdentityPool
		form.EventFrom, form.EventFromSize = invoke.EventFrom, invoke.EventFromSize
	} else if event := c.QueryParam("event"); event != "" {
		form.Event = event
	}
	return s.renderFixtureForm(c, http.StatusOK, form, nil)
}

// newFixtureFromEditor is "Save as fixture" beside a function's Invoke
// button: it shows the fixture form prefilled with the editor's event and
// overrides, saving nothing yet. htmx gets the form alone, for the result
// panel; a plain POST gets the whole page.
func (s *Server) newFixtureFromEditor(c echo.Context) error {
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	values := c.Request().PostForm
	form := views.FixtureForm{
		Function:            c.QueryParam("function"),
		Event:               values.Get(fieldEvent),
		EventFrom:           values.Get(fieldEventFrom),
		Env:                 values.Get(fieldEnv),
		ClientContext:       values.Get(fieldClientContext),
		CognitoIdentityID:   values.Get(fieldIdentityID),
		CognitoIdentityPool: values.Get(fieldIdentityPool),
		Author:              authorFromCookie(c),
	}
	if strings.TrimSpace(form.Event) == "" {
		form.Event = "{}"
	}
	if pretty, ok := views.PrettyJSON([]byte(form.Event)); ok {
		form.Event = pretty
	}
	return s.renderFixtureForm(c, http.StatusOK, form, nil)
}

// renderFixtureForm renders the fixture form, with the message of err
// (if any) above it and err's status. An htmx request gets the form alone.
func (s *Server) renderFixtureForm(c echo.Context, status int, form views.FixtureForm, err error) error {
	title := "New fixture"
	if form.ID != 0 {
		title = "Edit " + form.Name
	}
	p := views.FixtureFormPage{
		Page:          s.page(c, title, "fixtures"),
		Form:          form,
		FunctionNames: s.functionNames(form.Function),
	}
	if err != nil {
		status, p.Error = describeError(err)
		p.Conflict = form.ID != 0 && lambdadeck.ErrorCode(err) == lambdadeck.ECONFLICT && strings.Contains(p.Error, "after you loaded")
	}
	if isHTMX(c) {
		return render(c, status, views.FixtureFormFields(p))
	}
	return render(c, status, views.FixtureFormDetail(p))
}

// Form fields of the fixture form beyond the invoke form's.
const (
	fieldName        = "name"
	fieldFunction    = "function"
	fieldDescription = "description"
	fieldTags        = "tags"
	fieldRevision    = "revision"
	fieldAuthor      = "author"
)

// fixtureFormFromValues reads a posted fixture form back as text, to show
// it again when it is refused.
func fixtureFormFromValues(values url.Values) views.FixtureForm {
	return views.FixtureForm{
		Function:            values.Get(fieldFunction),
		Name:                values.Get(fieldName),
		Description:         values.Get(fieldDescription),
		Tags:                values.Get(fieldTags),
		Event:               values.Get(fieldEvent),
		Env:                 values.Get(fieldEnv),
		ClientContext:       values.Get(fieldClientContext),
		CognitoIdentityID:   values.Get(fieldIdentityID),
		CognitoIdentityPool: values.Get(fieldIdentityPool),
		Author:              values.Get(fieldAuthor),
		ExpectedResponse:    values.Get(fieldExpectedResponse),
		ExpectedContains:    values.Get(fieldExpectedContains),
		Assertions:          values.Get(fieldAssertions),
	}
}

// fixtureFromForm validates a posted fixture form and builds the fixture.
// The event and client context are checked here, so their mistakes come
// with a line and column.
func (s *Server) fixtureFromForm(values url.Values) (*lambdadeck.Fixture, error) {
	function := strings.TrimSpace(values.Get(fieldFunction))
	var fn lambdadeck.Function
	if function != "" {
		var err error
		if fn, err = s.invoker.Function(function); err != nil {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "unknown function %q", function)
		}
	}
	event := []byte(strings.TrimSpace(values.Get(fieldEvent)))
	if len(event) == 0 {
		event = []byte("{}")
	}
	if len(event) > lambdadeck.MaxSyncPayload {
		return nil, lambdadeck.Errorf(lambdadeck.ETOOLARGE, "event is %s, over Lambda's 6 MB limit", megabytes(len(event)))
	}
	if err := checkJSON(event); err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "event is not valid JSON: %v", err)
	}
	// The overrides are the invoke form's, checked the same way.
	req, err := invokeRequestFromForm(function, url.Values{
		fieldEvent:         {string(event)},
		fieldEnv:           {values.Get(fieldEnv)},
		fieldClientContext: {values.Get(fieldClientContext)},
		fieldIdentityID:    {values.Get(fieldIdentityID)},
		fieldIdentityPool:  {values.Get(fieldIdentityPool)},
	})
	if err != nil {
		return nil, err
	}
	// Checked as a run checks them, so that a saved fixture never fails
	// later for its overrides.
	if function != "" {
		err = invoker.CheckOverrides(fn, req.Env)
	} else {
		err = invoker.CheckSharedOverrides(s.invoker.Functions(), req.Env)
	}
	if err != nil {
		return nil, err
	}
	expectation, err := expectationFromForm(values)
	if err != nil {
		return nil, err
	}
	return &lambdadeck.Fixture{
		Expectation:   expectation,
		Function:      function,
		Name:          values.Get(fieldName),
		Description:   values.Get(fieldDescription),
		Tags:          strings.Split(values.Get(fieldTags), ","),
		Event:         event,
		ClientContext: req.ClientContext,
		Identity:      req.Identity,
		Env:           req.Env,
	}, nil
}

// formAuthor is the author a fixture form names, or, for a form without
// the field, the one the author cookie remembers.
func formAuthor(c echo.Context, values url.Values) (string, error) {
	if name, ok := accountAuthor(c); ok {
		return store.NormalizeAuthor(name) // in team mode the account, whatever was typed
	}
	if !values.Has(fieldAuthor) {
		return store.NormalizeAuthor(authorFromCookie(c))
	}
	return store.NormalizeAuthor(values.Get(fieldAuthor))
}

// createFixture saves a new fixture and redirects to it. A refused form
// comes back with its text and the reason, nothing saved.
func (s *Server) createFixture(c echo.Context) error {
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	values := c.Request().PostForm
	eventFrom, err := s.fillEventFrom(c.Request().Context(), values)
	var f *lambdadeck.Fixture
	if err == nil {
		f, err = s.fixtureFromForm(values)
	}
	if err == nil {
		f.Author, err = formAuthor(c, values)
	}
	if err == nil {
		err = s.store.CreateFixture(c.Request().Context(), f)
	}
	if err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
			return err
		}
		form := fixtureFormFromValues(values)
		form.FromRequestID = values.Get("from")
		if eventFrom != "" || values.Get(fieldEventFrom) != "" && strings.TrimSpace(values.Get(fieldEvent)) == "" {
			// The form goes back as it came: naming the large event, not
			// carrying it.
			form.Event, form.EventFrom = "", values.Get(fieldEventFrom)
		}
		return s.renderFixtureForm(c, 0, form, err)
	}
	setAuthorCookie(c, f.Author)
	return redirectTo(c, fixtureURLOf(f.ID))
}

// fixturePage shows one fixture, deleted or not, with its history.
func (s *Server) fixturePage(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	revisions, err := s.store.FixtureRevisions(ctx, f.ID)
	if err != nil {
		return err
	}
	var functions []string
	for _, fn := range sortedFunctions(s.invoker.Functions()) {
		if fn.Runnable() {
			functions = append(functions, fn.Name)
		}
	}
	environments, err := s.environmentOptions(ctx)
	if err != nil {
		return err
	}
	verdict, err := s.fixtureVerdict(ctx, f.ID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.FixtureDetail(views.FixturePage{
		Page:         s.page(c, f.Name, "fixtures"),
		Fixture:      *f,
		Event:        prettyEvent(f.Event),
		Env:          maskedEnv(f.Env),
		Functions:    functions,
		Revisions:    revisionViews(f, revisions),
		Environments: environments,
		LastVerdict:  verdict,
	}))
}

// editFixtureForm shows the edit form of a live fixture.
func (s *Server) editFixtureForm(c echo.Context) error {
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	if f.Deleted() {
		return lambdadeck.Errorf(lambdadeck.ECONFLICT, "fixture %q is deleted; restore one of its revisions to edit it", f.Name)
	}
	form := formFromFixture(f)
	form.Author = authorFromCookie(c)
	return s.renderFixtureForm(c, http.StatusOK, form, nil)
}

// updateFixture saves an edit as a new revision. The form carries the
// revision it was loaded at: if someone saved meanwhile, the answer is 409
// with the person's text kept and a link to the current version.
func (s *Server) updateFixture(c echo.Context) error {
	ctx := c.Request().Context()
	current, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	values := c.Request().PostForm
	form := fixtureFormFromValues(values)
	form.ID = current.ID
	revision, err := strconv.Atoi(values.Get(fieldRevision))
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the form has no revision number; reload the page")
	}
	form.Revision = revision
	f, err := s.fixtureFromForm(values)
	if err == nil {
		f.Author, err = formAuthor(c, values)
	}
	if err == nil {
		f.ID = current.ID
		// A form without the expectation fields keeps the expectation.
		if !hasExpectationFields(values) {
			f.Expectation = current.Expectation
		}
		err = s.store.UpdateFixture(ctx, f, revision)
	}
	if err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.EINTERNAL {
			return err
		}
		if lambdadeck.ErrorCode(err) == lambdadeck.ECONFLICT && revision != current.Revision && !current.Deleted() {
			// Someone saved in between. Nothing is lost: the form keeps
			// these edits and now names the current revision, so saving
			// again makes them the newest (the other version stays in the
			// history).
			form.Revision = current.Revision
			err = lambdadeck.Errorf(lambdadeck.ECONFLICT, "%s Your edits are kept below: save again to make them revision %d.",
				lambdadeck.ErrorMessage(err), current.Revision+1)
		}
		return s.renderFixtureForm(c, 0, form, err)
	}
	setAuthorCookie(c, f.Author)
	return redirectTo(c, fixtureURLOf(f.ID))
}

// runFixture runs a fixture with its event, client context, identity and
// environment, linked to it; a shared fixture runs with the function the
// form names. htmx gets the result panel, a plain POST a redirect to the
// invocation.
func (s *Server) runFixture(c echo.Context) error {
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	inv, err := s.invokeFixture(c, f, c.Request().PostForm.Get(fieldFunction))
	if err != nil {
		return err
	}
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/invocations/"+url.PathEscape(inv.RequestID))
	}
	return render(c, http.StatusOK, views.ResultPanel(*inv))
}

// runPickedFixture is the function page picker's Run: the fixture comes
// from the form, the function from ?function=. htmx gets the result panel
// and the function's refreshed recent invocations.
func (s *Server) runPickedFixture(c echo.Context) error {
	f, function, err := s.pickedFixture(c)
	if err != nil {
		return err
	}
	inv, err := s.invokeFixture(c, f, function)
	if err != nil {
		return err
	}
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/invocations/"+url.PathEscape(inv.RequestID))
	}
	recent, err := s.store.ListInvocations(c.Request().Context(), store.InvocationFilter{Function: inv.Function, Limit: recentLimit})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvokeResult(*inv, recent.Items))
}

// loadPickedFixture is the picker's Load: htmx gets the function's invoke
// form filled with the fixture; a plain POST is redirected to the function
// page with ?fixture=, which fills it.
func (s *Server) loadPickedFixture(c echo.Context) error {
	f, function, err := s.pickedFixture(c)
	if err != nil {
		return err
	}
	target := "/functions/" + url.PathEscape(function) + "?fixture=" + strconv.FormatInt(f.ID, 10)
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, target)
	}
	fn, err := s.invoker.Function(function)
	if err != nil {
		return err
	}
	c.Response().Header().Set("HX-Push-Url", target)
	token, _ := c.Get(csrfContextKey).(string)
	form := invokeFormFromFixture(f)
	form.NoOverrides = !principalOf(c).Can(editor)
	return render(c, http.StatusOK, views.InvokeFormFields(fn, form, token))
}

// pickedFixture reads the picker's form: the fixture field and ?function=.
func (s *Server) pickedFixture(c echo.Context) (*lambdadeck.Fixture, string, error) {
	if err := parseForm(c.Request()); err != nil {
		return nil, "", err
	}
	function := c.QueryParam(fieldFunction)
	if _, err := s.invoker.Function(function); err != nil {
		return nil, "", err
	}
	id, err := strconv.ParseInt(c.Request().PostForm.Get("fixture"), 10, 64)
	if err != nil {
		return nil, "", lambdadeck.Errorf(lambdadeck.EINVALID, "choose a fixture first")
	}
	f, err := s.store.Fixture(c.Request().Context(), id)
	if err != nil {
		return nil, "", err
	}
	return f, function, nil
}

// invokeFixture runs f once, from the browser, with function when f is
// shared (f's own function otherwise).
func (s *Server) invokeFixture(c echo.Context, f *lambdadeck.Fixture, function string) (*lambdadeck.Invocation, error) {
	if f.Deleted() {
		return nil, lambdadeck.Errorf(lambdadeck.ECONFLICT, "fixture %q is deleted; restore a revision to run it", f.Name)
	}
	if f.Function != "" {
		function = f.Function
	} else if function == "" {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%q is a shared fixture: choose the function to run it with", f.Name)
	}
	fn, err := s.invoker.Function(function)
	if err != nil {
		return nil, err
	}
	if !fn.Runnable() {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s cannot run here: %s", fn.Name, fn.NotRunnable)
	}
	req := lambdadeck.InvokeRequest{
		Function:      fn.Name,
		Event:         f.Event,
		ClientContext: f.ClientContext,
		Identity:      f.Identity,
		Env:           f.Env,
		Source:        lambdadeck.SourceBrowser,
		UserAgent:     c.Request().UserAgent(),
		FixtureID:     f.ID,
	}
	// {{variables}} are filled from the form's environment, if any.
	if err := s.expandVariables(c.Request().Context(), c.Request().PostForm.Get(fieldEnvironment), &req); err != nil {
		return nil, err
	}
	// As with the invoke form, the run goes on if the browser goes away.
	ctx := context.WithoutCancel(c.Request().Context())
	inv, err := s.invoker.Invoke(ctx, req)
	if err != nil {
		return nil, err
	}
	return inv, s.checkExpectation(ctx, f, inv)
}

// duplicateFixture saves a copy of a fixture as "name (copy)" (or
// "(copy 2)", ... when taken) and opens it.
func (s *Server) duplicateFixture(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	copied := *f
	copied.Author = authorFromCookie(c)
	for n := 1; ; n++ {
		suffix := " (copy)"
		if n > 1 {
			suffix = fmt.Sprintf(" (copy %d)", n)
		}
		copied.Name = truncateRunes(f.Name, store.MaxFixtureName-utf8.RuneCountInString(suffix)) + suffix
		err = s.store.CreateFixture(ctx, &copied)
		if lambdadeck.ErrorCode(err) != lambdadeck.ECONFLICT || n == 100 {
			break
		}
	}
	if err != nil {
		return err
	}
	return redirectTo(c, fixtureURLOf(copied.ID))
}

// deleteFixtureConfirm asks before deleting.
func (s *Server) deleteFixtureConfirm(c echo.Context) error {
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.FixtureDeleteConfirm(views.FixtureDeletePage{
		Page:    s.page(c, "Delete "+f.Name, "fixtures"),
		Fixture: *f,
	}))
}

// deleteFixture deletes a fixture (keeping its revisions) once confirmed:
// without confirm=yes it shows the confirmation page instead.
func (s *Server) deleteFixture(c echo.Context) error {
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	if c.Request().PostForm.Get("confirm") != "yes" {
		return s.deleteFixtureConfirm(c)
	}
	if err := s.store.DeleteFixture(c.Request().Context(), f.ID, authorFromCookie(c)); err != nil {
		return err
	}
	return redirectTo(c, fixtureURLOf(f.ID))
}

// restoreFixtureRevision saves an earlier revision as the newest one.
func (s *Server) restoreFixtureRevision(c echo.Context) error {
	f, err := s.fixtureParam(c)
	if err != nil {
		return err
	}
	revision, err := strconv.Atoi(c.Param("rev"))
	if err != nil {
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "fixture %q has no revision %q", f.Name, c.Param("rev"))
	}
	if _, err := s.store.RestoreFixtureRevision(c.Request().Context(), f.ID, revision, authorFromCookie(c)); err != nil {
		return err
	}
	return redirectTo(c, fixtureURLOf(f.ID))
}

// fixturePicker lists the fixtures function can use (its own and the
// shared ones) for the picker; selected is the one loaded, 0 for none.
func (s *Server) fixturePicker(ctx context.Context, function string, selected int64) (views.FixturePicker, error) {
	list, err := s.store.ListFixtures(ctx, store.FixtureFilter{Function: function})
	if err != nil {
		return views.FixturePicker{}, err
	}
	picker := views.FixturePicker{Function: function, Selected: selected}
	for _, f := range list {
		picker.Options = append(picker.Options, views.FixtureOption{ID: f.ID, Name: f.Name, Shared: f.Function == ""})
	}
	return picker, nil
}

// fixtureForEditor returns the fixture named by the function page's
// ?fixture= parameter, for the editor.
func (s *Server) fixtureForEditor(ctx context.Context, param string) (*lambdadeck.Fixture, error) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no fixture with id %q", param)
	}
	return s.store.Fixture(ctx, id)
}

// fixtureParam loads the fixture named by the :id path parameter.
func (s *Server) fixtureParam(c echo.Context) (*lambdadeck.Fixture, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "no fixture with id %q", c.Param("id"))
	}
	return s.store.Fixture(c.Request().Context(), id)
}

// invokeFormFromFixture fills the invoke form with what a fixture runs with.
func invokeFormFromFixture(f *lambdadeck.Fixture) views.InvokeForm {
	form := views.InvokeForm{Event: prettyEvent(f.Event), Env: envLines(f.Env)}
	if len(f.ClientContext) > 0 {
		form.ClientContext = string(f.ClientContext)
	}
	if f.Identity != nil {
		form.CognitoIdentityID, form.CognitoIdentityPool = f.Identity.CognitoIdentityID, f.Identity.CognitoIdentityPoolID
	}
	return form
}

// formFromFixture fills the edit form with a fixture.
func formFromFixture(f *lambdadeck.Fixture) views.FixtureForm {
	invoke := invokeFormFromFixture(f)
	expectedResponse, expectedContains, assertions := expectationFormText(f.Expectation)
	return views.FixtureForm{
		ID:                  f.ID,
		Revision:            f.Revision,
		Function:            f.Function,
		Name:                f.Name,
		Description:         f.Description,
		Tags:                strings.Join(f.Tags, ", "),
		Event:               invoke.Event,
		Env:                 invoke.Env,
		ClientContext:       invoke.ClientContext,
		CognitoIdentityID:   invoke.CognitoIdentityID,
		CognitoIdentityPool: invoke.CognitoIdentityPool,
		ExpectedResponse:    expectedResponse,
		ExpectedContains:    expectedContains,
		Assertions:          assertions,
	}
}

// prettyEvent indents an event for display and editing.
func prettyEvent(event []byte) string {
	s, _ := views.PrettyJSON(event)
	return s
}

// revisionViews shapes a fixture's revisions (newest first) for its
// history: each with the fields it changed and the line diff of its event
// from the revision before.
func revisionViews(f *lambdadeck.Fixture, revisions []lambdadeck.FixtureRevision) []views.FixtureRevisionView {
	out := make([]views.FixtureRevisionView, len(revisions))
	for i, r := range revisions {
		v := views.FixtureRevisionView{Revision: r.Revision, Author: r.Author, At: r.At, Current: r.Revision == f.Revision}
		if i+1 < len(revisions) {
			prev := &revisions[i+1].Fixture
			v.Changed = changedFields(prev, &r.Fixture)
			before, after := prettyEvent(prev.Event), prettyEvent(r.Fixture.Event)
			if before != after {
				v.EventDiff = lineDiff(strings.Split(before, "\n"), strings.Split(after, "\n"))
			}
		}
		out[i] = v
	}
	return out
}

// changedFields names the fields other than the event that differ
// between two revisions.
func changedFields(a, b *lambdadeck.Fixture) []string {
	var changed []string
	add := func(name string, differ bool) {
		if differ {
			changed = append(changed, name)
		}
	}
	add("name", a.Name != b.Name)
	add("function", a.Function != b.Function)
	add("description", a.Description != b.Description)
	add("tags", !slices.Equal(a.Tags, b.Tags))
	add("client context", !bytes.Equal(a.ClientContext, b.ClientContext))
	add("identity", !sameJSON(a.Identity, b.Identity))
	add("environment", !sameJSON(a.Env, b.Env))
	add("expectation", !sameJSON(a.Expectation, b.Expectation))
	return changed
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
}

// maxDiffCells bounds the LCS table of lineDiff: past it the changed middle
// is shown as all removed, then all added, rather than spending seconds
// and gigabytes on a 6 MB event.
const maxDiffCells = 4 << 20

// lineDiff is the line diff from a to b: the lines of a longest common
// subsequence are "same", the others "removed" (from a) or "added" (to b),
// removals before additions at each change.
func lineDiff(a, b []string) []views.DiffLine {
	var out []views.DiffLine
	// Common ends need no table.
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	for _, line := range a[:prefix] {
		out = append(out, views.DiffLine{Kind: "same", Text: line})
	}
	midA, midB := a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]
	if len(midA)*len(midB) > maxDiffCells {
		for _, line := range midA {
			out = append(out, views.DiffLine{Kind: "removed", Text: line})
		}
		for _, line := range midB {
			out = append(out, views.DiffLine{Kind: "added", Text: line})
		}
	} else {
		out = append(out, lcsDiff(midA, midB)...)
	}
	for _, line := range a[len(a)-suffix:] {
		out = append(out, views.DiffLine{Kind: "same", Text: line})
	}
	return out
}

// lcsDiff diffs a and b with the classic longest-common-subsequence table.
func lcsDiff(a, b []string) []views.DiffLine {
	n, m := len(a), len(b)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []views.DiffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, views.DiffLine{Kind: "same", Text: a[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, views.DiffLine{Kind: "removed", Text: a[i]})
			i++
		default:
			out = append(out, views.DiffLine{Kind: "added", Text: b[j]})
			j++
		}
	}
	return out
}

// authorFromCookie returns the display name kept in the author cookie, or
// "" when there is none (or it is not a valid name).
func authorFromCookie(c echo.Context) string {
	if name, ok := accountAuthor(c); ok {
		return name
	}
	cookie, err := c.Cookie(authorCookie)
	if err != nil {
		return ""
	}
	name, err := url.QueryUnescape(cookie.Value)
	if err != nil {
		return ""
	}
	name, err = store.NormalizeAuthor(name)
	if err != nil || name == store.DefaultAuthor {
		return ""
	}
	return name
}

// setAuthorCookie remembers the display name for a year; the value is
// query-escaped, since a cookie cannot hold every character.
func setAuthorCookie(c echo.Context, author string) {
	if author == store.DefaultAuthor || strings.ContainsFunc(author, unicode.IsControl) {
		author = ""
	}
	c.SetCookie(&http.Cookie{
		Name:     authorCookie,
		Value:    url.QueryEscape(author),
		Path:     "/",
		MaxAge:   int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// redirectTo answers a form POST with 303 See Other to target.
func redirectTo(c echo.Context, target string) error {
	return c.Redirect(http.StatusSeeOther, target)
}

// fixtureURLOf is the page of the fixture with the given id.
func fixtureURLOf(id int64) string {
	return "/fixtures/" + strconv.FormatInt(id, 10)
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// accountAuthor is the signed-in account's name: in team mode a fixture's
// author is who saved it, not a typed name.
func accountAuthor(c echo.Context) (string, bool) {
	p := principalOf(c)
	if p.Kind == lambdadeck.PrincipalUser || p.Kind == lambdadeck.PrincipalKey {
		return p.User, true
	}
	return "", false
}
