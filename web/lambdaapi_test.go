package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithymiddleware "github.com/aws/smithy-go/middleware"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// apiHandlerJS is the Node.js code of the API tests' functions.
const apiHandlerJS = `const fs = require('fs');
exports.echo = async (event, context) => {
  console.log('echo got', JSON.stringify(event));
  return { event, clientContext: context.clientContext ?? null, functionName: context.functionName };
};
exports.fail = async () => { throw new Error('boom'); };
exports.hold = async () => {
  // Runs until the test creates the release file, so that the test decides
  // when the only instance becomes free again.
  while (!fs.existsSync(process.env.RELEASE_FILE)) await new Promise(r => setTimeout(r, 10));
  return { released: true };
};
`

// apiEnv is lambdadeck's server on a real store with the real invoker
// running real Node.js functions, and an AWS SDK client pointed at it.
type apiEnv struct {
	url         string
	server      *Server
	db          *store.DB
	client      *lambda.Client
	releaseFile string // creating it lets the "hold" function return
	dir         string // the test's folder: the database and the state
}

func requireNodeForAPI(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: the Lambda API tests run real Node.js functions")
	}
}

// newAPIEnv starts the server with three runnable functions (echo, fail,
// hold: concurrency 1 with a queue of 1) and one that cannot run.
func newAPIEnv(t testing.TB) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, nil)
}

// newAPIEnvWith is newAPIEnv with the server's configuration changed by
// configure (team mode, a logger) before it starts.
func newAPIEnvWith(t testing.TB, configure func(dir string, cfg *Config)) *apiEnv {
	t.Helper()
	requireNodeForAPI(t)
	ctx := context.Background()
	dir := t.TempDir()
	code := filepath.Join(dir, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "index.js"), []byte(apiHandlerJS), 0o644); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(dir, "release")
	node := func(name, handler string) lambdadeck.Function {
		return lambdadeck.Function{
			Name: name, Runtime: "nodejs20.x", Handler: handler, CodeDir: code,
			Timeout: 30 * time.Second, MemoryMB: 256, Concurrency: 2, Architecture: "x86_64",
			Description: "the " + name + " function", Environment: map[string]string{"RELEASE_FILE": release},
		}
	}
	hold := node("hold", "index.hold")
	hold.Concurrency = 1
	functions := []lambdadeck.Function{
		node("echo", "index.echo"),
		node("fail", "index.fail"),
		hold,
		{Name: "image", MemoryMB: 128, Timeout: 3 * time.Second, PackageType: "Image", NotRunnable: "PackageType Image is not supported"},
	}

	db, err := store.Open(ctx, filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	iv, err := invoker.New(invoker.Config{Functions: functions, Recorder: db, Queue: db, StateDir: filepath.Join(dir, "state"), QueueSize: 1})
	if err != nil {
		t.Fatalf("start invoker: %v", err)
	}
	cfg := Config{Invoker: iv, Store: db, Version: "test"}
	if configure != nil {
		configure(dir, &cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts := httptest.NewServer(srv)
	// Cleanups run last-in first-out: the server, then the invoker (which
	// waits for background invocations to be recorded), then the store.
	t.Cleanup(func() { db.Close() })
	t.Cleanup(func() { iv.Close() })
	t.Cleanup(ts.Close)
	return &apiEnv{url: ts.URL, server: srv, db: db, client: newLambdaClient(ts.URL), releaseFile: release, dir: dir}
}

// newLambdaClient is the real AWS SDK client, aimed at url, with static
// credentials and no retries (so a throttle or a 5xx is seen as it is).
func newLambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// requestIDOf is the x-amzn-RequestId the SDK read from the response.
func requestIDOf(t *testing.T, md smithymiddleware.Metadata) string {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	if !ok || id == "" {
		t.Fatal("the response has no x-amzn-RequestId")
	}
	return id
}

// storedInvocation reads an invocation back from the store.
func (e *apiEnv) storedInvocation(t *testing.T, requestID string) *lambdadeck.Invocation {
	t.Helper()
	inv, err := e.db.Invocation(context.Background(), requestID)
	if err != nil {
		t.Fatalf("invocation %s is not in the store: %v", requestID, err)
	}
	return inv
}

// awaitFinished polls the store until the invocation is finished.
func (e *apiEnv) awaitFinished(t *testing.T, requestID string) *lambdadeck.Invocation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		inv := e.storedInvocation(t, requestID)
		if inv.Status.Finished() {
			return inv
		}
		if time.Now().After(deadline) {
			t.Fatalf("invocation %s is still %s", requestID, inv.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *apiEnv) invocationCount(t *testing.T, function string) int {
	t.Helper()
	n, err := e.db.CountInvocations(context.Background(), store.InvocationFilter{Function: function})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// apiErrorFrom asserts err is an API error with the code and returns it.
func apiErrorFrom(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want an API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %q (%v), want %q", ae.ErrorCode(), err, code)
	}
	return ae
}

func TestLambdaAPIInvokeRequestResponse(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	clientContext := `{"custom":{"tenant":"acme"},"env":{"locale":"en"}}`
	out, err := env.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:  aws.String("echo"),
		Payload:       []byte(`{"order":42}`),
		LogType:       lambdatypes.LogTypeTail,
		ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(clientContext))),
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if out.StatusCode != http.StatusOK || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("status %d, function error %v, executed version %q", out.StatusCode, aws.ToString(out.FunctionError), aws.ToString(out.ExecutedVersion))
	}
	var got struct {
		Event         map[string]int
		ClientContext json.RawMessage
		FunctionName  string
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	if got.Event["order"] != 42 || got.FunctionName != "echo" {
		t.Errorf("payload = %s", out.Payload)
	}
	var wantCC, gotCC any
	_ = json.Unmarshal([]byte(clientContext), &wantCC)
	_ = json.Unmarshal(got.ClientContext, &gotCC)
	if !jsonEqual(wantCC, gotCC) {
		t.Errorf("the handler's context.clientContext = %s, want %s", got.ClientContext, clientContext)
	}

	id := requestIDOf(t, out.ResultMetadata)
	logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("X-Amz-Log-Result is not base64: %v", err)
	}
	for _, want := range []string{"START RequestId: " + id, "echo got {\"order\":42}", "END RequestId: " + id, "REPORT RequestId: " + id} {
		if !strings.Contains(string(logs), want) {
			t.Errorf("the log tail lacks %q:\n%s", want, logs)
		}
	}

	inv := env.storedInvocation(t, id)
	if inv.Source != lambdadeck.SourceAPI || !strings.Contains(inv.UserAgent, "aws-sdk-go-v2") {
		t.Errorf("stored source %q, user agent %q; want api and the SDK's user agent", inv.Source, inv.UserAgent)
	}
	if inv.Status != lambdadeck.StatusSucceeded || string(inv.Event) != `{"order":42}` {
		t.Errorf("stored status %s, event %s", inv.Status, inv.Event)
	}
}

