package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/lambdadeck/lambdadeck/invoker/events"
)

// galleryRows returns "service/event" of every row the gallery lists.
func galleryRows(t *testing.T, body string) []string {
	t.Helper()
	var rows []string
	for _, row := range byTestID(parseHTML(t, body), "template-row") {
		rows = append(rows, attr(row, "data-service")+"/"+attr(row, "data-event"))
	}
	return rows
}

func TestEventGalleryListsEveryTemplate(t *testing.T) {
	env := newTestEnv(t)
	r := env.get(t, "/templates")
	mustStatus(t, r, http.StatusOK)

	var want []string
	for _, svc := range events.Services() {
		for _, ev := range svc.Events {
			want = append(want, svc.Name+"/"+ev.Name)
		}
	}
	if len(want) != 83 {
		t.Fatalf("the events package has %d templates, this test expects 83", len(want))
	}
	if got := galleryRows(t, r.body); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the gallery lists %d events:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
	doc := parseHTML(t, r.body)
	services := len(events.Services())
	if got, want := text(oneByTestID(t, doc, "template-count")), fmt.Sprintf("83 events from %d services", services); got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	if got := len(byTestID(doc, "template-service")); got != services {
		t.Errorf("%d service groups, want %d", got, services)
	}
	if attr(oneByTestID(t, doc, "nav-templates"), "aria-current") != "page" {
		t.Error("the Templates nav link is not marked current")
	}
	for _, link := range byTestID(doc, "template-link") {
		if target := attr(link, "href"); !strings.HasPrefix(target, "/templates/") || strings.Contains(target, "function=") {
			t.Errorf("template link %q", target)
		}
	}
}

func TestEventGalleryFilter(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		query   string
		include []string
		exclude []string
		count   int // -1: do not check
	}{
		{query: "s3 put", include: []string{"s3/put"}, exclude: []string{"s3/delete", "sqs/receive-message"}, count: -1},
		{query: "sqs", include: []string{"sqs/receive-message", "sqs/receive-message-batch"}, exclude: []string{"s3/put"}, count: 2},
		{query: "Amazon SQS", include: []string{"sqs/receive-message"}, count: 2},
		{query: "COGNITO", include: []string{"cognito/sync-trigger", "cognito-user-pool/pre-signup"}, exclude: []string{"s3/put"}, count: -1},
		{query: "gzip", include: []string{"cloudwatch/logs", "kinesis/analytics-compressed"}, exclude: []string{"s3/put"}, count: -1},
		{query: "no-such-thing", count: 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := env.get(t, "/templates?q="+url.QueryEscape(tt.query))
			mustStatus(t, r, http.StatusOK)
			rows := galleryRows(t, r.body)
			has := map[string]bool{}
			for _, row := range rows {
				has[row] = true
			}
			for _, want := range tt.include {
				if !has[want] {
					t.Errorf("%q does not list %s; got %v", tt.query, want, rows)
				}
			}
			for _, unwanted := range tt.exclude {
				if has[unwanted] {
					t.Errorf("%q lists %s", tt.query, unwanted)
				}
			}
			if tt.count >= 0 && len(rows) != tt.count {
				t.Errorf("%q lists %d events, want %d: %v", tt.query, len(rows), tt.count, rows)
			}
			doc := parseHTML(t, r.body)
			if got := attr(oneByTestID(t, doc, "template-search"), "value"); got != tt.query {
				t.Errorf("search box keeps %q, want %q", got, tt.query)
			}
			if tt.count == 0 {
				oneByTestID(t, doc, "no-templates")
			}
		})
	}
}

