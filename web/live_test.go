package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// streamJS is a response streaming handler that writes, logs, waits, and
// writes again: the dashboard must show the first part while it waits.
const streamJS = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  console.log("first part");
  responseStream.write("one ");
  await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  console.log("second part");
  responseStream.write("two");
  responseStream.end();
});
`

// streamServer serves the streaming handler through the real invoker and
// store.
func streamServer(t *testing.T) (*httptest.Server, *store.DB) {
	t.Helper()
	return serveNodeFunction(t, streamJS, lambdadeck.Function{Name: "stream", Runtime: "nodejs20.x", Handler: "index.handler",
		Timeout: 20 * time.Second, MemoryMB: 256})
}

func TestLiveInvocationShowsStreamedChunksAsTheyArrive(t *testing.T) {
	ts, db := streamServer(t)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) string {
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	token := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(get("/functions/stream"))
	if token == nil {
		t.Fatal("no CSRF token")
	}
	invoke := func(event string) string {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/functions/stream/invoke",
			strings.NewReader(url.Values{"_csrf": {token[1]}, "event": {event}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("invoke: %d\n%s", resp.StatusCode, body)
		}
		return string(body)
	}

	// Warm an instance first, so the live check below does not depend on
	// how long a cold start takes on a busy machine.
	if warm := invoke(`{"waitMs": 0}`); !strings.Contains(warm, `data-status="succeeded"`) {
		t.Fatalf("warm-up did not succeed:\n%.3000s", warm)
	}

	// The handler waits 3 s between its two writes; the form answers after
	// about a second with a live panel showing the first write and log line.
	live := invoke(`{"waitMs": 3000}`)
	for _, want := range []string{`data-status="running"`, `data-polling`, "first part", "one ", `data-testid="chunks"`} {
		if !strings.Contains(live, want) {
			t.Errorf("live panel lacks %q:\n%.4000s", want, live)
		}
	}
	if strings.Contains(live, "second part") {
		t.Errorf("live panel shows output from after the wait")
	}
	requestID := regexp.MustCompile(`data-request-id="([^"]+)"`).FindStringSubmatch(live)
	if requestID == nil {
		t.Fatal("no request id in the live panel")
	}

	// The permalink follows it to the end: the whole response, two chunks.
	deadline := time.Now().Add(20 * time.Second)
	for {
		page := get("/invocations/" + requestID[1])
		if strings.Contains(page, `data-status="succeeded"`) {
			if !strings.Contains(page, "Streamed in 2 chunks") || !strings.Contains(page, "one two") || !strings.Contains(page, "second part") {
				t.Errorf("finished page:\n%.5000s", page)
			}
			break
		}
		if !strings.Contains(page, `http-equiv="refresh"`) {
			t.Errorf("a running invocation's page should refresh itself without JavaScript")
		}
		if time.Now().After(deadline) {
			t.Fatal("the invocation did not finish")
		}
		time.Sleep(200 * time.Millisecond)
	}
	stored, err := db.Invocation(context.Background(), requestID[1])
	if err != nil || len(stored.Chunks) != 2 || stored.Chunks[1].At < 2*time.Second {
		t.Errorf("stored chunks = %+v (%v)", stored.Chunks, err)
	}
}

// TestInvokeWithResponseStreamIsLive checks that the API sends each chunk a
// streaming handler writes as it arrives, not all at the end.
func TestInvokeWithResponseStreamIsLive(t *testing.T) {
	ts, _ := streamServer(t)

	client := newLambdaClient(ts.URL)
	out, err := client.InvokeWithResponseStream(context.Background(), &awslambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String("stream"),
		Payload:      []byte(`{"waitMs": 2000}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var chunks []string
	var arrived []time.Time
	completed := false
	for ev := range stream.Events() {
		switch ev := ev.(type) {
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			chunks = append(chunks, string(ev.Value.Payload))
			arrived = append(arrived, time.Now())
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			completed = aws.ToString(ev.Value.ErrorCode) == ""
			arrived = append(arrived, time.Now())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(chunks, "|") != "one |two" || !completed {
		t.Fatalf("chunks = %q, completed = %v", chunks, completed)
	}
	// The first chunk came while the handler was still waiting.
	if gap := arrived[1].Sub(arrived[0]); gap < time.Second {
		t.Errorf("the chunks arrived %v apart: the stream was buffered", gap)
	}
}

// TestLambdaAPIErrorsOnTheDashboardListener checks that API paths get AWS's
// error format on the dashboard's own listener too, for errors raised
// before any API handler runs (unknown operations, bodies over the cap).
func TestLambdaAPIErrorsOnTheDashboardListener(t *testing.T) {
	env := newTestEnv(t)
	cases := []struct {
		name, method, path string
		contentLength      int64
		status             int
		errorType          string
	}{
		{"unknown operation", http.MethodGet, "/2015-03-31/functions/hello/aliases", 0, http.StatusNotFound, "UnknownOperationException"},
		{"wrong method", http.MethodDelete, "/2015-03-31/functions/hello/invocations", 0, http.StatusNotFound, "UnknownOperationException"},
		{"huge body", http.MethodPost, "/2015-03-31/functions/hello/invocations", 100 << 20, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}"))
			if tc.contentLength > 0 {
				req.ContentLength = tc.contentLength
			}
			rec := httptest.NewRecorder()
			env.server.ServeHTTP(rec, req)
			if rec.Code != tc.status || rec.Header().Get("x-amzn-ErrorType") != tc.errorType ||
				!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Errorf("%d %q %q: %s", rec.Code, rec.Header().Get("x-amzn-ErrorType"), rec.Header().Get("Content-Type"), rec.Body.String())
			}
		})
	}
}