func TestLambdaAPIInvokeFunctionError(t *testing.T) {
	env := newAPIEnv(t)
	out, err := env.client.Invoke(testContext(t), &lambda.InvokeInput{FunctionName: aws.String("fail")})
	if err != nil {
		t.Fatalf("Invoke: %v (a function error is not an API error)", err)
	}
	if out.StatusCode != http.StatusOK || aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("status %d, X-Amz-Function-Error %q; want 200 and Unhandled", out.StatusCode, aws.ToString(out.FunctionError))
	}
	var fe struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(out.Payload, &fe); err != nil || fe.ErrorType != "Error" || fe.ErrorMessage != "boom" {
		t.Errorf("payload = %s, want the handler's error", out.Payload)
	}
	if out.LogResult != nil {
		t.Errorf("X-Amz-Log-Result without Tail: %q", aws.ToString(out.LogResult))
	}
	inv := env.storedInvocation(t, requestIDOf(t, out.ResultMetadata))
	if inv.Status != lambdadeck.StatusFailed || inv.Error == nil || inv.Error.Message != "boom" {
		t.Errorf("stored %s with error %+v", inv.Status, inv.Error)
	}
}

func TestLambdaAPIInvokeEventRunsInTheBackground(t *testing.T) {
	env := newAPIEnv(t)
	out, err := env.client.Invoke(testContext(t), &lambda.InvokeInput{
		FunctionName:   aws.String("echo"),
		InvocationType: lambdatypes.InvocationTypeEvent,
		Payload:        []byte(`{"async":true}`),
		LogType:        lambdatypes.LogTypeTail, // ignored for Event, as on AWS
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if out.StatusCode != http.StatusAccepted || len(out.Payload) != 0 || out.LogResult != nil {
		t.Fatalf("status %d, payload %q, log %v; want 202 and nothing else", out.StatusCode, out.Payload, out.LogResult)
	}
	inv := env.awaitFinished(t, requestIDOf(t, out.ResultMetadata))
	if inv.Status != lambdadeck.StatusSucceeded || inv.Source != lambdadeck.SourceAPI || !strings.Contains(inv.UserAgent, "aws-sdk-go-v2") {
		t.Errorf("async invocation: status %s, source %s, user agent %q", inv.Status, inv.Source, inv.UserAgent)
	}
	if !bytes.Contains(inv.Payload, []byte(`"async":true`)) {
		t.Errorf("async invocation's response = %s", inv.Payload)
	}
}

func TestLambdaAPIInvokeDryRunRunsNothing(t *testing.T) {
	env := newAPIEnv(t)
	out, err := env.client.Invoke(testContext(t), &lambda.InvokeInput{
		FunctionName: aws.String("echo"), InvocationType: lambdatypes.InvocationTypeDryRun,
	})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if out.StatusCode != http.StatusNoContent || len(out.Payload) != 0 {
		t.Errorf("status %d, payload %q; want 204 and no body", out.StatusCode, out.Payload)
	}
	requestIDOf(t, out.ResultMetadata)
	if n := env.invocationCount(t, "echo"); n != 0 {
		t.Errorf("a dry run recorded %d invocations", n)
	}
}

func TestLambdaAPIInvokeFunctionNameForms(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	for _, tc := range []struct {
		name, functionName, qualifier string
	}{
		{"plain name", "echo", ""},
		{"name with $LATEST", "echo:$LATEST", ""},
		{"Qualifier query", "echo", "$LATEST"},
		{"same qualifier twice", "echo:$LATEST", "$LATEST"},
		{"partial ARN", "123456789012:function:echo", ""},
		{"full ARN", "arn:aws:lambda:us-east-1:123456789012:function:echo", ""},
		{"qualified full ARN", "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST", ""},
		{"another account's ARN", "arn:aws:lambda:eu-west-1:111122223333:function:echo", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.InvokeInput{FunctionName: aws.String(tc.functionName), Payload: []byte(`{"form":"` + tc.name + `"}`)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			out, err := env.client.Invoke(ctx, in)
			if err != nil {
				t.Fatalf("Invoke %s: %v", tc.functionName, err)
			}
			if !bytes.Contains(out.Payload, []byte(`"form":"`+tc.name+`"`)) {
				t.Errorf("payload = %s", out.Payload)
			}
			if inv := env.storedInvocation(t, requestIDOf(t, out.ResultMetadata)); inv.Function != "echo" {
				t.Errorf("recorded for %q", inv.Function)
			}
		})
	}
}

func TestLambdaAPIInvokeErrors(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	notJSONClientContext := base64.StdEncoding.EncodeToString([]byte("not json"))
	for _, tc := range []struct {
		name    string
		in      lambda.InvokeInput
		code    string
		status  int
		message string // the exact message, or a prefix when it ends in "…"
	}{
		{"unknown function", lambda.InvokeInput{FunctionName: aws.String("nope")},
			"ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{"unknown alias", lambda.InvokeInput{FunctionName: aws.String("echo"), Qualifier: aws.String("prod")},
			"ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo:prod"},
		{"unknown version in the name", lambda.InvokeInput{FunctionName: aws.String("echo:7")},
			"ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo:7"},
		{"conflicting qualifiers", lambda.InvokeInput{FunctionName: aws.String("echo:prod"), Qualifier: aws.String("$LATEST")},
			"InvalidParameterValueException", 400, "The derived qualifier from the function name does not match the specified qualifier."},
		{"not a Lambda ARN", lambda.InvokeInput{FunctionName: aws.String("arn:aws:s3:::bucket")},
			"ValidationException", 400, "1 validation error detected: Value 'arn:aws:s3:::bucket' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?…"},
		{"bad invocation type", lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: "Sometimes"},
			"ValidationException", 400, "1 validation error detected: Value 'Sometimes' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"},
		{"bad log type", lambda.InvokeInput{FunctionName: aws.String("echo"), LogType: "All"},
			"ValidationException", 400, "1 validation error detected: Value 'All' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]"},
		{"payload not JSON", lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte("{\"a\":\n nope}")},
			"InvalidRequestContentException", 400, "Could not parse request body into json: Could not parse payload into json: invalid character 'o' in literal null (expecting 'u') at line 2, column 3"},
		{"client context not base64", lambda.InvokeInput{FunctionName: aws.String("echo"), ClientContext: aws.String("{not base64}")},
			"InvalidRequestContentException", 400, "Client context must be a valid Base64-encoded JSON object."},
		{"client context not JSON", lambda.InvokeInput{FunctionName: aws.String("echo"), ClientContext: aws.String(notJSONClientContext)},
			"InvalidRequestContentException", 400, "Client context must be a valid Base64-encoded JSON object."},
		{"client context too long", lambda.InvokeInput{FunctionName: aws.String("echo"),
			ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"` + strings.Repeat("x", 2700) + `"}}`)))},
			"InvalidRequestContentException", 400, "Client context must be at most 3583 bytes of Base64-encoded JSON; it is 3628 bytes."},
		{"sync payload over 6 MB", lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: jsonOfSize(lambdadeck.MaxSyncPayload + 1)},
			"RequestEntityTooLargeException", 413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"event payload over 1 MB", lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: jsonOfSize(lambdadeck.MaxAsyncPayload + 10)},
			"RequestEntityTooLargeException", 413, "1048586 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{"function that cannot run", lambda.InvokeInput{FunctionName: aws.String("image")},
			"ResourceNotReadyException", 502, "Function image is Inactive: lambdadeck cannot run it here: PackageType Image is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.client.Invoke(ctx, &tc.in)
			ae := apiErrorFrom(t, err, tc.code)
			if prefix, ok := strings.CutSuffix(tc.message, "…"); ok {
				if !strings.HasPrefix(ae.ErrorMessage(), prefix) {
					t.Errorf("message = %q, want it to start with %q", ae.ErrorMessage(), prefix)
				}
			} else if ae.ErrorMessage() != tc.message {
				t.Errorf("message = %q, want %q", ae.ErrorMessage(), tc.message)
			}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != tc.status {
				t.Errorf("HTTP status = %d, want %d", re.HTTPStatusCode(), tc.status)
			}
		})
	}
	for _, fn := range []string{"echo", "image"} {
		if n := env.invocationCount(t, fn); n != 0 {
			t.Errorf("refused requests recorded %d invocations of %s", n, fn)
		}
	}
}

// jsonOfSize is a JSON string of exactly n bytes.
func jsonOfSize(n int) []byte {
	b := bytes.Repeat([]byte("x"), n)
	b[0], b[n-1] = '"', '"'
	return b
}

func TestLambdaAPIInvokeThrottled(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	// hold has one instance and a queue of one: of three invocations at
	// once, one runs, one waits, and the third is throttled. hold returns
	// only once the release file exists, so the first two are still there
	// when the third arrives, whatever the order.
	type result struct {
		out *lambda.InvokeOutput
		err error
	}
	results := make(chan result, 3)
	for range 3 {
		go func() {
			out, err := env.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("hold")})
			results <- result{out, err}
		}()
	}
	first := <-results
	var tooMany *lambdatypes.TooManyRequestsException
	if !errors.As(first.err, &tooMany) {
		t.Fatalf("first answer: %v, want TooManyRequestsException", first.err)
	}
	if tooMany.Reason != lambdatypes.ThrottleReasonConcurrentInvocationLimitExceeded ||
		aws.ToString(tooMany.RetryAfterSeconds) == "" || aws.ToString(tooMany.Type) != "User" || tooMany.ErrorMessage() != "Rate Exceeded." {
		t.Errorf("throttle: reason %q, Retry-After %q, type %q, message %q", tooMany.Reason,
			aws.ToString(tooMany.RetryAfterSeconds), aws.ToString(tooMany.Type), tooMany.ErrorMessage())
	}
	if err := os.WriteFile(env.releaseFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r := <-results
		if r.err != nil || !bytes.Contains(r.out.Payload, []byte(`"released":true`)) {
			t.Errorf("an admitted invocation answered %v", r.err)
		}
	}
	if n := env.invocationCount(t, "hold"); n != 2 {
		t.Errorf("%d invocations recorded, want the 2 that ran", n)
	}
}

func TestLambdaAPIListAndGetFunctions(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	list, err := env.client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	var names []string
	for _, fn := range list.Functions {
		names = append(names, aws.ToString(fn.FunctionName))
	}
	if strings.Join(names, ",") != "echo,fail,hold,image" || list.NextMarker != nil {
		t.Fatalf("functions %v, next marker %v", names, aws.ToString(list.NextMarker))
	}
	requestIDOf(t, list.ResultMetadata)

	// Pages of one, through the SDK's paginator.
	var paged []string
	pages := lambda.NewListFunctionsPaginator(env.client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListFunctions page: %v", err)
		}
		if len(page.Functions) != 1 {
			t.Fatalf("a page of MaxItems 1 has %d functions", len(page.Functions))
		}
		paged = append(paged, aws.ToString(page.Functions[0].FunctionName))
	}
	if strings.Join(paged, ",") != "echo,fail,hold,image" {
		t.Errorf("paginated: %v", paged)
	}

	got, err := env.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:echo")})
	if err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	cfg := got.Configuration
	checks := map[string][2]string{
		"FunctionName": {aws.ToString(cfg.FunctionName), "echo"},
		"FunctionArn":  {aws.ToString(cfg.FunctionArn), "arn:aws:lambda:us-east-1:123456789012:function:echo"},
		"Runtime":      {string(cfg.Runtime), "nodejs20.x"},
		"Handler":      {aws.ToString(cfg.Handler), "index.echo"},
		"Description":  {aws.ToString(cfg.Description), "the echo function"},
		"Version":      {aws.ToString(cfg.Version), "$LATEST"},
		"State":        {string(cfg.State), "Active"},
		"PackageType":  {string(cfg.PackageType), "Zip"},
		"LogFormat":    {string(cfg.LoggingConfig.LogFormat), "Text"},
		"LogGroup":     {aws.ToString(cfg.LoggingConfig.LogGroup), "/aws/lambda/echo"},
		"Repository":   {aws.ToString(got.Code.RepositoryType), "S3"},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", field, c[0], c[1])
		}
	}
	if aws.ToInt32(cfg.Timeout) != 30 || aws.ToInt32(cfg.MemorySize) != 256 || cfg.CodeSize != 0 {
		t.Errorf("timeout %d, memory %d, code size %d", aws.ToInt32(cfg.Timeout), aws.ToInt32(cfg.MemorySize), cfg.CodeSize)
	}
	if len(cfg.Architectures) != 1 || cfg.Architectures[0] != lambdatypes.ArchitectureX8664 {
		t.Errorf("architectures %v", cfg.Architectures)
	}
	if cfg.Environment == nil || cfg.Environment.Variables["RELEASE_FILE"] != env.releaseFile {
		t.Errorf("environment %+v", cfg.Environment)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(cfg.LastModified)); err != nil {
		t.Errorf("LastModified %q is not in AWS's format: %v", aws.ToString(cfg.LastModified), err)
	}

	image, err := env.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("image")})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration: %v", err)
	}
	if image.State != lambdatypes.StateInactive || aws.ToString(image.StateReason) != "PackageType Image is not supported" || image.PackageType != lambdatypes.PackageTypeImage {
		t.Errorf("a function that cannot run: state %s, reason %q", image.State, aws.ToString(image.StateReason))
	}

	_, err = env.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	if ae := apiErrorFrom(t, err, "ResourceNotFoundException"); ae.ErrorMessage() != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope" {
		t.Errorf("GetFunction of an unknown function: %q", ae.ErrorMessage())
	}
	_, err = env.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("echo"), Qualifier: aws.String("prod")})
	apiErrorFrom(t, err, "ResourceNotFoundException")
}

func TestLambdaAPIInvokeWithResponseStream(t *testing.T) {
	env := newAPIEnv(t)
	ctx := testContext(t)
	for _, tc := range []struct {
		function    string
		wantPayload string // in the one PayloadChunk; "" for none
		wantCode    string // InvokeComplete's ErrorCode
	}{
		{"echo", `{"event":{"streamed":1},"clientContext":null,"functionName":"echo"}`, ""},
		{"fail", "", "Error"},
	} {
		t.Run(tc.function, func(t *testing.T) {
			out, err := env.client.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{
				FunctionName: aws.String(tc.function),
				Payload:      []byte(`{"streamed":1}`),
				LogType:      lambdatypes.LogTypeTail,
			})
			if err != nil {
				t.Fatalf("InvokeWithResponseStream: %v", err)
			}
			if out.StatusCode != http.StatusOK || aws.ToString(out.ExecutedVersion) != "$LATEST" ||
				aws.ToString(out.ResponseStreamContentType) != "application/vnd.amazon.eventstream" {
				t.Errorf("status %d, version %q, content type %q", out.StatusCode, aws.ToString(out.ExecutedVersion), aws.ToString(out.ResponseStreamContentType))
			}
			stream := out.GetStream()
			defer stream.Close()
			var payload bytes.Buffer
			var complete *lambdatypes.InvokeWithResponseStreamCompleteEvent
			for ev := range stream.Events() {
				switch ev := ev.(type) {
				case *lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
					if complete != nil {
						t.Error("a PayloadChunk after InvokeComplete")
					}
					payload.Write(ev.Value.Payload)
				case *lambdatypes.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
					complete = &ev.Value
				default:
					t.Errorf("unexpected event %T", ev)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("reading the event stream: %v", err)
			}
			if payload.String() != tc.wantPayload {
				t.Errorf("streamed payload = %q, want %q", payload.String(), tc.wantPayload)
			}
			if complete == nil {
				t.Fatal("no InvokeComplete event")
			}
			if aws.ToString(complete.ErrorCode) != tc.wantCode {
				t.Errorf("ErrorCode = %q, want %q", aws.ToString(complete.ErrorCode), tc.wantCode)
			}
			if tc.wantCode != "" && !strings.Contains(aws.ToString(complete.ErrorDetails), `"errorMessage":"boom"`) {
				t.Errorf("ErrorDetails = %q", aws.ToString(complete.ErrorDetails))
			}
			logs, _ := base64.StdEncoding.DecodeString(aws.ToString(complete.LogResult))
			if !strings.Contains(string(logs), "REPORT RequestId: ") {
				t.Errorf("LogResult lacks the REPORT line: %q", logs)
			}
			inv := env.storedInvocation(t, requestIDOf(t, out.ResultMetadata))
			if inv.Function != tc.function || inv.Source != lambdadeck.SourceAPI {
				t.Errorf("stored %s from %s", inv.Function, inv.Source)
			}
		})
	}
	_, err := env.client.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("nope")})
	apiErrorFrom(t, err, "ResourceNotFoundException")
}

// apiPost sends a raw request, as a client without an SDK would.
func apiPost(t *testing.T, handler http.Handler, target string, body io.Reader, header http.Header) *http.Response {
	t.Helper()
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	req, err := http.NewRequest(http.MethodPost, ts.URL+target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestLambdaAPIWireFormat checks what SDKs hide: the exact headers and error
// bodies on the wire, with plain HTTP clients.
func TestLambdaAPIWireFormat(t *testing.T) {
	env := newAPIEnv(t)

	t.Run("empty body is {} and JSON comes back as JSON", func(t *testing.T) {
		res, err := http.Post(env.url+"/2015-03-31/functions/echo/invocations", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"event":{}`)) {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		id := res.Header.Get("X-Amzn-RequestId")
		if inv := env.storedInvocation(t, id); inv.UserAgent != "Go-http-client/1.1" {
			t.Errorf("recorded user agent %q", inv.UserAgent)
		}
	})

	t.Run("error body and headers", func(t *testing.T) {
		for _, tc := range []struct {
			target, wantType, member, wantMessage string
			status                                int
		}{
			{"/2015-03-31/functions/nope/invocations", "ResourceNotFoundException", "Message", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope", 404},
			{"/2015-03-31/functions/echo:prod/invocations?Qualifier=dev", "InvalidParameterValueException", "message", "The derived qualifier from the function name does not match the specified qualifier.", 400},
		} {
			res, err := http.Post(env.url+tc.target, "application/json", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			err = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("%s: error body is not JSON: %v", tc.target, err)
			}
			if res.StatusCode != tc.status || res.Header.Get("x-amzn-ErrorType") != tc.wantType ||
				body["Type"] != "User" || body[tc.member] != tc.wantMessage || res.Header.Get("X-Amzn-RequestId") == "" {
				t.Errorf("%s: %d %v %v", tc.target, res.StatusCode, res.Header, body)
			}
		}
	})

	t.Run("other web sites cannot invoke", func(t *testing.T) {
		for _, header := range []http.Header{
			{"Origin": {"https://evil.example"}},
			{"Sec-Fetch-Site": {"cross-site"}},
		} {
			req, _ := http.NewRequest(http.MethodPost, env.url+"/2015-03-31/functions/echo/invocations", strings.NewReader("{}"))
			req.Header = header
			req.Header.Set("Content-Type", "text/plain")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden || res.Header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
				t.Errorf("%v: %d %s", header, res.StatusCode, res.Header.Get("x-amzn-ErrorType"))
			}
		}
		if n := env.invocationCount(t, "echo"); n != 1 {
			t.Errorf("%d echo invocations recorded; the refused ones must not run", n)
		}
	})
}