func TestEventGalleryCarriesFunction(t *testing.T) {
	env := newTestEnv(t)
	functionPage := parseHTML(t, env.get(t, "/functions/hello").body)
	if got := attr(oneByTestID(t, functionPage, "start-from-template"), "href"); got != "/templates?function=hello" {
		t.Errorf("the function page's template link is %q", got)
	}

	doc := parseHTML(t, env.get(t, "/templates?function=hello&q=s3").body)
	if !strings.Contains(text(oneByTestID(t, doc, "template-function")), "hello") {
		t.Error("the gallery does not say which function it chooses for")
	}
	for _, link := range byTestID(doc, "template-link") {
		u, err := url.Parse(attr(link, "href"))
		if err != nil || u.Query().Get("function") != "hello" {
			t.Errorf("link %q does not carry function=hello", attr(link, "href"))
		}
	}
	form := oneByTestID(t, doc, "template-filter")
	if got := formValues(form).Get("function"); got != "hello" {
		t.Errorf("the filter form carries function=%q", got)
	}

	// An unknown function is forgotten, not an error.
	r := env.get(t, "/templates?function=nope")
	mustStatus(t, r, http.StatusOK)
	doc = parseHTML(t, r.body)
	if len(byTestID(doc, "template-function")) != 0 || strings.Contains(attr(byTestID(doc, "template-link")[0], "href"), "nope") {
		t.Error("an unknown function was carried")
	}
}

// renderedEvent returns the template page's event, decoded.
func renderedEvent(t *testing.T, doc *html.Node) map[string]any {
	t.Helper()
	raw := rawText(oneByTestID(t, doc, "rendered-event"))
	var event map[string]any
	if err := json.Unmarshal([]byte(raw), &event); err != nil {
		t.Fatalf("the rendered event is not JSON: %v\n%s", err, raw)
	}
	return event
}

// s3Object returns Records[0].s3 of an S3 event.
func s3Object(t *testing.T, event map[string]any) (bucket, key string) {
	t.Helper()
	records, _ := event["Records"].([]any)
	if len(records) == 0 {
		t.Fatalf("no Records in %v", event)
	}
	s3, _ := records[0].(map[string]any)["s3"].(map[string]any)
	bucket, _ = s3["bucket"].(map[string]any)["name"].(string)
	key, _ = s3["object"].(map[string]any)["key"].(string)
	return bucket, key
}

// paramInputs returns the template page's parameter fields by name.
func paramInputs(doc *html.Node) map[string]*html.Node {
	inputs := map[string]*html.Node{}
	for _, n := range byTestID(doc, "template-param") {
		inputs[attr(n, "data-param")] = n
	}
	return inputs
}

func TestEventTemplateDefaults(t *testing.T) {
	env := newTestEnv(t)
	r := env.get(t, "/templates/s3/put")
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)

	tpl, err := events.Lookup("s3", "put")
	if err != nil {
		t.Fatal(err)
	}
	want, err := tpl.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := rawText(oneByTestID(t, doc, "rendered-event")); got != string(want) {
		t.Errorf("rendered event:\n%s\nwant:\n%s", got, want)
	}
	if got := text(oneByTestID(t, doc, "template-title")); got != "s3 put" {
		t.Errorf("title %q", got)
	}
	if got := text(oneByTestID(t, doc, "template-description")); got != tpl.Description {
		t.Errorf("description %q", got)
	}
	inputs := paramInputs(doc)
	if len(inputs) != len(tpl.Params) {
		t.Fatalf("%d parameter fields, want %d", len(inputs), len(tpl.Params))
	}
	for _, p := range tpl.Params {
		input := inputs[p.Name]
		if input == nil {
			t.Errorf("no field for %s", p.Name)
			continue
		}
		if attr(input, "name") != p.Name || attr(input, "value") != p.Default {
			t.Errorf("field %s: name %q value %q, want the default %q", p.Name, attr(input, "name"), attr(input, "value"), p.Default)
		}
	}
	if got := strings.Count(r.body, "URL-encoded"); got != 1 {
		t.Errorf("the key's help text says URL-encoded %d times, want once", got)
	}
	if !strings.Contains(env.get(t, "/templates/cloudwatch/logs").body, "gzipped and base64-encoded in the event") {
		t.Error("the log message's help text does not say how it is encoded")
	}
}

// TestEventTemplatePagesRender opens every template's page: each answers
// 200 with a JSON event and one field per parameter.
func TestEventTemplatePagesRender(t *testing.T) {
	env := newTestEnv(t)
	for _, svc := range events.Services() {
		for _, tpl := range svc.Events {
			r := env.get(t, "/templates/"+svc.Name+"/"+tpl.Name)
			if r.status != http.StatusOK {
				t.Errorf("%s %s: status %d", svc.Name, tpl.Name, r.status)
				continue
			}
			doc := parseHTML(t, r.body)
			if !json.Valid([]byte(rawText(oneByTestID(t, doc, "rendered-event")))) {
				t.Errorf("%s %s: the event is not JSON", svc.Name, tpl.Name)
			}
			if got := len(byTestID(doc, "template-param")); got != len(tpl.Params) {
				t.Errorf("%s %s: %d fields, want %d", svc.Name, tpl.Name, got, len(tpl.Params))
			}
		}
	}
}

