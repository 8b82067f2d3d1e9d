package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck/store"
)

// TestOverridesAllowListOnSave: the fixture form and the invoke form refuse
// overrides off the allow-list with the invoker's message, and save or run
// nothing; a shared fixture's overrides must suit every function.
func TestOverridesAllowListOnSave(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		path string
		form url.Values
		want string
	}{
		{"/fixtures", url.Values{"name": {"a"}, "function": {"hello"}, "event": {"{}"}, "env": {"PYTHONWARNINGS=all:0:antigravity.x:0:0\nBROWSER=touch /tmp/x"}},
			"BROWSER changes what code runs and can only be set in the template"},
		{"/fixtures", url.Values{"name": {"b"}, "function": {"hello"}, "event": {"{}"}, "env": {"NOT_IN_TEMPLATE=1"}},
			"NOT_IN_TEMPLATE cannot be overridden for function hello"},
		{"/fixtures", url.Values{"name": {"c"}, "function": {""}, "event": {"{}"}, "env": {"STAGE=x"}},
			"a shared fixture runs with any function: STAGE cannot be overridden for function other"},
		{"/functions/hello/invoke", url.Values{"event": {"{}"}, "env": {"SHELLOPTS=xtrace\nPS4=$(touch /tmp/x)"}},
			"PS4 changes what code runs"},
	}
	for _, tc := range cases {
		r := e.postForm(t, tc.path, tc.form, true)
		if r.status < 400 || r.status >= 500 || !strings.Contains(r.body, tc.want) {
			t.Errorf("POST %s %v: %d, want the message %q\n%s", tc.path, tc.form, r.status, tc.want, truncate(r.body, 500))
		}
	}
	if list, err := e.db.ListFixtures(context.Background(), store.FixtureFilter{}); err != nil || len(list) != 0 {
		t.Errorf("saved %d fixtures (%v)", len(list), err)
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran", n)
	}
	// Allowed: the function's own variables and the log settings.
	r := e.postForm(t, "/fixtures", url.Values{"name": {"ok"}, "function": {"hello"}, "event": {"{}"},
		"env": {"STAGE=prod\nAWS_LAMBDA_LOG_LEVEL=DEBUG"}}, false)
	mustStatus(t, r, http.StatusSeeOther)
}
