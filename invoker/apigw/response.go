package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// Response is the HTTP answer of the front door.
type Response struct {
	Status int
	Header map[string][]string // canonical names
	Body   []byte
}

// Fixed answers of API Gateway.
var (
	InternalServerError = jsonResponse(502, `{"message":"Internal server error"}`)
	EndpointTimedOut    = jsonResponse(504, `{"message":"Endpoint request timed out"}`)
	RequestTooLarge     = jsonResponse(413, `{"message":"Request Entity Too Large"}`)
	Unauthorized        = jsonResponse(401, `{"message":"Unauthorized"}`)
	Forbidden           = jsonResponse(403, `{"message":"Forbidden"}`)
	ExplicitDeny        = jsonResponse(403, `{"message":"User is not authorized to access this resource with an explicit deny"}`)
	AuthorizerFailure   = jsonResponse(500, `{"message":null}`)
)

func jsonResponse(status int, body string) Response {
	return Response{Status: status, Header: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

// Clone returns a copy whose header map may be changed.
func (r Response) Clone() *Response {
	h := make(map[string][]string, len(r.Header))
	for k, v := range r.Header {
		h[k] = append([]string(nil), v...)
	}
	return &Response{Status: r.Status, Header: h, Body: r.Body}
}

// NoRouteResponse is the answer for a request no route matched.
func NoRouteResponse(n *NoMatch) *Response {
	r := jsonResponse(n.Status, n.Body)
	return &r
}

// proxyResponse is what a Lambda proxy integration returns.
type proxyResponse struct {
	StatusCode        *int             `json:"statusCode"`
	Headers           map[string]any   `json:"headers"`
	MultiValueHeaders map[string][]any `json:"multiValueHeaders"`
	Cookies           []string         `json:"cookies"`
	Body              *string          `json:"body"`
	IsBase64Encoded   bool             `json:"isBase64Encoded"`
}

// MapResponse turns the payload a function returned into the HTTP
// response, as the route's integration does. An error means the response
// was malformed: API Gateway answers 502 Internal server error, and the
// error says why, for the history.
func (m Match) MapResponse(req *Request, payload []byte) (*Response, error) {
	r := m.Route
	trimmed := bytes.TrimSpace(payload)
	if r.PayloadVersion == "2.0" && !looksStructured(trimmed) {
		// HTTP APIs (2.0) and Function URLs take any JSON that is not an
		// object with a statusCode as the body of a 200.
		body := trimmed
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			body = []byte(s)
		}
		return &Response{Status: 200, Header: map[string][]string{"Content-Type": {"application/json"}}, Body: body}, nil
	}
	var pr proxyResponse
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&pr); err != nil {
		return nil, fmt.Errorf("the function's response is not a JSON object API Gateway can map: %v", err)
	}
	if pr.StatusCode == nil {
		return nil, fmt.Errorf("the function's response has no statusCode")
	}
	if *pr.StatusCode < 100 || *pr.StatusCode > 599 {
		return nil, fmt.Errorf("the function's response has statusCode %d, not a valid HTTP status", *pr.StatusCode)
	}
	resp := &Response{Status: *pr.StatusCode, Header: map[string][]string{}}
	for k, v := range pr.MultiValueHeaders {
		for _, item := range v {
			s, err := scalar(item)
			if err != nil {
				return nil, fmt.Errorf("multiValueHeaders.%s: %v", k, err)
			}
			resp.Header[canonical(k)] = append(resp.Header[canonical(k)], s)
		}
	}
	for k, v := range pr.Headers {
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("headers.%s: %v", k, err)
		}
		if _, dup := pr.MultiValueHeaders[k]; dup && r.PayloadVersion == "1.0" {
			continue // multiValueHeaders wins over headers for the same name
		}
		resp.Header[canonical(k)] = []string{s}
	}
	if r.PayloadVersion == "2.0" {
		resp.Header["Set-Cookie"] = append(resp.Header["Set-Cookie"], pr.Cookies...)
		if len(resp.Header["Set-Cookie"]) == 0 {
			delete(resp.Header, "Set-Cookie")
		}
		if _, ok := resp.Header["Content-Type"]; !ok && pr.Body != nil {
			resp.Header["Content-Type"] = []string{"text/plain; charset=utf-8"}
		}
	}
	if pr.Body != nil {
		resp.Body = []byte(*pr.Body)
		if pr.IsBase64Encoded {
			decode := true
			if r.API.Kind == REST {
				// A REST API turns base64 back into bytes only for its
				// binary media types; otherwise the text goes out as is.
				decode = matchesMediaType(r.API.BinaryMediaTypes, first(resp.Header["Content-Type"])) ||
					matchesMediaType(r.API.BinaryMediaTypes, req.header("Accept"))
			}
			if decode {
				b, err := base64.StdEncoding.DecodeString(*pr.Body)
				if err != nil {
					return nil, fmt.Errorf("isBase64Encoded is true but the body is not base64: %v", err)
				}
				resp.Body = b
			}
		}
	}
	if r.PayloadVersion == "1.0" {
		if _, ok := resp.Header["Content-Type"]; !ok {
			resp.Header["Content-Type"] = []string{"application/json"}
		}
	}
	return resp, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// looksStructured reports whether a 2.0 payload is an object with a