func TestEventTemplateParams(t *testing.T) {
	env := newTestEnv(t)
	r := env.get(t, "/templates/s3/put?bucket=my-photos&key="+url.QueryEscape("2024/cat picture.jpg"))
	mustStatus(t, r, http.StatusOK)
	doc := parseHTML(t, r.body)
	bucket, key := s3Object(t, renderedEvent(t, doc))
	if bucket != "my-photos" || key != "2024/cat+picture.jpg" {
		t.Errorf("bucket %q key %q, want my-photos and the S3-encoded 2024/cat+picture.jpg", bucket, key)
	}
	inputs := paramInputs(doc)
	if attr(inputs["bucket"], "value") != "my-photos" || attr(inputs["key"], "value") != "2024/cat picture.jpg" {
		t.Errorf("fields keep bucket %q key %q", attr(inputs["bucket"], "value"), attr(inputs["key"], "value"))
	}
	if attr(inputs["region"], "value") != "us-east-1" {
		t.Errorf("an unset parameter shows %q, not its default", attr(inputs["region"], "value"))
	}

	// The form submits to the same page: its fields are the parameters.
	form := oneByTestID(t, doc, "template-params")
	if attr(form, "method") != "get" || attr(form, "action") != "/templates/s3/put" {
		t.Errorf("parameter form %s %s", attr(form, "method"), attr(form, "action"))
	}
	values := formValues(form)
	values.Set("bucket", "resubmitted")
	doc = parseHTML(t, env.get(t, attr(form, "action")+"?"+values.Encode()).body)
	if bucket, _ := s3Object(t, renderedEvent(t, doc)); bucket != "resubmitted" {
		t.Errorf("resubmitted bucket %q", bucket)
	}

	// A count and a JSON document.
	doc = parseHTML(t, env.get(t, "/templates/sqs/receive-message-batch?count=7").body)
	if records, _ := renderedEvent(t, doc)["Records"].([]any); len(records) != 7 {
		t.Errorf("count=7 gave %d records", len(records))
	}
	doc = parseHTML(t, env.get(t, "/templates/eventbridge/custom-event?detail="+url.QueryEscape(`{"orderId": 42}`)).body)
	if detail, _ := renderedEvent(t, doc)["detail"].(map[string]any); detail["orderId"] != 42.0 {
		t.Errorf("detail %v", detail)
	}
}

func TestEventTemplateEscapesHostileValues(t *testing.T) {
	env := newTestEnv(t)
	const hostile = `</pre><script>alert(1)</script>"quoted"`
	r := env.get(t, "/templates/s3/put?bucket="+url.QueryEscape(hostile)+"&function=hello")
	mustStatus(t, r, http.StatusOK)
	if strings.Contains(r.body, "<script>alert(1)") {
		t.Fatal("the value reached the page unescaped")
	}
	doc := parseHTML(t, r.body)
	if bucket, _ := s3Object(t, renderedEvent(t, doc)); bucket != hostile {
		t.Errorf("bucket %q, want the value as typed", bucket)
	}
	if got := attr(paramInputs(doc)["bucket"], "value"); got != hostile {
		t.Errorf("field value %q", got)
	}
	// The hidden copies (Use with function, Save as fixture) hold it intact.
	if got := formValues(oneByTestID(t, doc, "use-template")).Get("bucket"); got != hostile {
		t.Errorf("use form carries %q", got)
	}
	var saved map[string]any
	if err := json.Unmarshal([]byte(formValues(oneByTestID(t, doc, "template-save-fixture")).Get("event")), &saved); err != nil {
		t.Fatalf("save form's event: %v", err)
	}
	if bucket, _ := s3Object(t, saved); bucket != hostile {
		t.Errorf("save form's bucket %q", bucket)
	}
}

