package web

// The AWS Lambda API subset that lets the AWS CLI, the SDKs and test suites
// use lambdadeck as their Lambda endpoint: Invoke, InvokeWithResponseStream,
// ListFunctions, GetFunction and GetFunctionConfiguration, with AWS's paths,
// headers, status codes and rest-json errors (reference §7). In laptop mode
// requests are not signature-checked: any Authorization header, or none, is
// accepted; in team mode apiauth.go verifies their AWS Signature Version 4.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
)

// The API's limits and fixed values.
const (
	// maxClientContext is the largest X-Amz-Client-Context header (base64
	// text) Lambda accepts.
	maxClientContext = 3583
	// maxFunctionName bounds FunctionName (NamespacedFunctionName in the model).
	maxFunctionName = 256
	// logTailBytes is how much of the log X-Amz-Log-Result carries.
	logTailBytes = 4096
	// listPageMax is the most functions ListFunctions returns per page, as
	// on AWS, whatever MaxItems asks for.
	listPageMax = 50
	// throttleRetryAfter is the Retry-After (seconds) sent with a throttle:
	// lambdadeck's queues drain in about an invocation's time.
	throttleRetryAfter = "1"
	// eventStreamContentType is the media type of InvokeWithResponseStream.
	eventStreamContentType = "application/vnd.amazon.eventstream"
)

// Invocation types (X-Amz-Invocation-Type) and log types (X-Amz-Log-Type).
const (
	invocationRequestResponse = "RequestResponse"
	invocationEvent           = "Event"
	invocationDryRun          = "DryRun"
	logTypeTail               = "Tail"
	logTypeNone               = "None"
)

// The model's patterns, as AWS quotes them in ValidationException messages.
const (
	functionNamePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	qualifierPattern    = `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`
)