// TestLambdaAPIOwnListener checks the API-only handler of serve --api-addr:
// AWS-shaped answers for unknown operations, and a 100 MB body refused
// after reading no more than the 6 MB limit.
func TestLambdaAPIOwnListener(t *testing.T) {
	env := newAPIEnv(t)
	api := env.server.LambdaAPI()

	res := apiPost(t, api, "/2015-03-31/functions/echo/invocations", strings.NewReader(`{"via":"api-addr"}`), nil)
	if body, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"via":"api-addr"`)) {
		t.Errorf("Invoke on the API-only handler: %d %s", res.StatusCode, body)
	}

	res = apiPost(t, api, "/2015-03-31/functions/echo/aliases", strings.NewReader("{}"), nil)
	if res.StatusCode != http.StatusNotFound || res.Header.Get("x-amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("unknown operation: %d %q", res.StatusCode, res.Header.Get("x-amzn-ErrorType"))
	}

	// A body of unknown length (chunked): the handler stops reading after
	// the limit, so a client can't make it hold 100 MB.
	huge := io.MultiReader(strings.NewReader(`"`), io.LimitReader(repeatReader('x'), 100<<20))
	res = apiPost(t, api, "/2015-03-31/functions/echo/invocations", huge, nil)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("x-amzn-ErrorType") != "RequestEntityTooLargeException" ||
		!bytes.Contains(body, []byte("Request must be smaller than 6291456 bytes for the InvokeFunction operation")) {
		t.Errorf("100 MB body: %d %s", res.StatusCode, body)
	}
}