func TestEventTemplateRefusesBadValues(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		target  string
		message string
		field   string // a field that keeps the refused value
		value   string
	}{
		{"/templates/sqs/receive-message-batch?count=1000", "want a whole number from 1 to 100", "count", "1000"},
		{"/templates/sqs/receive-message-batch?count=many", "want a whole number", "count", "many"},
		{"/templates/eventbridge/custom-event?detail=" + url.QueryEscape("{not json"), "want a JSON document", "detail", "{not json"},
		{"/templates/s3/put?colour=red", `has no parameter "colour"; known: region`, "bucket", "example-bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := env.get(t, tt.target)
			mustStatus(t, r, http.StatusBadRequest)
			doc := parseHTML(t, r.body)
			if got := text(oneByTestID(t, doc, "template-error")); !strings.Contains(got, tt.message) {
				t.Errorf("error %q, want it to contain %q", got, tt.message)
			}
			if len(byTestID(doc, "rendered-event")) != 0 || len(byTestID(doc, "use-template")) != 0 {
				t.Error("a refused page still offers an event")
			}
			field := paramInputs(doc)[tt.field]
			value := attr(field, "value")
			if field != nil && field.Data == "textarea" {
				value = rawText(field)
			}
			if value != tt.value {
				t.Errorf("field %s keeps %q, want %q", tt.field, value, tt.value)
			}
		})
	}
}

func TestEventTemplateNotFound(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		target, want string
	}{
		{"/templates/s4/put", `unknown service "s4"; did you mean s3`},
		{"/templates/s3/pute", `unknown s3 event "pute"; did you mean put`},
		{"/templates/sqs/nothing-like-it", "sqs has: receive-message, receive-message-batch"},
		{"/templates/s4/put/use?function=hello", `unknown service "s4"`},
	}
	for _, tt := range tests {
		r := env.get(t, tt.target)
		mustStatus(t, r, http.StatusNotFound)
		if got := text(oneByTestID(t, parseHTML(t, r.body), "error-text")); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to contain %q", tt.target, got, tt.want)
		}
	}
}

// formValues is what a browser submits for a form: named inputs, textareas
// and the selected option of each select.
func formValues(form *html.Node) url.Values {
	values := url.Values{}
	for _, n := range findAll(form, func(n *html.Node) bool { return attr(n, "name") != "" }) {
		switch n.Data {
		case "input":
			values.Add(attr(n, "name"), attr(n, "value"))
		case "textarea":
			values.Add(attr(n, "name"), rawText(n))
		case "select":
			options := findAll(n, func(o *html.Node) bool { return o.Data == "option" })
			for i, o := range options {
				if hasAttr(o, "selected") || (i == 0 && !anySelected(options)) {
					values.Add(attr(n, "name"), attr(o, "value"))
				}
			}
		}
	}
	return values
}

func anySelected(options []*html.Node) bool {
	for _, o := range options {
		if hasAttr(o, "selected") {
			return true
		}
	}
	return false
}

// editorEvent opens a function page and returns its editor's event.
func editorEvent(t *testing.T, env *testEnv, target string) map[string]any {
	t.Helper()
	r := env.get(t, target)
	mustStatus(t, r, http.StatusOK)
	raw := rawText(oneByTestID(t, parseHTML(t, r.body), "event"))
	var event map[string]any
	if err := json.Unmarshal([]byte(raw), &event); err != nil {
		t.Fatalf("the editor's event is not JSON: %v\n%s", err, raw)
	}
	return event
}

