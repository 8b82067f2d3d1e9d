package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// TestHTTPExchange records a front door exchange with an invocation: the
// permalink's read has the texts, lists have the method, path and status,
// a second save replaces the first, and bad input is refused.
func TestHTTPExchange(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	inv := &lambdadeck.Invocation{RequestID: "req-http-1", Function: "api", Source: lambdadeck.SourceHTTP,
		Event: []byte(`{}`), StartedAt: time.Now()}
	if err := db.BeginInvocation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	other := &lambdadeck.Invocation{RequestID: "req-plain", Function: "api", Source: lambdadeck.SourceCLI, StartedAt: time.Now()}
	if err := db.BeginInvocation(ctx, other); err != nil {
		t.Fatal(err)
	}
	ex := lambdadeck.HTTPExchange{Method: "GET", Path: "/users/1?x=1", Route: "GET /users/{id}", API: "ServerlessRestApi",
		Status: 502, Request: "GET /users/1?x=1 HTTP/1.1\n\n", Response: "HTTP/1.1 502 Bad Gateway\n\n" + strings.Repeat("é", maxHTTPText)}
	if err := db.SaveHTTPExchange(ctx, inv.RequestID, ex); err != nil {
		t.Fatal(err)
	}
	ex.Status = 200
	if err := db.SaveHTTPExchange(ctx, inv.RequestID, ex); err != nil {
		t.Fatal(err)
	}
	got, err := db.Invocation(ctx, inv.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if got.HTTP == nil || got.HTTP.Status != 200 || got.HTTP.Route != "GET /users/{id}" || got.HTTP.Request != ex.Request {
		t.Fatalf("read back %+v", got.HTTP)
	}
	if len(got.HTTP.Response) > maxHTTPText+100 || !strings.Contains(got.HTTP.Response, "more bytes not kept") {
		t.Errorf("the response text is not bounded: %d bytes", len(got.HTTP.Response))
	}
	page, err := db.ListInvocations(ctx, InvocationFilter{Source: string(lambdadeck.SourceHTTP)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].HTTP == nil || page.Items[0].HTTP.Path != "/users/1?x=1" || page.Items[0].HTTP.Response != "" {
		t.Errorf("list: %+v", page.Items)
	}
	if plain, _ := db.Invocation(ctx, other.RequestID); plain.HTTP != nil {
		t.Error("an invocation without an exchange has one")
	}
	if err := db.SaveHTTPExchange(ctx, "no-such-request", ex); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("unknown request id: %v", err)
	}
	if err := db.SaveHTTPExchange(ctx, inv.RequestID, lambdadeck.HTTPExchange{Method: "GET", Status: 42}); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("status 42: %v", err)
	}
}
