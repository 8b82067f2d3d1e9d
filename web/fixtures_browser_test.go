package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFixtures drives the fixture workflow in headless Chromium
// against a real Node.js function: save the editor's event as a fixture,
// edit it, restore the first revision, load it with the picker and run it,
// asserting the result panel each time. Any console error (a CSP violation,
// an htmx target that is missing) fails the test.
func TestBrowserFixtures(t *testing.T) {
	ctx := newBrowser(t)
	ts, _ := liveServer(t)

	b := watchBrowser(t, ctx)
	step, read, byID := b.step, b.read, testIDSelector

	step("type an event on the function page",
		chromedp.Navigate(ts.URL+"/functions/hello"),
		chromedp.WaitVisible(chromedp.CSS(byID("invoke-form"))),
		chromedp.WaitVisible(chromedp.CSS(byID("format"))), // app.js ran
		chromedp.SetValue(chromedp.CSS("#event"), `{"name":"Ada"}`),
	)
	step("Save as fixture opens the form in the result panel",
		chromedp.Click(chromedp.CSS(byID("save-as-fixture"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("fixture-form"))),
	)
	if loc := read("location", chromedp.Location()); loc != ts.URL+"/functions/hello" {
		t.Errorf("Save as fixture navigated to %s; htmx should swap the form in place", loc)
	}
	if got := read("prefilled event", chromedp.Value(chromedp.CSS(`#result `+byID("fixture-event")))); got != "{\n  \"name\": \"Ada\"\n}" {
		t.Errorf("the fixture form's event is %q", got)
	}
	step("name and save it",
		chromedp.SetValue(chromedp.CSS(`#result `+byID("fixture-name")), "greet ada"),
		chromedp.SetValue(chromedp.CSS(`#result `+byID("fixture-author")), "Ada"),
		chromedp.Click(chromedp.CSS(`#result `+byID("fixture-save"))),
		chromedp.WaitVisible(chromedp.CSS(byID("fixture-title"))),
	)
	fixturePage := read("location", chromedp.Location())
	if !strings.HasPrefix(fixturePage, ts.URL+"/fixtures/") {
		t.Fatalf("saving went to %s", fixturePage)
	}
	if got := read("title", chromedp.Text(chromedp.CSS(byID("fixture-title")))); got != "greet ada" {
		t.Errorf("fixture title %q", got)
	}

	step("edit the event",
		chromedp.Click(chromedp.CSS(byID("fixture-edit"))),
		chromedp.WaitVisible(chromedp.CSS(byID("fixture-form"))),
		chromedp.SetValue(chromedp.CSS(byID("fixture-event")), `{"name": "Grace"}`),
		chromedp.Click(chromedp.CSS(byID("fixture-save"))),
		chromedp.WaitVisible(chromedp.CSS(byID("revision-diff"))),
	)
	if got := read("revision line", chromedp.Text(chromedp.CSS(byID("fixture-revision")))); got != "revision 2 by Ada" {
		t.Errorf("after the edit: %q", got)
	}
	if got := read("diff", chromedp.Text(chromedp.CSS(byID("diff-added")))); got != `+   "name": "Grace"` {
		t.Errorf("added line %q", got)
	}

	step("restore revision 1",
		chromedp.Click(chromedp.CSS(`[data-revision="1"] `+byID("revision-restore"))),
		chromedp.WaitVisible(chromedp.CSS(`[data-revision="3"]`)),
	)
	if got := read("event", chromedp.Text(chromedp.CSS(byID("fixture-event")))); !strings.Contains(got, `"name": "Ada"`) {
		t.Errorf("after restoring revision 1 the event is %q", got)
	}

	step("run it",
		chromedp.Click(chromedp.CSS(byID("fixture-run"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("report-duration"))),
	)
	if loc := read("location", chromedp.Location()); loc != fixturePage {
		t.Errorf("Run navigated to %s; htmx should swap in place", loc)
	}
	if got := read("response", chromedp.Text(chromedp.CSS(`#result `+byID("response")))); !strings.Contains(got, `"message": "Hello, Ada!"`) {
		t.Errorf("response %q", got)
	}
	if got := read("status", chromedp.Text(chromedp.CSS(`#result `+byID("status-badge")))); got != "succeeded" {
		t.Errorf("status %q", got)
	}

	// Back on the function page, the picker loads the fixture into the
	// editor and runs it.
	step("load with the picker",
		chromedp.Navigate(ts.URL+"/functions/hello"),
		chromedp.WaitVisible(chromedp.CSS(byID("fixture-picker-select"))),
		chromedp.SetValue(chromedp.CSS("#event"), `{}`),
		chromedp.Click(chromedp.CSS(byID("fixture-load"))),
		func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](`document.getElementById("event").value.includes("Ada")`)(ctx, t)
			return chromedp.Void{}, err
		},
	)
	step("run with the picker",
		chromedp.Click(chromedp.CSS(byID("fixture-picker-run"))),
		chromedp.WaitVisible(chromedp.CSS(`#result `+byID("report-duration"))),
		chromedp.WaitVisible(chromedp.CSS(`#recent-invocations `+byID("invocation-row"))),
	)
	if got := read("picker response", chromedp.Text(chromedp.CSS(`#result `+byID("response")))); !strings.Contains(got, `"message": "Hello, Ada!"`) {
		t.Errorf("picker run response %q", got)
	}

	b.checkConsole()
}
