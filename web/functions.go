package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/views"
)

// recentLimit is how many invocations the dashboard and a function page list.
const recentLimit = views.RecentLimit

// dashboard shows every function with its last outcome, the template's
// warnings and the latest invocations.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	stats, err := s.store.FunctionStats(ctx)
	if err != nil {
		return err
	}
	recent, err := s.store.ListInvocations(ctx, store.InvocationFilter{Limit: recentLimit})
	if err != nil {
		return err
	}
	functions := sortedFunctions(s.invoker.Functions())
	rows := make([]views.FunctionRow, 0, len(functions))
	for _, fn := range functions {
		st := stats[fn.Name]
		localRuntime, runtimeWarning := s.localRuntime(fn)
		localVersion, _, _ := strings.Cut(localRuntime, " ")
		rows = append(rows, views.FunctionRow{
			Name:            fn.Name,
			Runtime:         fn.Runtime,
			Handler:         fn.Handler,
			NotRunnable:     fn.NotRunnable,
			RuntimeWarning:  runtimeWarning,
			LocalVersion:    localVersion,
			Count:           st.Count,
			LastStatus:      st.LastStatus,
			LastAt:          st.LastAt,
			LastRequestID:   st.LastRequestID,
			TypicalDuration: st.TypicalDuration,
		})
	}
	return render(c, http.StatusOK, views.DashboardPage(views.Dashboard{
		Page:         s.page(c, "Functions", "functions"),
		TemplatePath: s.templatePath,
		Warnings:     s.currentWarnings(),
		Functions:    rows,
		Recent:       recent.Items,
		Database:     s.databaseInfo(ctx),
	}))
}

// reloadReporter is implemented by invokers that retire instances when
// code changes, and can say when they last did (the real one does).
type reloadReporter interface {
	Reloaded(name string) time.Time
}

// runtimeDescriber is implemented by invokers that can say which local
// executable serves a function's runtime (the real one does).
type runtimeDescriber interface {
	LocalRuntime(fn lambdadeck.Function) (description, warning string)
}

// localRuntime describes fn's local interpreter, when the invoker can.
func (s *Server) localRuntime(fn lambdadeck.Function) (description, warning string) {
	if d, ok := s.invoker.(runtimeDescriber); ok && fn.Runnable() {
		return d.LocalRuntime(fn)
	}
	return "", ""
}

// sortedFunctions returns the functions ordered by name.
func sortedFunctions(functions []lambdadeck.Function) []lambdadeck.Function {
	sorted := slices.Clone(functions)
	slices.SortFunc(sorted, func(a, b lambdadeck.Function) int { return strings.Compare(a.Name, b.Name) })
	return sorted
}

// functionPage shows a function's configuration, the event editor and its
// recent invocations. The editor starts with {}, the ?event= parameter, the
// event and overrides of the invocation named by ?from=, or those of the
// fixture named by ?fixture= (the picker's Load without JavaScript).
func (s *Server) functionPage(c echo.Context) error {
	ctx := c.Request().Context()
	fn, err := s.invoker.Function(c.Param("name"))
	if err != nil {
		return err
	}
	form := views.InvokeForm{Event: "{}"}
	from := c.QueryParam("from")
	if from != "" {
		var err error
		if form, _, err = s.formFromStoredInvocation(ctx, from); err != nil {
			return err
		}
	} else if event := c.QueryParam("event"); event != "" {
		form.Event = event
	}
	var fixtureID int64
	if param := c.QueryParam("fixture"); param != "" && from == "" {
		f, err := s.fixtureForEditor(ctx, param)
		if err != nil {
			return err
		}
		form, fixtureID = invokeFormFromFixture(f), f.ID
	}
	return s.renderFunctionPage(c, http.StatusOK, views.FunctionPage{Function: fn, Form: form, FromRequestID: from}, fixtureID)
}

