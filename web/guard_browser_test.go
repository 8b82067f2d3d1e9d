package web

import (
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDNSRebinding plays a DNS rebinding attack in real Chromium:
// evil.test resolves to 127.0.0.1 (--host-resolver-rules), as an
// attacker's name does once rebound, so a script on http://evil.test:PORT
// is same-origin with lambdadeck's port. It must read nothing and run
// nothing, on the dashboard's listener and the API's; the same browser
// reaching 127.0.0.1 and localhost gets the real pages.
func TestBrowserDNSRebinding(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"))
	e := newTestEnv(t)
	dash := serveWired(t, e.server, e.server)
	api := serveWired(t, e.server, e.server.LambdaAPI())
	_, dashPort, _ := net.SplitHostPort(dash)
	_, apiPort, _ := net.SplitHostPort(api)

	b := watchBrowser(t, ctx, "421", "Misdirected")
	step, read := b.step, b.read

	step("open the attacker's page, rebound to lambdadeck", chromedp.Navigate("http://evil.test:"+dashPort+"/functions/hello"))
	if body := read("page text", chromedp.Evaluate[string](`document.body.innerText`)); !strings.Contains(body, "addressed to localhost") ||
		strings.Contains(body, "orders") || strings.Contains(body, "TABLE_NAME") {
		t.Errorf("the rebound page shows %q", body)
	}
	// The attacker's script: same-origin reads and writes.
	script := `(async () => {
	  const out = [];
	  for (const [method, path, body, type] of [
	    ["GET", "/", null, null],
	    ["GET", "/functions/hello", null, null],
	    ["GET", "/invocations", null, null],
	    ["GET", "/fixtures", null, null],
	    ["GET", "/healthz", null, null],
	    ["GET", "/2015-03-31/functions/", null, null],
	    ["POST", "/functions/hello/invoke", "event=%7B%7D", "application/x-www-form-urlencoded"],
	    ["POST", "/2015-03-31/functions/hello/invocations", "{}", "application/json"],
	  ]) {
	    const r = await fetch(path, {method, body, headers: type ? {"Content-Type": type} : {}});
	    out.push(method + " " + path + " " + r.status + " " + (await r.text()).replace(/\s+/g, " "));
	  }
	  return out.join("\n");
	})()`
	for _, line := range strings.Split(read("same-origin fetches", chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise)), "\n") {
		if !strings.Contains(line, " 421 ") || strings.Contains(line, "orders") || strings.Contains(line, "hello-") {
			t.Errorf("from evil.test: %s", line)
		}
	}
	step("open the API listener under the attacker's name", chromedp.Navigate("http://evil.test:"+apiPort+"/2015-03-31/functions/"))
	apiScript := `(async () => {
	  const r = await fetch("/2015-03-31/functions/hello/invocations", {method: "POST", body: "{}"});
	  const l = await fetch("/2015-03-31/functions/");
	  return r.status + " " + (await r.text()) + " | " + l.status + " " + (await l.text());
	})()`
	if got := read("API fetches", chromedp.Evaluate[string](apiScript, chromedp.EvalAwaitPromise)); strings.Count(got, "421 ") != 2 ||
		strings.Contains(got, "FunctionName") {
		t.Errorf("the API listener from evil.test: %s", got)
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran from evil.test", n)
	}

	// The owner's own browser keeps working, by address and by localhost.
	for _, base := range []string{"http://" + dash, "http://localhost:" + dashPort} {
		step("open "+base, chromedp.Navigate(base+"/functions/hello"), chromedp.WaitVisible(chromedp.CSS(testIDSelector("invoke-form"))))
	}
	b.checkConsole()
}