func TestUseEventTemplateWithFunction(t *testing.T) {
	env := newTestEnv(t)
	doc := parseHTML(t, env.get(t, "/templates/s3/put?function=other&bucket=uploads").body)

	// The select offers the runnable functions, the carried one chosen.
	var options []string
	for _, o := range findAll(oneByTestID(t, doc, "use-function"), func(n *html.Node) bool { return n.Data == "option" }) {
		options = append(options, attr(o, "value"))
		if hasAttr(o, "selected") != (attr(o, "value") == "other") {
			t.Errorf("option %s selected=%v", attr(o, "value"), hasAttr(o, "selected"))
		}
	}
	if strings.Join(options, ",") != "hello,other" {
		t.Errorf("functions offered: %v (imagefn cannot run)", options)
	}

	// The direct link opens the function page with the event in its editor.
	link := attr(oneByTestID(t, doc, "open-in-function"), "href")
	if !strings.HasPrefix(link, "/functions/other?event=") {
		t.Fatalf("open link %q", link)
	}
	if bucket, _ := s3Object(t, editorEvent(t, env, link)); bucket != "uploads" {
		t.Errorf("the editor has bucket %q", bucket)
	}

	// The form, with another function chosen, redirects there.
	form := oneByTestID(t, doc, "use-template")
	values := formValues(form)
	if values.Get("bucket") != "uploads" || values.Get("function") != "other" {
		t.Fatalf("use form values %v", values)
	}
	values.Set("function", "hello")
	r := env.get(t, attr(form, "action")+"?"+values.Encode())
	mustStatus(t, r, http.StatusSeeOther)
	location := r.header.Get("Location")
	if !strings.HasPrefix(location, "/functions/hello?event=") {
		t.Fatalf("redirect to %q", location)
	}
	if bucket, _ := s3Object(t, editorEvent(t, env, location)); bucket != "uploads" {
		t.Errorf("the editor has bucket %q", bucket)
	}

	// Without a carried function there is no direct link, only the form.
	doc = parseHTML(t, env.get(t, "/templates/s3/put").body)
	if len(byTestID(doc, "open-in-function")) != 0 {
		t.Error("a direct link without a function")
	}

	mustStatus(t, env.get(t, "/templates/s3/put/use"), http.StatusBadRequest)
	mustStatus(t, env.get(t, "/templates/s3/put/use?function=nope"), http.StatusNotFound)
	mustStatus(t, env.get(t, "/templates/s3/put/use?function=hello&colour=red"), http.StatusBadRequest)
}

// TestUseLargeEventTemplate: an event too large for a URL opens the
// function page in place, with the whole event in the editor.
func TestUseLargeEventTemplate(t *testing.T) {
	env := newTestEnv(t)
	doc := parseHTML(t, env.get(t, "/templates/sqs/receive-message-batch?function=hello&count=100").body)
	if len(byTestID(doc, "open-in-function")) != 0 {
		t.Error("a 64 KB event is offered as a link")
	}
	form := oneByTestID(t, doc, "use-template")
	target := attr(form, "action") + "?" + formValues(form).Encode()
	if len(target) > 1000 {
		t.Errorf("the use URL is %d bytes: it should carry parameters, not the event", len(target))
	}
	// A first visit (no CSRF cookie yet): the page's forms and the cookie
	// must hold the same token, or the first Invoke would be refused.
	r := env.get(t, target)
	mustStatus(t, r, http.StatusOK)
	token := formValues(oneByTestID(t, parseHTML(t, r.body), "invoke-form")).Get("_csrf")
	cookies := (&http.Response{Header: r.header}).Cookies()
	if token == "" || len(cookies) == 0 {
		t.Fatalf("token %q, %d cookies", token, len(cookies))
	}
	for _, c := range cookies {
		if c.Name == csrfCookieName && c.Value != token {
			t.Errorf("cookie %s=%q, the form has %q", c.Name, c.Value, token)
		}
	}

	event := editorEvent(t, env, target)
	if records, _ := event["Records"].([]any); len(records) != 100 {
		t.Errorf("the editor has %d records, want 100", len(records))
	}
	page := parseHTML(t, env.get(t, target).body)
	if text(oneByTestID(t, page, "function-name")) != "hello" {
		t.Error("not the function page of hello")
	}
	if len(byTestID(page, "invoke-form")) != 1 {
		t.Error("the function page has no invoke form")
	}
}

func TestSaveEventTemplateAsFixture(t *testing.T) {
	env := newTestEnv(t)
	doc := parseHTML(t, env.get(t, "/templates/s3/put?function=hello&bucket=fixtures-bucket").body)
	form := oneByTestID(t, doc, "template-save-fixture")
	if attr(form, "method") != "post" {
		t.Errorf("save form method %q", attr(form, "method"))
	}
	values := formValues(form)
	if values.Get("_csrf") == "" {
		t.Error("the save form has no CSRF field")
	}
	values.Del("_csrf") // postForm sets a valid one
	r := env.postForm(t, attr(form, "action"), values, false)
	mustStatus(t, r, http.StatusOK)
	fixtureForm := parseHTML(t, r.body)
	var event map[string]any
	if err := json.Unmarshal([]byte(rawText(oneByTestID(t, fixtureForm, "fixture-event"))), &event); err != nil {
		t.Fatalf("fixture form event: %v", err)
	}
	if bucket, _ := s3Object(t, event); bucket != "fixtures-bucket" {
		t.Errorf("fixture form has bucket %q", bucket)
	}
	if got := formValues(oneByTestID(t, fixtureForm, "fixture-form")).Get("function"); got != "hello" {
		t.Errorf("fixture form function %q, want hello", got)
	}

	// Without a carried function the fixture starts out shared.
	doc = parseHTML(t, env.get(t, "/templates/sns/notification").body)
	form = oneByTestID(t, doc, "template-save-fixture")
	if attr(form, "action") != "/fixtures/new" {
		t.Errorf("save form action %q", attr(form, "action"))
	}
}