// renderFunctionPage completes p (its Function, Form, FromRequestID and
// FormError set by the caller) with the picker, the recent invocations and
// the local runtime, and renders it with status.
func (s *Server) renderFunctionPage(c echo.Context, status int, p views.FunctionPage, fixtureID int64) error {
	ctx := c.Request().Context()
	fn := p.Function
	var err error
	if p.Picker, err = s.fixturePicker(ctx, fn.Name, fixtureID); err != nil {
		return err
	}
	recent, err := s.store.ListInvocations(ctx, store.InvocationFilter{Function: fn.Name, Limit: recentLimit})
	if err != nil {
		return err
	}
	p.Recent = recent.Items
	if p.Form.Environments, err = s.environmentOptions(ctx); err != nil {
		return err
	}
	p.LocalRuntime, p.RuntimeWarning = s.localRuntime(fn)
	if r, ok := s.invoker.(reloadReporter); ok {
		p.ReloadedAt = r.Reloaded(fn.Name)
	}
	queues, err := s.store.QueueStats(ctx)
	if err != nil {
		return err
	}
	if q, ok := queues[fn.Name]; ok {
		p.Queue = views.AsyncQueue{Depth: q.Depth, OldestAge: time.Since(q.Oldest)}
	}
	trends, err := s.trendData(ctx, fn.Name, trendsPanelRange, time.Now())
	if err != nil {
		return err
	}
	p.Trends = views.NewTrendView(trends, false)
	p.Page = s.page(c, fn.Name, "functions")
	p.Form.NoOverrides = !p.Can(editor)
	p.Env = maskedEnv(fn.Environment)
	p.Routes = routeRows(s.Routes().RoutesOf(fn.Name))
	return render(c, status, views.FunctionDetail(p))
}

// formMistake answers an invoke form the user must correct. Without
// JavaScript it is the function page again, with what was typed and the
// mistake in the result panel, so nothing typed is lost; htmx requests
// get the error fragment in place, as for any error.
func (s *Server) formMistake(c echo.Context, fn lambdadeck.Function, err error) error {
	var domainErr *lambdadeck.Error
	if isHTMX(c) || !errors.As(err, &domainErr) || domainErr.Code != lambdadeck.EINVALID {
		return err
	}
	form := c.Request().PostForm
	p := views.FunctionPage{
		Function: fn,
		Form: views.InvokeForm{
			Event:               form.Get(fieldEvent),
			Env:                 form.Get(fieldEnv),
			ClientContext:       form.Get(fieldClientContext),
			CognitoIdentityID:   form.Get(fieldIdentityID),
			CognitoIdentityPool: form.Get(fieldIdentityPool),
		},
		FormError: domainErr.Message,
	}
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	return s.renderFunctionPage(c, http.StatusBadRequest, p, 0)
}

// invokeFunction runs a function with the event from the form. It checks
// the event before anything runs: invalid JSON is 400 with the line and
// column of the mistake, an event over Lambda's 6 MB limit is 413. With
// htmx it answers the result panel; without JavaScript it redirects to the
// invocation's permalink.
func (s *Server) invokeFunction(c echo.Context) error {
	fn, err := s.invoker.Function(c.Param("name"))
	if err != nil {
		return err
	}
	if !fn.Runnable() {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s cannot run here: %s", fn.Name, fn.NotRunnable)
	}
	if err := parseForm(c.Request()); err != nil {
		return err
	}
	if _, err := s.fillEventFrom(c.Request().Context(), c.Request().PostForm); err != nil {
		return s.formMistake(c, fn, err)
	}
	req, err := invokeRequestFromForm(fn.Name, c.Request().PostForm)
	if err == nil && len(req.Env) > 0 {
		// Overrides change what runs (NODE_OPTIONS, PATH ...): editors only.
		if err := requireRole(c, editor); err != nil {
			return err
		}
	}
	if err == nil {
		err = invoker.CheckOverrides(fn, req.Env)
	}
	if err != nil {
		return s.formMistake(c, fn, err)
	}
	req.Source = lambdadeck.SourceBrowser
	req.UserAgent = c.Request().UserAgent()
	// {{variables}} are filled from the chosen environment; the event as
	// sent is what the history keeps.
	if err := s.expandVariables(c.Request().Context(), c.Request().PostForm.Get(fieldEnvironment), &req); err != nil {
		return s.formMistake(c, fn, err)
	}

	return s.invokeAndRespond(c, fn, req)
}

