package apigw

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// loadTable builds the routes of the web tests' template.
func loadTable(t *testing.T) *Table {
	t.Helper()
	tpl, err := sam.Load(filepath.Join("..", "..", "web", "testdata", "frontdoor", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return Build(tpl.HTTP, tpl.Functions)
}

// TestBuildWarnsAndServesTheRest checks that a clash, an invalid path and
// an unknown RestApiId are each a warning naming the event, while every
// other route is served.
func TestBuildWarnsAndServesTheRest(t *testing.T) {
	tb := loadTable(t)
	want := []string{
		"EchoFunction: event BadPath: the path \"users\" does not start with /",
		"EchoFunction: event UserClash: the route GET /users/{userId} of ServerlessRestApi clashes with GET /users/{id} of ServerlessRestApi (EchoFunction, event RestUser)",
		"EchoFunction: event UnknownApi: RestApiId !Ref NoSuchApi is not an AWS::Serverless::Api in the template",
	}
	for _, w := range want {
		found := false
		for _, got := range tb.Warnings {
			found = found || strings.Contains(got, w)
		}
		if !found {
			t.Errorf("no warning %q in %q", w, tb.Warnings)
		}
	}
	if len(tb.Warnings) != len(want) {
		t.Errorf("warnings = %q, want only %d", tb.Warnings, len(want))
	}
	keys := map[string]bool{}
	for _, r := range tb.Routes {
		keys[r.API.ID+" "+r.Key()] = true
	}
	for _, k := range []string{
		"ServerlessRestApi GET /users/{id}", "ServerlessRestApi ANY /users/{proxy+}", "ServerlessRestApi POST /things",
		"Http GET /v2/items/{id}", "Http POST /v1/items", "AuthApi GET /secret", "ServerlessRestApi ANY /pyrest/{name}", "Http ANY /py/{name}",
		"EchoFunction ANY /{proxy+}", "StreamFunction ANY /{proxy+}",
	} {
		if !keys[k] {
			t.Errorf("route %s missing from %v", k, keys)
		}
	}
	if keys["ServerlessRestApi GET /users/{userId}"] || keys["ServerlessRestApi GET /nowhere"] {
		t.Error("a refused route is served")
	}
}

// TestLookupOrder checks API Gateway's matching order and its answers for
// no route.
func TestLookupOrder(t *testing.T) {
	tb := loadTable(t)
	cases := []struct {
		method, path, route string
		params              map[string]string
		status              int
	}{
		{"GET", "/users/7", "GET /users/{id}", map[string]string{"id": "7"}, 0},
		{"POST", "/users/7", "ANY /users/{proxy+}", map[string]string{"proxy": "7"}, 0},
		{"GET", "/users/7/orders/9", "ANY /users/{proxy+}", map[string]string{"proxy": "7/orders/9"}, 0},
		{"GET", "/v2/files/a/b.txt", "ANY /v2/files/{proxy+}", map[string]string{"proxy": "a/b.txt"}, 0},
		{"GET", "/v2/items/x", "GET /v2/items/{id}", map[string]string{"id": "x"}, 0},
		{"GET", "/_url/EchoFunction/any/path", "ANY /{proxy+}", nil, 0},
		{"GET", "/things", "", nil, 403},       // a REST path, another method
		{"GET", "/nothing/here", "", nil, 404}, // HTTP APIs exist: Not Found
		{"GET", "/_url/NoSuchFunction/", "", nil, 404},
	}
	for _, c := range cases {
		m, miss := tb.Lookup(c.method, c.path)
		if c.status != 0 {
			if miss == nil || miss.Status != c.status {
				t.Errorf("%s %s: got %+v, want status %d", c.method, c.path, miss, c.status)
			}
			continue
		}
		if miss != nil {
			t.Errorf("%s %s: no route (%d)", c.method, c.path, miss.Status)
			continue
		}
		if m.Route.Key() != c.route {
			t.Errorf("%s %s matched %s, want %s", c.method, c.path, m.Route.Key(), c.route)
		}
		if c.params != nil && !equalMaps(m.PathParams, c.params) {
			t.Errorf("%s %s: params %v, want %v", c.method, c.path, m.PathParams, c.params)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestParsePath checks the path rules API Gateway enforces.
func TestParsePath(t *testing.T) {
	for _, bad := range []string{"users", "/a//b", "/{proxy+}/x", "/{a}/{a}", "/a{b}", "/{bad name}"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted it", bad)
		}
	}
	for _, good := range []string{"/", "/a/", "/{id}", "/a/{b}/{proxy+}", "$default"} {
		if _, err := parsePath(good); err != nil {
			t.Errorf("parsePath(%q): %v", good, err)
		}
	}
}
