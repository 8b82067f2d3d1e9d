package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/events"
	"github.com/lambdadeck/lambdadeck/views"
)

// maxEventInURL is the largest rendered event that "Use with function"
// carries to the function page in a redirect to ?event=. A larger one
// (an SQS batch of 100 messages is 64 KB) would make a URL that proxies and
// servers refuse, so the function page is rendered in place instead.
const maxEventInURL = 6 << 10

// fieldCarriedFunction is the query parameter that remembers, through the
// gallery's links, the function the user came from. No event template has a
// parameter of that name (TestNoTemplateParamIsReserved).
const fieldCarriedFunction = "function"

// csrfCookieName is the cookie the CSRF middleware keeps its token in
// (middleware.go's CookieName).
const csrfCookieName = "_csrf"

// eventGallery lists every event template grouped by service. ?q= keeps the
// events whose service, name or descriptions contain every word of it.
func (s *Server) eventGallery(c echo.Context) error {
	query := strings.TrimSpace(c.QueryParam("q"))
	gallery := views.EventGallery{
		Page:     s.page(c, "Event templates", "templates"),
		Query:    query,
		Function: s.carriedFunction(c),
	}
	words := strings.Fields(strings.ToLower(query))
	for _, svc := range events.Services() {
		group := views.EventGalleryService{Name: svc.Name, Description: svc.Description}
		for _, t := range svc.Events {
			gallery.Total++
			if containsAllWords(words, svc.Name, svc.Description, t.Name, t.Description) {
				group.Events = append(group.Events, views.EventGalleryItem{Name: t.Name, Description: t.Description, Params: len(t.Params)})
			}
		}
		if len(group.Events) > 0 {
			gallery.Services = append(gallery.Services, group)
			gallery.Shown += len(group.Events)
		}
	}
	return render(c, http.StatusOK, views.EventGalleryPage(gallery))
}

// containsAllWords reports whether every word (lower case) occurs in one of
// fields, so "s3 put" finds the S3 put event though no field has both.
func containsAllWords(words []string, fields ...string) bool {
	haystack := strings.ToLower(strings.Join(fields, "\n"))
	for _, w := range words {
		if !strings.Contains(haystack, w) {
			return false
		}
	}
	return true
}

// carriedFunction returns ?function= when it names a configured function,
// else "": a stale name must not break the gallery, it is just forgotten.
func (s *Server) carriedFunction(c echo.Context) string {
	name := c.QueryParam(fieldCarriedFunction)
	if name == "" {
		return ""
	}
	if _, err := s.invoker.Function(name); err != nil {
		return ""
	}
	return name
}

// eventTemplatePage shows one template with its parameters as a GET form
// (?param=value fills them) and the event rendered with them. Values the
// template refuses (a count out of range, a parameter it does not have) are
// a 400 page that shows why, with the form to correct them.
func (s *Server) eventTemplatePage(c echo.Context) error {
	t, err := events.Lookup(c.Param("service"), c.Param("event"))
	if err != nil {
		return err
	}
	params := templateParams(c.QueryParams())
	function := s.carriedFunction(c)
	p := views.EventTemplatePage{
		Page:               s.page(c, t.Service+" "+t.Name, "templates"),
		Service:            t.Service,
		ServiceDescription: serviceDescription(t.Service),
		Name:               t.Name,
		Description:        t.Description,
		Function:           function,
		Params:             paramFields(t, params),
		Functions:          runnableFunctionNames(s.invoker.Functions()),
	}
	status := http.StatusOK
	event, err := t.Render(params)
	switch {
	case lambdadeck.ErrorCode(err) == lambdadeck.EINVALID:
		status, p.Error = describeError(err)
	case err != nil:
		return err
	default:
		p.Event = string(event)
		if function != "" && len(event) <= maxEventInURL {
			p.OpenURL = functionEventURL(function, event)
		}
	}
	return render(c, status, views.EventTemplateDetail(p))
}

// useEventTemplate is "Use with function": it renders the template with
// the parameters in the query and opens ?function='s page with the event in
// its editor. The form carries parameters, not the event, so its URL stays
// short; the redirect carries the event when it is small enough, as the
// function page's own links do. A larger event is handed to the function
// page inside the server, where no URL limit applies.
func (s *Server) useEventTemplate(c echo.Context) error {
	t, err := events.Lookup(c.Param("service"), c.Param("event"))
	if err != nil {
		return err
	}
	name := c.QueryParam(fieldCarriedFunction)
	if name == "" {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "choose a function to use the event with")
	}
	fn, err := s.invoker.Function(name)
	if err != nil {
		return err
	}
	event, err := t.Render(templateParams(c.QueryParams()))
	if err != nil {
		return err
	}
	target := functionEventURL(fn.Name, event)
	if len(event) <= maxEventInURL {
		return c.Redirect(http.StatusSeeOther, target)
	}
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	// The same request, at the function page's URL, runs through the whole
	// router, middleware included. It carries the CSRF token this request
	// was given, so the page's forms and the cookie agree even on a first
	// visit (when the browser had no cookie yet).
	inner := c.Request().Clone(c.Request().Context())
	inner.URL, inner.RequestURI = u, target
	if _, err := inner.Cookie(csrfCookieName); err != nil {
		if token, ok := c.Get(csrfContextKey).(string); ok {
			inner.AddCookie(&http.Cookie{Name: csrfCookieName, Value: token})
		}
	}
	s.echo.ServeHTTP(c.Response(), inner)
	return nil
}

// templateParams reads an event template's parameters from a query: every
// parameter but the carried function, first value of each.
func templateParams(query url.Values) map[string]string {
	params := make(map[string]string, len(query))
	for name, values := range query {
		if name != fieldCarriedFunction && len(values) > 0 {
			params[name] = values[0]
		}
	}
	return params
}

// paramFields lists t's parameters as form fields, each with the submitted
// value or else its default.
func paramFields(t events.Template, params map[string]string) []views.EventTemplateParam {
	fields := make([]views.EventTemplateParam, len(t.Params))
	for i, p := range t.Params {
		value, ok := params[p.Name]
		if !ok {
			value = p.Default
		}
		fields[i] = views.EventTemplateParam{
			Name:        p.Name,
			Value:       value,
			Default:     p.Default,
			Description: p.Description,
			Kind:        paramKind(p.Kind),
			Min:         events.MinCount,
			Max:         events.MaxCount,
			Encoding:    p.Encoding,
		}
	}
	return fields
}

// paramKind names a parameter kind for the form.
func paramKind(k events.ParamKind) string {
	switch k {
	case events.KindInt:
		return "int"
	case events.KindJSON:
		return "json"
	}
	return "string"
}

// serviceDescription is the AWS name of a service, e.g. Amazon S3.
func serviceDescription(service string) string {
	svc, err := events.LookupService(service)
	if err != nil {
		return ""
	}
	return svc.Description
}

// runnableFunctionNames lists, by name, the functions that can run here.
func runnableFunctionNames(functions []lambdadeck.Function) []string {
	var names []string
	for _, fn := range sortedFunctions(functions) {
		if fn.Runnable() {
			names = append(names, fn.Name)
		}
	}
	return names
}

// functionEventURL is the function page with event in its editor.
func functionEventURL(function string, event []byte) string {
	return "/functions/" + url.PathEscape(function) + "?event=" + url.QueryEscape(string(bytes.TrimSpace(event)))
}
