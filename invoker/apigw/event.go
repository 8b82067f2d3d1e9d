package apigw

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// MaxRequestBody is API Gateway's 10 MB limit on a request's body; a larger
// one is answered 413.
const MaxRequestBody = 10 * 1024 * 1024

// Request is one HTTP request to the front door.
type Request struct {
	Method   string
	Path     string // the decoded path, as the route sees it
	RawQuery string
	Header   map[string][]string // canonical names
	Body     []byte
	SourceIP string
	Host     string
	Protocol string // HTTP/1.1
	Time     time.Time
	ID       string // API Gateway's request id (requestContext.requestId)
}

func (r *Request) header(name string) string {
	if v := r.Header[canonical(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// requestTime is API Gateway's requestTime format.
const requestTime = "02/Jan/2006:15:04:05 -0700"

// The shapes API Gateway and Function URLs send, with AWS's field names and
// nulls (aws-lambda-go's events types decode them; the tests check that).
type (
	v1Event struct {
		Resource                        string              `json:"resource"`
		Path                            string              `json:"path"`
		HTTPMethod                      string              `json:"httpMethod"`
		Headers                         map[string]string   `json:"headers"`
		MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
		QueryStringParameters           map[string]string   `json:"queryStringParameters"`
		MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
		PathParameters                  map[string]string   `json:"pathParameters"`
		StageVariables                  map[string]string   `json:"stageVariables"`
		RequestContext                  v1Context           `json:"requestContext"`
		Body                            *string             `json:"body"`
		IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	}
	v1Context struct {
		AccountID         string         `json:"accountId"`
		APIID             string         `json:"apiId"`
		Authorizer        map[string]any `json:"authorizer,omitempty"`
		DomainName        string         `json:"domainName"`
		DomainPrefix      string         `json:"domainPrefix"`
		ExtendedRequestID string         `json:"extendedRequestId"`
		HTTPMethod        string         `json:"httpMethod"`
		Identity          v1Identity     `json:"identity"`
		Path              string         `json:"path"`
		Protocol          string         `json:"protocol"`
		RequestID         string         `json:"requestId"`
		RequestTime       string         `json:"requestTime"`
		RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
		ResourceID        string         `json:"resourceId"`
		ResourcePath      string         `json:"resourcePath"`
		Stage             string         `json:"stage"`
	}
	v1Identity struct {
		AccessKey                     *string `json:"accessKey"`
		AccountID                     *string `json:"accountId"`
		Caller                        *string `json:"caller"`
		CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
		CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
		CognitoIdentityID             *string `json:"cognitoIdentityId"`
		CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
		SourceIP                      string  `json:"sourceIp"`
		User                          *string `json:"user"`
		UserAgent                     string  `json:"userAgent"`
		UserArn                       *string `json:"userArn"`
	}
	v2Event struct {
		Version               string            `json:"version"`
		RouteKey              string            `json:"routeKey"`
		RawPath               string            `json:"rawPath"`
		RawQueryString        string            `json:"rawQueryString"`
		Cookies               []string          `json:"cookies,omitempty"`
		Headers               map[string]string `json:"headers"`
		QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
		RequestContext        v2Context         `json:"requestContext"`
		Body                  string            `json:"body,omitempty"`
		PathParameters        map[string]string `json:"pathParameters,omitempty"`
		IsBase64Encoded       bool              `json:"isBase64Encoded"`
		StageVariables        map[string]string `json:"stageVariables,omitempty"`
	}
	v2Context struct {
		AccountID    string         `json:"accountId"`
		APIID        string         `json:"apiId"`
		Authorizer   map[string]any `json:"authorizer,omitempty"`
		DomainName   string         `json:"domainName"`
		DomainPrefix string         `json:"domainPrefix"`
		HTTP         v2HTTP         `json:"http"`
		RequestID    string         `json:"requestId"`
		RouteKey     string         `json:"routeKey"`
		Stage        string         `json:"stage"`
		Time         string         `json:"time"`
		TimeEpoch    int64          `json:"timeEpoch"`
	}
	v2HTTP struct {
		Method    string `json:"method"`
		Path      string `json:"path"`
		Protocol  string `json:"protocol"`
		SourceIP  string `json:"sourceIp"`
		UserAgent string `json:"userAgent"`
	}
)

// apiID is the id the event names the API by: a fake but stable one.
func apiID(a *API) string {
	if a.Kind == URL {
		return "lambdadeck-url-" + strings.ToLower(a.ID)
	}
	return strings.ToLower(a.ID)
}

// domain is the host name AWS would have served the request on.
func domain(a *API) string {
	if a.Kind == URL {
		return apiID(a) + ".lambda-url." + lambdadeck.DefaultRegion + ".on.aws"
	}
	return apiID(a) + ".execute-api." + lambdadeck.DefaultRegion + ".amazonaws.com"
}

// Event builds the event the route's integration sends to its function
// for req, with the authorizer's context (nil for none).
func (m Match) Event(req *Request, authorizer map[string]any) ([]byte, error) {
	r := m.Route
	body, b64 := encodeBody(r.API, req)
	if r.PayloadVersion == "1.0" {
		return json.Marshal(m.v1(req, body, b64, authorizer))
	}
	return json.Marshal(m.v2(req, body, b64, authorizer))
}

// resource is the route's path as API Gateway names the resource.
func (m Match) resource() string {
	if m.Route.Path == DefaultRoute {
		return "/{proxy+}"
	}
	return m.Route.Path
}

func (m Match) v1(req *Request, body string, b64 bool, authorizer map[string]any) v1Event {
	r := m.Route
	ev := v1Event{
		Resource:          m.resource(),
		Path:              m.Path,
		HTTPMethod:        req.Method,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
		PathParameters:    m.PathParams,
		StageVariables:    r.API.StageVariables,
		IsBase64Encoded:   b64,
	}
	for k, vs := range req.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	if q, _ := url.ParseQuery(req.RawQuery); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	if len(req.Body) > 0 {
		ev.Body = &body
	}
	stagePath := "/" + r.API.Stage + m.Path
	if r.API.Kind == HTTP {
		stagePath = m.Path
	}
	ev.RequestContext = v1Context{
		AccountID:         lambdadeck.DefaultAccountID,
		APIID:             apiID(r.API),
		Authorizer:        authorizer,
		DomainName:        domain(r.API),
		DomainPrefix:      apiID(r.API),
		ExtendedRequestID: req.ID,
		HTTPMethod:        req.Method,
		Identity:          v1Identity{SourceIP: req.SourceIP, UserAgent: req.header("User-Agent")},
		Path:              stagePath,
		Protocol:          req.Protocol,
		RequestID:         req.ID,
		RequestTime:       req.Time.UTC().Format(requestTime),
		RequestTimeEpoch:  req.Time.UnixMilli(),
		ResourceID:        resourceID(r),
		ResourcePath:      m.resource(),
		Stage:             r.API.Stage,
	}
	return ev
}

// resourceID is a stable six-character id for the route's resource.
func resourceID(r *Route) string {
	var h uint32 = 2166136261
	for _, c := range []byte(r.API.ID + r.Path) {
		h = (h ^ uint32(c)) * 16777619
	}
	const digits = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 6)
	for i := range out {
		out[i] = digits[h%36]
		h /= 36
	}
	return string(out)
}

func (m Match) v2(req *Request, body string, b64 bool, authorizer map[string]any) v2Event {
	r := m.Route
	routeKey := r.Key()
	if r.API.Kind == URL {
		routeKey = DefaultRoute
	}
	ev := v2Event{
		Version:         "2.0",
		RouteKey:        routeKey,
		RawPath:         m.Path,
		RawQueryString:  req.RawQuery,
		Headers:         map[string]string{},
		Body:            body,
		IsBase64Encoded: b64,
	}
	if r.API.Kind != URL {
		ev.PathParameters = m.PathParams
		ev.StageVariables = r.API.StageVariables
	}
	for k, vs := range req.Header {
		if k == "Cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if q, _ := url.ParseQuery(req.RawQuery); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	rawPath := m.Path
	if r.API.Kind == HTTP && r.API.Stage != "$default" {
		rawPath = "/" + r.API.Stage + m.Path
	}
	ev.RawPath = rawPath
	ev.RequestContext = v2Context{
		AccountID:    lambdadeck.DefaultAccountID,
		APIID:        apiID(r.API),
		Authorizer:   authorizer,
		DomainName:   domain(r.API),
		DomainPrefix: apiID(r.API),
		HTTP: v2HTTP{
			Method: req.Method, Path: rawPath, Protocol: req.Protocol,
			SourceIP: req.SourceIP, UserAgent: req.header("User-Agent"),
		},
		RequestID: req.ID,
		RouteKey:  routeKey,
		Stage:     r.API.Stage,
		Time:      req.Time.UTC().Format(requestTime),
		TimeEpoch: req.Time.UnixMilli(),
	}
	if r.API.Kind == URL {
		ev.RequestContext.AccountID = "anonymous"
	}
	return ev
}

// encodeBody says how the body goes into the event: REST APIs base64 it
// when its content type is one of the API's BinaryMediaTypes; HTTP APIs
// and Function URLs base64 anything that is not text.
func encodeBody(a *API, req *Request) (string, bool) {
	if len(req.Body) == 0 {
		return "", false
	}
	ct := req.header("Content-Type")
	binary := false
	if a.Kind == REST {
		binary = matchesMediaType(a.BinaryMediaTypes, ct)
	} else {
		binary = !isText(ct)
	}
	if binary {
		return base64.StdEncoding.EncodeToString(req.Body), true
	}
	return string(req.Body), false
}

// matchesMediaType reports whether contentType is one of types, which
// may have wildcards (image/*, */*).
func matchesMediaType(types []string, contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	for _, t := range types {
		if ok, _ := path.Match(strings.ToLower(t), mt); ok {
			return true
		}
	}
	return false
}

// isText reports whether a content type is text, which HTTP APIs pass as
// is; an absent one counts as text.
func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded", "application/graphql", "application/yaml":
		return true
	}
	return false
}