// statusCode, which API Gateway maps field by field.
func looksStructured(payload []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	_, ok := probe["statusCode"]
	return ok
}

// scalar renders a header value: a string, number or boolean.
func scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("a header value must be a string, number or boolean")
}

// HTTPIntegrationContentType is the content type of a streamed response
// that starts with an HTTP integration prelude.
const HTTPIntegrationContentType = "application/vnd.awslambda.http-integration-response"

// StreamPrelude reads the start of a streamed Function URL response: an
// HTTP integration prelude (JSON {statusCode, headers, cookies}, then 8
// NUL bytes, reference §1.7) gives the status and headers, and the body
// starts after it; a stream that starts otherwise is a 200 whose body is
// the bytes. ok is false while it cannot tell yet. final says the stream
// has ended, with contentType the one the runtime posted.
func StreamPrelude(streamed []byte, final bool, contentType string) (resp *Response, bodyStart int, ok bool, err error) {
	plain := func() (*Response, int, bool, error) {
		ct := contentType
		if ct == "" || ct == HTTPIntegrationContentType {
			ct = "application/octet-stream"
		}
		return &Response{Status: 200, Header: map[string][]string{"Content-Type": {ct}}}, 0, true, nil
	}
	if final && contentType != HTTPIntegrationContentType {
		return plain()
	}
	if len(streamed) == 0 {
		if final {
			return plain()
		}
		return nil, 0, false, nil
	}
	if streamed[0] != '{' && !final {
		return plain()
	}
	i := bytes.Index(streamed, make([]byte, 8))
	if i < 0 {
		if final {
			return plain()
		}
		return nil, 0, false, nil
	}
	var p struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Cookies    []string          `json:"cookies"`
	}
	if err := json.Unmarshal(streamed[:i], &p); err != nil {
		return nil, 0, false, fmt.Errorf("the stream's HTTP prelude is not JSON: %v", err)
	}
	if p.StatusCode == 0 {
		p.StatusCode = 200
	}
	resp = &Response{Status: p.StatusCode, Header: map[string][]string{}}
	for k, v := range p.Headers {
		resp.Header[canonical(k)] = []string{v}
	}
	if len(p.Cookies) > 0 {
		resp.Header["Set-Cookie"] = append(resp.Header["Set-Cookie"], p.Cookies...)
	}
	if _, ok := resp.Header["Content-Type"]; !ok {
		resp.Header["Content-Type"] = []string{"application/octet-stream"}
	}
	return resp, i + 8, true, nil
}