// repeatReader reads the same byte forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// BenchmarkLambdaAPIInvokeWarm measures one synchronous Invoke through the
// SDK, the HTTP API and a warm Node.js instance, recorded in SQLite.
func BenchmarkLambdaAPIInvokeWarm(b *testing.B) {
	env := newAPIEnv(b)
	ctx := context.Background()
	in := &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"bench":true}`)}
	if _, err := env.client.Invoke(ctx, in); err != nil { // the cold start
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := env.client.Invoke(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNotFoundARNNamesTheRegion: an unknown function is named in the
// Region lambdadeck's functions run in (--region), as AWS names it in the
// Region called, not in the default one.
func TestNotFoundARNNamesTheRegion(t *testing.T) {
	env := newTestEnv(t)
	for i := range env.invoker.functions {
		env.invoker.functions[i].Region = "eu-west-1"
	}
	for path, want := range map[string]string{
		"/2015-03-31/functions/nope/invocations":       "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope",
		"/2015-03-31/functions/hello:prod/invocations": "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:hello:prod",
	} {
		r := env.do(t, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`)))
		if r.status != http.StatusNotFound || !strings.Contains(r.body, want) {
			t.Errorf("POST %s = %d %s, want 404 naming %q", path, r.status, r.body, want)
		}
	}
}