// parseForm parses a url-encoded or multipart form body; unlike
// echo.Context.FormValue it reports failures, such as a body over the limit.
func parseForm(r *http.Request) error {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	var err error
	if mediaType == echo.MIMEMultipartForm {
		err = r.ParseMultipartForm(maxBodyBytes)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return tooLargeBody(tooLarge.Limit)
	case err != nil:
		return lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read the form: %v", err)
	}
	return nil
}

// Form field names of the invoke form.
const (
	fieldEvent         = "event"
	fieldEnv           = "env"
	fieldClientContext = "client_context"
	fieldIdentityID    = "cognito_identity_id"
	fieldIdentityPool  = "cognito_identity_pool_id"
)

// invokeRequestFromForm validates the invoke form and builds the request.
// A blank event is {}, as in Lambda's console.
func invokeRequestFromForm(function string, form url.Values) (lambdadeck.InvokeRequest, error) {
	event := []byte(strings.TrimSpace(form.Get(fieldEvent)))
	if len(event) == 0 {
		event = []byte("{}")
	}
	if len(event) > lambdadeck.MaxSyncPayload {
		return lambdadeck.InvokeRequest{}, lambdadeck.Errorf(lambdadeck.ETOOLARGE,
			"event is %s, over Lambda's 6 MB limit", megabytes(len(event)))
	}
	if err := checkJSON(event); err != nil {
		return lambdadeck.InvokeRequest{}, lambdadeck.Errorf(lambdadeck.EINVALID, "event is not valid JSON: %v", err)
	}
	req := lambdadeck.InvokeRequest{Function: function, Event: event}

	env, err := parseEnvLines(form.Get(fieldEnv))
	if err != nil {
		return lambdadeck.InvokeRequest{}, err
	}
	req.Env = env

	if clientContext := strings.TrimSpace(form.Get(fieldClientContext)); clientContext != "" {
		if err := checkJSON([]byte(clientContext)); err != nil {
			return lambdadeck.InvokeRequest{}, lambdadeck.Errorf(lambdadeck.EINVALID, "client context is not valid JSON: %v", err)
		}
		req.ClientContext = []byte(clientContext)
	}

	identityID := strings.TrimSpace(form.Get(fieldIdentityID))
	identityPool := strings.TrimSpace(form.Get(fieldIdentityPool))
	if identityID != "" || identityPool != "" {
		req.Identity = &lambdadeck.CognitoIdentity{CognitoIdentityID: identityID, CognitoIdentityPoolID: identityPool}
	}
	return req, nil
}

// megabytes formats a byte count in MB with one decimal, rounded up so that
// an event just over the limit never reads as "6.0 MB".
func megabytes(n int) string {
	tenths := (n*10 + (1<<20 - 1)) >> 20
	return fmt.Sprintf("%d.%d MB", tenths/10, tenths%10)
}

// checkJSON reports whether b is one valid JSON value; the error gives the
// line and column of the first mistake, counted from json.SyntaxError's
// byte offset.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		// encoding/json lets invalid UTF-8 through inside strings.
		at := 0
		for at < len(b) {
			r, size := utf8.DecodeRune(b[at:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			at += size
		}
		line, column := lineColumn(b, int64(at+1))
		return fmt.Errorf("line %d, column %d: byte 0x%02x is not valid UTF-8", line, column, b[at])
	}
	if json.Valid(b) {
		return nil
	}
	var v any
	err := json.Unmarshal(b, &v)
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return err
	}
	line, column := lineColumn(b, syntax.Offset)
	return fmt.Errorf("line %d, column %d: %s", line, column, syntax.Error())
}

// lineColumn locates the byte that made the decoder fail. SyntaxError.Offset
// counts the bytes read, the culprit included, so the culprit is at
// offset-1. Columns count characters, not bytes.
func lineColumn(b []byte, offset int64) (line, column int) {
	at := int(min(max(offset-1, 0), int64(len(b))))
	before := b[:at]
	line = 1 + strings.Count(string(before), "\n")
	lineStart := strings.LastIndexByte(string(before), '\n') + 1
	column = 1 + len([]rune(string(before[lineStart:])))
	return line, column
}