// functionNameRE is functionNamePattern anchored, with the function name and
// qualifier named. Compiled once; regexps are safe for concurrent use.
var functionNameRE = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?(?P<name>[a-zA-Z0-9-_\.]+)(:(?P<qualifier>\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$`)

// qualifierRE is qualifierPattern anchored.
var qualifierRE = regexp.MustCompile(`^(` + qualifierPattern + `)$`)

// apiError is an error of the Lambda API, sent as AWS's rest-json errors are:
// the code in x-amzn-ErrorType, and a JSON body with Type "User" and the
// message under the member name the model gives that exception.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Reason is TooManyRequestsException's throttle reason.
	Reason string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// messageMember is the body member that carries the message: the Lambda
// model spells it "Message" for some exceptions and "message" for the rest.
func (e *apiError) messageMember() string {
	switch e.Code {
	case "ResourceNotFoundException", "ServiceException":
		return "Message"
	}
	return "message"
}

// validationError is the error AWS's request validation answers for a
// member that breaks a constraint of the model, with AWS's wording.
func validationError(value, member, constraint string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException",
		Message: fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)}
}

func notFoundError(arn string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Function not found: " + arn}
}

func invalidParameter(message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidParameterValueException", Message: message}
}

func invalidContent(message string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequestContentException", Message: message}
}

// tooLarge is the 413 AWS answers for an oversize payload; the model calls
// it RequestTooLargeException but the wire code is this one (reference §7.3).
func tooLarge(message string) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException", Message: message}
}

// apiErrorOf turns any error into the API error to send: lambdadeck's
// error codes map onto the closest Lambda exceptions, and anything else is
// a ServiceException whose detail is logged, not shown.
func apiErrorOf(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	// Errors from the router and middleware, before any API handler ran.
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			return &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException",
				Message: "lambdadeck does not implement this operation"}
		case http.StatusRequestEntityTooLarge:
			return tooLarge(fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", lambdadeck.MaxSyncPayload))
		}
	}
	message := lambdadeck.ErrorMessage(err)
	switch lambdadeck.ErrorCode(err) {
	case lambdadeck.ENOTFOUND:
		return &apiError{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: message}
	case lambdadeck.EINVALID:
		return invalidParameter(message)
	case lambdadeck.ETOOLARGE:
		return tooLarge(message)
	case lambdadeck.ETHROTTLED:
		return &apiError{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException",
			Message: "Rate Exceeded.", Reason: "ConcurrentInvocationLimitExceeded"}
	case lambdadeck.ECONFLICT:
		return &apiError{Status: http.StatusConflict, Code: "ResourceConflictException", Message: message}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "ServiceException", Message: message}
}

// lambdaAPI adapts a Lambda API handler: whatever error it returns is
// answered here in AWS's format, so the dashboard's HTML error pages never
// reach an SDK, whichever Echo instance serves the route.
func (s *Server) lambdaAPI(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Every answer carries a request id: a fresh one unless the handler
		// sets the invocation's.
		c.Response().Header().Set("x-amzn-RequestId", uuid.NewString())
		err := refuseCrossOrigin(c.Request())
		if err == nil && s.requireSignedAPI {
			err = s.authenticateAPI(c) // apiauth.go: the key's account
		}
		if err == nil {
			err = s.authorizeLambdaAPI(c)
		}
		if err == nil {
			err = h(c)
		}
		if err != nil {
			s.writeAPIError(c, err)
		}
		return nil
	}
}

// refuseCrossOrigin refuses requests a browser sends on behalf of another
// site. The API skips CSRF tokens and signatures, and Invoke accepts any
// content type, so without this any web page could run the user's functions
// with a plain form POST to 127.0.0.1. SDKs and the CLI send neither Origin
// nor Sec-Fetch-Site, so they are not affected.
func refuseCrossOrigin(req *http.Request) error {
	crossSite := req.Header.Get("Sec-Fetch-Site") == "cross-site"
	if origin := req.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		crossSite = crossSite || err != nil || u.Host != req.Host
	}
	if !crossSite {
		return nil
	}
	return &apiError{Status: http.StatusForbidden, Code: "AccessDeniedException",
		Message: "lambdadeck's Lambda API does not accept requests from other web sites."}
}

// isLambdaAPIPath reports whether a path belongs to the AWS Lambda API,
// whose errors are answered in AWS's format rather than as HTML pages.
func isLambdaAPIPath(path string) bool {
	return strings.HasPrefix(path, "/2015-03-31/") || strings.HasPrefix(path, "/2021-11-15/")
}

// handleAPIError answers an error the router or a middleware returned for
// an API path, in AWS's format.
func (s *Server) handleAPIError(err error, c echo.Context) {
	var he *echo.HTTPError
	if errors.As(err, &he) && (he.Code == http.StatusNotFound || he.Code == http.StatusMethodNotAllowed) {
		err = &apiError{Status: http.StatusNotFound, Code: "UnknownOperationException",
			Message: fmt.Sprintf("lambdadeck does not implement %s %s", c.Request().Method, c.Request().URL.Path)}
	}
	s.writeAPIError(c, err)
}

// writeAPIError sends err as a Lambda API error, with a fresh request id.
// Only 5xx are logged: the rest are the caller's mistakes, told to it.
func (s *Server) writeAPIError(c echo.Context, err error) {
	req := c.Request()
	if errors.Is(err, context.Canceled) && req.Context().Err() != nil {
		// The caller hung up while its invocation waited in the queue:
		// there is no one to answer, and nothing went wrong.
		return
	}
	ae := apiErrorOf(err)
	if ae.Status >= 500 {
		s.logger.Error("lambda api request failed", "method", req.Method, "path", req.URL.Path, "status", ae.Status, "err", err)
	}
	if c.Response().Committed {
		return
	}
	body := map[string]string{"Type": "User", ae.messageMember(): ae.Message}
	if ae.Status >= 500 {
		body["Type"] = "Service"
	}
	h := c.Response().Header()
	if ae.Reason != "" {
		body["Reason"] = ae.Reason
		h.Set("Retry-After", throttleRetryAfter)
	}
	h.Set("x-amzn-ErrorType", ae.Code)
	h.Set("x-amzn-RequestId", uuid.NewString())
	if req.Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, body)
}

// LambdaAPI returns a handler that serves only the AWS Lambda API, for a
// listener of its own (serve --api-addr). Unlike the dashboard's listener,
// every answer there is in AWS's format, even for unknown paths and bodies
// far over the limits.
func (s *Server) LambdaAPI() http.Handler {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleAPIError
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
	s.lambdaAPIRoutes(e)
	return s.guard(e, true)
}

// functionRef is a FunctionName as the API takes it (a name, name:qualifier,
// a partial ARN or a full ARN), with the Qualifier query folded in.
type functionRef struct {
	name      string
	qualifier string // "" when none was given
}

// arn is the ARN AWS names the function by in its messages, in region:
// qualified when a qualifier was given.
func (r functionRef) arn(region string) string {
	arn := lambdadeck.Function{Name: r.name, Region: region}.ARN()
	if r.qualifier != "" {
		arn += ":" + r.qualifier
	}
	return arn
}

// parseFunctionRef reads the :name path parameter and the Qualifier query.
// Region and account in an ARN are not checked against lambdadeck's own:
// fixtures written for a real account keep working locally.
func parseFunctionRef(c echo.Context) (functionRef, error) {
	// Echo matches on the raw path, so an ARN's colons may still be escaped.
	raw, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		raw = c.Param("name")
	}
	if len(raw) > maxFunctionName {
		return functionRef{}, validationError(raw, "functionName",
			fmt.Sprintf("Member must have length less than or equal to %d", maxFunctionName))
	}
	m := functionNameRE.FindStringSubmatch(raw)
	if m == nil {
		return functionRef{}, validationError(raw, "functionName",
			"Member must satisfy regular expression pattern: "+functionNamePattern)
	}
	ref := functionRef{
		name:      m[functionNameRE.SubexpIndex("name")],
		qualifier: m[functionNameRE.SubexpIndex("qualifier")],
	}
	if q := c.QueryParam("Qualifier"); q != "" {
		if len(q) > 128 || !qualifierRE.MatchString(q) {
			return functionRef{}, validationError(q, "qualifier",
				"Member must satisfy regular expression pattern: "+qualifierPattern)
		}
		if ref.qualifier != "" && ref.qualifier != q {
			return functionRef{}, invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.qualifier = q
	}
	return ref, nil
}

// lookupFunction finds the function a reference names. Only $LATEST exists
// in lambdadeck: any other version or alias is not found, as on AWS.
func (s *Server) lookupFunction(ref functionRef) (lambdadeck.Function, error) {
	fn, err := s.invoker.Function(ref.name)
	if lambdadeck.ErrorCode(err) == lambdadeck.ENOTFOUND || (err == nil && ref.qualifier != "" && ref.qualifier != lambdadeck.LatestVersion) {
		region := fn.Region
		if err != nil {
			region = s.region()
		}
		return lambdadeck.Function{}, notFoundError(ref.arn(region))
	}
	return fn, err
}

// region is the Region lambdadeck's functions run in (--region, or the
// profile's), which an unknown function's ARN is named in too.
func (s *Server) region() string {
	for _, fn := range s.invoker.Functions() {
		return fn.AWSRegion()
	}
	return lambdadeck.DefaultRegion
}

// invokeRequest is one Invoke or InvokeWithResponseStream call, checked.
type invokeRequest struct {
	function       lambdadeck.Function
	invocationType string
	tail           bool
	clientContext  []byte // decoded JSON; nil for none
	event          []byte
}

// parseInvoke reads and checks an invoke request in the order AWS does:
// the model's constraints on the name and headers, the payload size, the
// function, the client context, the payload's JSON, and last whether the
// function can run at all. operation names the API operation in the size
// message; types are the invocation types it allows.
func (s *Server) parseInvoke(c echo.Context, operation string, types []string) (invokeRequest, error) {
	req := c.Request()
	ref, err := parseFunctionRef(c)
	if err != nil {
		return invokeRequest{}, err
	}
	inv := invokeRequest{invocationType: req.Header.Get("X-Amz-Invocation-Type")}
	if inv.invocationType == "" {
		inv.invocationType = invocationRequestResponse
	}
	if !slices.Contains(types, inv.invocationType) {
		return invokeRequest{}, validationError(inv.invocationType, "invocationType",
			"Member must satisfy enum value set: ["+strings.Join(types, ", ")+"]")
	}
	switch logType := req.Header.Get("X-Amz-Log-Type"); logType {
	case "", logTypeNone:
	case logTypeTail:
		inv.tail = true
	default:
		return invokeRequest{}, validationError(logType, "logType", "Member must satisfy enum value set: [Tail, None]")
	}

	if inv.event, err = readPayload(req, operation, inv.invocationType == invocationEvent); err != nil {
		return invokeRequest{}, err
	}
	if inv.function, err = s.lookupFunction(ref); err != nil {
		return invokeRequest{}, err
	}
	if header := req.Header.Get("X-Amz-Client-Context"); header != "" {
		if inv.clientContext, err = decodeClientContext(header); err != nil {
			return invokeRequest{}, err
		}
	}
	if len(inv.event) == 0 {
		// AWS treats an empty payload as an empty object, as SAM mimics.
		inv.event = []byte("{}")
	}
	if !utf8.Valid(inv.event) {
		// encoding/json would let it through inside a string; AWS's parser
		// refuses it, in its own words.
		return invokeRequest{}, invalidContent("Could not parse request body into json: Could not parse payload into json: Invalid UTF-8 in the payload")
	}
	if !json.Valid(inv.event) {
		return invokeRequest{}, invalidContent("Could not parse request body into json: Could not parse payload into json: " + jsonErrorDetail(inv.event))
	}
	if !inv.function.Runnable() {
		// ResourceNotReadyException is what Invoke answers for an Inactive
		// function, and Inactive is the state the API reports for it.
		return invokeRequest{}, &apiError{Status: http.StatusBadGateway, Code: "ResourceNotReadyException",
			Message: fmt.Sprintf("Function %s is Inactive: lambdadeck cannot run it here: %s", inv.function.Name, inv.function.NotRunnable)}
	}
	return inv, nil
}

// readPayload reads the request body, never more than Lambda's synchronous
// limit plus one byte, so that an oversize body costs no more memory than a
// valid one.
func readPayload(req *http.Request, operation string, async bool) ([]byte, error) {
	oversize := func(size int64) error {
		if async {
			return tooLarge(fmt.Sprintf("%d byte payload is too large for the Event invocation type (limit %d bytes)", size, lambdadeck.MaxAsyncPayload))
		}
		return tooLarge(fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", lambdadeck.MaxSyncPayload, operation))
	}
	if req.ContentLength > lambdadeck.MaxSyncPayload {
		return nil, oversize(req.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, lambdadeck.MaxSyncPayload+1))
	if err != nil {
		return nil, fmt.Errorf("read invoke payload: %w", err)
	}
	size := max(int64(len(body)), req.ContentLength)
	if size > lambdadeck.MaxSyncPayload || (async && size > lambdadeck.MaxAsyncPayload) {
		return nil, oversize(size)
	}
	return body, nil
}

// decodeClientContext decodes X-Amz-Client-Context, base64 JSON. AWS
// answers a bad one with InvalidRequestContentException and this message
// (seen in boto/boto3#2153); lambdadeck answers the same for one over
// the documented 3583 bytes, where AWS's exact answer is not on record.
func decodeClientContext(header string) ([]byte, error) {
	if len(header) > maxClientContext {
		return nil, invalidContent(fmt.Sprintf("Client context must be at most %d bytes of Base64-encoded JSON; it is %d bytes.", maxClientContext, len(header)))
	}
	decoded, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		decoded, err = base64.RawStdEncoding.DecodeString(header)
	}
	trimmed := bytes.TrimSpace(decoded)
	if err != nil || !json.Valid(trimmed) || !bytes.HasPrefix(trimmed, []byte("{")) {
		return nil, invalidContent("Client context must be a valid Base64-encoded JSON object.")
	}
	return trimmed, nil
}

// jsonErrorDetail describes why payload is not JSON, with the line and
// column, as AWS's parser does (in its own words).
func jsonErrorDetail(payload []byte) string {
	err := json.Unmarshal(payload, new(json.RawMessage))
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		if err == nil {
			return "invalid JSON"
		}
		return err.Error()
	}
	// Offset counts the offending byte too.
	before := payload[:min(max(int(syntax.Offset)-1, 0), len(payload))]
	line := bytes.Count(before, []byte("\n")) + 1
	column := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s at line %d, column %d", syntax.Error(), line, column)
}

// run invokes the function for a checked request.
func (s *Server) run(c echo.Context, r invokeRequest) (*lambdadeck.Invocation, error) {
	req := lambdadeck.InvokeRequest{
		Function:  r.function.Name,
		Event:     r.event,
		Source:    lambdadeck.SourceAPI,
		UserAgent: c.Request().UserAgent(),
		Async:     r.invocationType == invocationEvent,
	}
	// Lambda passes the client context to synchronous invocations only.
	if !req.Async {
		req.ClientContext = r.clientContext
	}
	return s.invoker.Invoke(c.Request().Context(), req)
}

// invokeFunctionAPI is Invoke: POST /2015-03-31/functions/:name/invocations.
func (s *Server) invokeFunctionAPI(c echo.Context) error {
	r, err := s.parseInvoke(c, "InvokeFunction", []string{invocationEvent, invocationRequestResponse, invocationDryRun})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	if r.invocationType == invocationDryRun {
		return c.NoContent(http.StatusNoContent)
	}
	inv, err := s.run(c, r)
	if err != nil {
		return err
	}
	h.Set("x-amzn-RequestId", inv.RequestID)
	if r.invocationType == invocationEvent {
		return c.NoContent(http.StatusAccepted)
	}
	h.Set("X-Amz-Executed-Version", lambdadeck.LatestVersion)
	if inv.Failed() {
		// Every function error is "Unhandled" today, handler exceptions
		// included (reference §7.2).
		h.Set("X-Amz-Function-Error", "Unhandled")
	}
	if r.tail {
		h.Set("X-Amz-Log-Result", logTail(inv.Logs))
	}
	contentType := inv.ContentType
	if contentType == "" {
		contentType = echo.MIMEApplicationJSON
	}
	return c.Blob(http.StatusOK, contentType, inv.Payload)
}

// logTail is X-Amz-Log-Result: the last 4 KB of the log, base64.
func logTail(logs string) string {
	if len(logs) > logTailBytes {
		logs = logs[len(logs)-logTailBytes:]
	}
	return base64.StdEncoding.EncodeToString([]byte(logs))
}

// invokeComplete is the InvokeComplete event of InvokeWithResponseStream.
type invokeComplete struct {
	ErrorCode    string `json:",omitempty"`
	ErrorDetails string `json:",omitempty"`
	LogResult    string `json:",omitempty"`
}

// invokeWithResponseStreamAPI is InvokeWithResponseStream:
// POST /2021-11-15/functions/:name/response-streaming-invocations.
//
// It buffers: the invoker hands over the response once the invocation has
// finished, so the whole payload goes out as one PayloadChunk, followed by
// InvokeComplete. A function error goes in InvokeComplete (ErrorCode the
// errorType, ErrorDetails the error JSON as the runtime posted it), and the
// status stays 200, as on AWS.
func (s *Server) invokeWithResponseStreamAPI(c echo.Context) error {
	r, err := s.parseInvoke(c, "InvokeWithResponseStream", []string{invocationRequestResponse, invocationDryRun})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	if r.invocationType == invocationDryRun {
		return c.NoContent(http.StatusNoContent)
	}
	if si, ok := s.invoker.(streamInvoker); ok {
		return s.streamChunks(c, r, si)
	}
	if li, ok := s.invoker.(liveInvoker); ok {
		return s.streamLive(c, r, li)
	}
	inv, err := s.run(c, r)
	if err != nil {
		return err
	}

	var stream bytes.Buffer
	enc := eventstream.NewEncoder()
	if !inv.Failed() && len(inv.Payload) > 0 {
		if err := enc.Encode(&stream, streamEvent("PayloadChunk", "application/octet-stream", inv.Payload)); err != nil {
			return fmt.Errorf("encode payload chunk: %w", err)
		}
	}
	if err := enc.Encode(&stream, invokeCompleteEvent(inv, r.tail)); err != nil {
		return fmt.Errorf("encode invoke complete: %w", err)
	}
	h.Set("x-amzn-RequestId", inv.RequestID)
	h.Set("X-Amz-Executed-Version", lambdadeck.LatestVersion)
	return c.Blob(http.StatusOK, eventStreamContentType, stream.Bytes())
}

// streamLive answers InvokeWithResponseStream as Lambda does: each chunk a
// response streaming handler writes is sent on as a PayloadChunk event when
// it arrives, and InvokeComplete follows when the invocation ends. A handler
// that does not stream gets its whole response as one chunk.
func (s *Server) streamLive(c echo.Context, r invokeRequest, li liveInvoker) error {
	run, err := li.Start(c.Request().Context(), lambdadeck.InvokeRequest{
		Function:      r.function.Name,
		Event:         r.event,
		ClientContext: r.clientContext,
		Source:        lambdadeck.SourceAPI,
		UserAgent:     c.Request().UserAgent(),
	})
	if err != nil {
		return err
	}
	resp := c.Response()
	h := resp.Header()
	h.Set("x-amzn-RequestId", run.RequestID)
	h.Set("X-Amz-Executed-Version", lambdadeck.LatestVersion)
	h.Set(echo.HeaderContentType, eventStreamContentType)
	resp.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	sent := 0
	send := func(p []byte) {
		if len(p) == 0 {
			return
		}
		// A client that went away stops getting chunks; the invocation
		// still runs to its end and is recorded.
		if err := enc.Encode(resp, streamEvent("PayloadChunk", "application/octet-stream", p)); err == nil {
			resp.Flush()
		}
		sent += len(p)
	}
	for {
		st, running := li.Live(run.RequestID)
		if !running {
			break
		}
		if st.Streaming && len(st.Body) > sent {
			send(st.Body[sent:])
		}
		select {
		case <-st.Changed:
		case <-run.Done():
		}
	}
	inv, err := run.Wait()
	if err != nil {
		return err
	}
	if !inv.Failed() && len(inv.Payload) > sent {
		send(inv.Payload[sent:])
	}
	if err := enc.Encode(resp, invokeCompleteEvent(inv, r.tail)); err != nil {
		return nil // the client is gone; nothing more to tell it
	}
	resp.Flush()
	return nil
}

// streamInvoker is implemented by invokers that hand over a streamed
// response chunk by chunk as it arrives (the real one does).
type streamInvoker interface {
	StartStream(ctx context.Context, req lambdadeck.InvokeRequest) (*invoker.Run, <-chan []byte, error)
}

// streamChunks answers InvokeWithResponseStream as Lambda does, chunk by
// chunk as the handler streams them, however large the stream (up to the
// invoker's stream limit): nothing is kept beyond the chunk in hand. A
// handler that does not stream gets its whole response as one chunk.
func (s *Server) streamChunks(c echo.Context, r invokeRequest, si streamInvoker) error {
	run, chunks, err := si.StartStream(c.Request().Context(), lambdadeck.InvokeRequest{
		Function:      r.function.Name,
		Event:         r.event,
		ClientContext: r.clientContext,
		Source:        lambdadeck.SourceAPI,
		UserAgent:     c.Request().UserAgent(),
	})
	if err != nil {
		return err
	}
	resp := c.Response()
	h := resp.Header()
	h.Set("x-amzn-RequestId", run.RequestID)
	h.Set("X-Amz-Executed-Version", lambdadeck.LatestVersion)
	h.Set(echo.HeaderContentType, eventStreamContentType)
	resp.WriteHeader(http.StatusOK)
	enc := eventstream.NewEncoder()
	sent := 0
	gone := false
	send := func(p []byte) {
		if len(p) == 0 {
			return
		}
		sent += len(p)
		if gone {
			return // the client went away: the invocation still runs to its end
		}
		if err := enc.Encode(resp, streamEvent("PayloadChunk", "application/octet-stream", p)); err != nil {
			gone = true
			return
		}
		resp.Flush()
	}
	for open := true; open; {
		select {
		case p, ok := <-chunks:
			if !ok {
				open = false
				break
			}
			send(p)
		case <-run.Done():
			// The stream ended before the invocation did, so what is
			// left in the channel is all there is.
			for drained := false; !drained; {
				select {
				case p, ok := <-chunks:
					if ok {
						send(p)
					} else {
						drained = true
					}
				default:
					drained = true
				}
			}
			open = false
		}
	}
	inv, err := run.Wait()
	if err != nil {
		return err
	}
	if !inv.Failed() && len(inv.Chunks) == 0 && len(inv.Payload) > sent {
		send(inv.Payload[sent:]) // a buffered response: one chunk
	}
	if gone {
		return nil
	}
	if err := enc.Encode(resp, invokeCompleteEvent(inv, r.tail)); err != nil {
		return nil // the client is gone; nothing more to tell it
	}
	resp.Flush()
	return nil
}

// invokeCompleteEvent is the InvokeComplete event that ends a stream: a
// function error's type and body, and the log tail when asked for.
func invokeCompleteEvent(inv *lambdadeck.Invocation, tail bool) eventstream.Message {
	var done invokeComplete
	if inv.Failed() {
		done.ErrorCode = inv.Error.Type
		if done.ErrorCode == "" {
			done.ErrorCode = "Unhandled"
		}
		done.ErrorDetails = string(inv.Payload)
	}
	if tail {
		done.LogResult = logTail(inv.Logs)
	}
	completion, _ := json.Marshal(done)
	return streamEvent("InvokeComplete", echo.MIMEApplicationJSON, completion)
}

// streamEvent is one event-stream message of the given event type.
func streamEvent(eventType, contentType string, payload []byte) eventstream.Message {
	var headers eventstream.Headers
	headers.Set(":event-type", eventstream.StringValue(eventType))
	headers.Set(":message-type", eventstream.StringValue("event"))
	headers.Set(":content-type", eventstream.StringValue(contentType))
	return eventstream.Message{Headers: headers, Payload: payload}
}

// functionConfiguration is the API's FunctionConfiguration.
type functionConfiguration struct {
	FunctionName     string
	FunctionArn      string
	Runtime          string `json:",omitempty"`
	Role             string
	Handler          string `json:",omitempty"`
	CodeSize         int64
	Description      string
	Timeout          int
	MemorySize       int
	LastModified     string
	CodeSha256       string
	Version          string
	Environment      *environmentResponse `json:",omitempty"`
	TracingConfig    tracingConfig
	State            string
	StateReason      string `json:",omitempty"`
	LastUpdateStatus string
	PackageType      string
	Architectures    []string
	EphemeralStorage ephemeralStorage
	LoggingConfig    loggingConfig
}

type environmentResponse struct {
	Variables map[string]string
}

type tracingConfig struct{ Mode string }

type ephemeralStorage struct{ Size int }

type loggingConfig struct {
	LogFormat           string
	ApplicationLogLevel string `json:",omitempty"`
	SystemLogLevel      string `json:",omitempty"`
	LogGroup            string
}

// configurationOf describes fn as the API does. Not-runnable functions are
// Inactive, with lambdadeck's reason as the StateReason.
func configurationOf(fn lambdadeck.Function, qualifier string) functionConfiguration {
	arn := fn.ARN()
	if qualifier != "" {
		arn += ":" + qualifier
	}
	cfg := functionConfiguration{
		FunctionName:     fn.Name,
		FunctionArn:      arn,
		Runtime:          fn.Runtime,
		Role:             "arn:aws:iam::" + lambdadeck.DefaultAccountID + ":role/lambdadeck",
		Handler:          fn.Handler,
		Description:      fn.Description,
		Timeout:          int(math.Ceil(orDefault(fn.Timeout, lambdadeck.DefaultTimeout).Seconds())),
		MemorySize:       orDefault(fn.MemoryMB, lambdadeck.DefaultMemoryMB),
		LastModified:     lastModified(fn.CodeDir),
		Version:          lambdadeck.LatestVersion,
		TracingConfig:    tracingConfig{Mode: "PassThrough"},
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      packageType(fn),
		Architectures:    []string{orDefault(fn.Architecture, "x86_64")},
		EphemeralStorage: ephemeralStorage{Size: 512},
		LoggingConfig: loggingConfig{
			LogFormat: orDefault(fn.LogFormat, "Text"),
			LogGroup:  "/aws/lambda/" + fn.Name,
		},
	}
	if len(fn.Environment) > 0 {
		cfg.Environment = &environmentResponse{Variables: fn.Environment}
	}
	if cfg.LoggingConfig.LogFormat == "JSON" {
		cfg.LoggingConfig.ApplicationLogLevel = orDefault(strings.ToUpper(fn.LogLevel), "INFO")
		cfg.LoggingConfig.SystemLogLevel = "INFO"
	}
	if !fn.Runnable() {
		cfg.State = "Inactive"
		cfg.StateReason = fn.NotRunnable
	}
	return cfg
}

// orDefault returns v, or fallback when v is the zero value.
func orDefault[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// lastModified is the code directory's modification time in AWS's format
// (2024-01-02T15:04:05.000+0000), or the current time when it has none.
func lastModified(dir string) string {
	t := time.Now()
	if dir != "" {
		if info, err := os.Stat(dir); err == nil {
			t = info.ModTime()
		}
	}
	return t.UTC().Format("2006-01-02T15:04:05.000-0700")
}

// listFunctionsAPI is ListFunctions: GET /2015-03-31/functions/. Functions
// come sorted by name; Marker is the name of the first function of the page.
func (s *Server) listFunctionsAPI(c echo.Context) error {
	pageSize := listPageMax
	if v := c.QueryParam("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return invalidParameter(fmt.Sprintf("MaxItems must be a number, not %q", v))
		case n < 1:
			return validationError(v, "maxItems", "Member must have value greater than or equal to 1")
		case n > 10000:
			return validationError(v, "maxItems", "Member must have value less than or equal to 10000")
		}
		pageSize = min(n, listPageMax)
	}
	marker := c.QueryParam("Marker")
	page := struct {
		Functions  []functionConfiguration
		NextMarker *string
	}{Functions: []functionConfiguration{}}
	for _, fn := range s.invoker.Functions() {
		if fn.Name < marker {
			continue
		}
		if len(page.Functions) == pageSize {
			next := fn.Name
			page.NextMarker = &next
			break
		}
		page.Functions = append(page.Functions, configurationOf(fn, ""))
	}
	return c.JSON(http.StatusOK, page)
}

// getFunctionAPI is GetFunction: GET /2015-03-31/functions/:name. The code
// is on disk, not in S3, so its Location is empty.
func (s *Server) getFunctionAPI(c echo.Context) error {
	fn, ref, err := s.functionForRead(c)
	if err != nil {
		return err
	}
	type code struct{ RepositoryType, Location string }
	return c.JSON(http.StatusOK, struct {
		Configuration functionConfiguration
		Code          code
	}{configurationOf(fn, ref.qualifier), code{RepositoryType: "S3"}})
}

// getFunctionConfigurationAPI is GetFunctionConfiguration:
// GET /2015-03-31/functions/:name/configuration.
func (s *Server) getFunctionConfigurationAPI(c echo.Context) error {
	fn, ref, err := s.functionForRead(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, configurationOf(fn, ref.qualifier))
}

func (s *Server) functionForRead(c echo.Context) (lambdadeck.Function, functionRef, error) {
	ref, err := parseFunctionRef(c)
	if err != nil {
		return lambdadeck.Function{}, ref, err
	}
	fn, err := s.lookupFunction(ref)
	return fn, ref, err
}

// packageType is the function's PackageType as the API reports it.
func packageType(fn lambdadeck.Function) string {
	if fn.PackageType == "Image" {
		return "Image"
	}
	return "Zip"
}