// TestNoTemplateParamIsReserved: the gallery's query parameter for the
// carried function must never shadow a template parameter.
func TestNoTemplateParamIsReserved(t *testing.T) {
	for _, svc := range events.Services() {
		for _, tpl := range svc.Events {
			if _, ok := tpl.Param(fieldCarriedFunction); ok {
				t.Errorf("%s %s has a parameter named %q", svc.Name, tpl.Name, fieldCarriedFunction)
			}
		}
	}
}

// TestBrowserEventTemplates drives the gallery in headless Chromium, from a
// function page to a real Node.js invocation: search, open a template, set a
// parameter, render, use it with the function, invoke. Any console error (a
// Content-Security-Policy violation) fails the test.
func TestBrowserEventTemplates(t *testing.T) {
	ctx := newBrowser(t)
	ts, _ := liveServer(t)
	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector

	step("start from a template on hello's page and search",
		chromedp.Navigate(ts.URL+"/functions/hello"),
		chromedp.Click(chromedp.CSS(byID("start-from-template"))),
		chromedp.WaitVisible(chromedp.CSS(byID("template-search"))),
		chromedp.SetValue(chromedp.CSS(byID("template-search")), "s3 put"),
		chromedp.Click(chromedp.CSS(byID("template-search-submit"))),
		// Wait for the results page itself: the gallery before the search
		// lists s3 put too, and reading it while it is replaced fails.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-search"][value="s3 put"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="template-row"][data-service="s3"][data-event="put"] a`)),
	)
	if got := read("count", chromedp.Text(chromedp.CSS(byID("template-count")))); !strings.HasSuffix(got, "events match") {
		t.Errorf("count after searching: %q", got)
	}
	step("open s3 put, set the bucket and render",
		chromedp.Click(chromedp.CSS(`[data-testid="template-row"][data-service="s3"][data-event="put"] a`)),
		chromedp.WaitVisible(chromedp.CSS(byID("rendered-event"))),
		chromedp.SetValue(chromedp.CSS(`#param-bucket`), "browser-bucket"),
		chromedp.Click(chromedp.CSS(byID("template-render"))),
		// The re-rendered page has the value in the input's attribute; the
		// old page, until it is replaced, only in its property.
		chromedp.WaitVisible(chromedp.CSS(`#param-bucket[value="browser-bucket"]`)),
		chromedp.WaitVisible(chromedp.CSS(byID("rendered-event"))),
	)
	if got := read("rendered event", chromedp.Text(chromedp.CSS(byID("rendered-event")))); !strings.Contains(got, `"name": "browser-bucket"`) {
		t.Errorf("rendered event:\n%s", got)
	}
	step("use it with hello",
		chromedp.Click(chromedp.CSS(byID("use-template-submit"))),
		chromedp.WaitVisible(chromedp.CSS(byID("invoke-form"))),
	)
	if loc := read("location", chromedp.Location()); !strings.HasPrefix(loc, ts.URL+"/functions/hello?event=") {
		t.Errorf("Use with function went to %s", loc)
	}
	if got := read("editor", chromedp.Value(chromedp.CSS("#event"))); !strings.Contains(got, `"name": "browser-bucket"`) {
		t.Errorf("the editor holds:\n%s", got)
	}
	step("invoke it",
		chromedp.Click(chromedp.CSS(byID("invoke"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("status-badge"))),
	)
	if got := read("status", chromedp.Text(chromedp.CSS(`#result `+byID("status-badge")))); got != "succeeded" {
		t.Errorf("status %q", got)
	}

	b.checkConsole()
}