// parseEnvLines reads KEY=VALUE lines; blank lines and lines starting with #
// are skipped. Keys must be valid environment variable names.
func parseEnvLines(text string) (map[string]string, error) {
	var env map[string]string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, ok := strings.Cut(trimmed, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvName(key) {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID,
				"environment override line %d: want KEY=VALUE with a name of letters, digits and _, got %q", i+1, trimmed)
		}
		if env == nil {
			env = map[string]string{}
		}
		env[key] = value
	}
	return env, nil
}

// validEnvName reports whether name is a portable environment variable
// name: a letter or _ followed by letters, digits and _.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// envLines writes overrides back as sorted KEY=VALUE lines, for the form.
func envLines(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	return b.String()
}

// fieldEventFrom names the invocation whose event a form sends when that
// event is too large to carry in the page (views.InvokeForm.EventFrom).
const fieldEventFrom = "event_from"

// formFromStoredInvocation prefills the invoke form from the invocation
// with the given request id. An event over views.HeadBytes is not read:
// the form carries the request id instead (EventFrom), so that the page
// costs the same however large the event.
// It returns the invocation too, its event cut to that head.
func (s *Server) formFromStoredInvocation(ctx context.Context, requestID string) (views.InvokeForm, *lambdadeck.Invocation, error) {
	inv, sizes, err := s.store.InvocationHead(ctx, requestID, views.HeadBytes)
	if err != nil {
		return views.InvokeForm{}, nil, err
	}
	if sizes.Event <= views.HeadBytes {
		return formFromInvocation(inv), inv, nil
	}
	head := inv.Event
	inv.Event = nil // only its head was read
	form := formFromInvocation(inv)
	inv.Event = head
	form.Event, form.EventFrom, form.EventFromSize = "", inv.RequestID, int64(sizes.Event)
	return form, inv, nil
}

// fillEventFrom puts the stored event of the invocation a form names in
// event_from into its event field, when nothing was typed there; it
// reports the request id it took the event from ("" when none). An unknown
// invocation is EINVALID: the form, not the URL, named it.
func (s *Server) fillEventFrom(ctx context.Context, values url.Values) (string, error) {
	from := strings.TrimSpace(values.Get(fieldEventFrom))
	if from == "" || strings.TrimSpace(values.Get(fieldEvent)) != "" {
		return "", nil
	}
	var event bytes.Buffer
	if _, err := s.store.CopyInvocationPart(ctx, &event, from, store.PartEvent); err != nil {
		if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND {
			return "", lambdadeck.Errorf(lambdadeck.EINVALID, "the event was to come from invocation %s, which is not in the history (any more)", from)
		}
		return "", err
	}
	values.Set(fieldEvent, event.String())
	return from, nil
}

// formFromInvocation prefills the invoke form with what an invocation was
// run with.
func formFromInvocation(inv *lambdadeck.Invocation) views.InvokeForm {
	form := views.InvokeForm{Event: string(inv.Event), Env: envLines(inv.EnvOverrides)}
	if pretty, ok := views.PrettyJSON(inv.Event); ok {
		form.Event = pretty
	}
	if len(inv.ClientContext) > 0 && string(inv.ClientContext) != "null" {
		form.ClientContext = string(inv.ClientContext)
	}
	var identity lambdadeck.CognitoIdentity
	if len(inv.Identity) > 0 && json.Unmarshal(inv.Identity, &identity) == nil {
		form.CognitoIdentityID = identity.CognitoIdentityID
		form.CognitoIdentityPool = identity.CognitoIdentityPoolID
	}
	return form
}

// maskedEnv lists environment variables by name, with the values of
// secret-looking names replaced so they never reach a page.
func maskedEnv(env map[string]string) []views.EnvVar {
	vars := make([]views.EnvVar, 0, len(env))
	for name, value := range env {
		v := views.EnvVar{Name: name, Value: value}
		if isSecretName(name) {
			v.Value, v.Masked = "••••••", true
		}
		vars = append(vars, v)
	}
	slices.SortFunc(vars, func(a, b views.EnvVar) int { return strings.Compare(a.Name, b.Name) })
	return vars
}

// isSecretName reports whether an environment variable's name suggests a
// secret value.
func isSecretName(name string) bool {
	upper := strings.ToUpper(name)
	for _, word := range [...]string{"KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL", "PRIVATE"} {
		if strings.Contains(upper, word) {
			return true
		}
	}
	return false
}
