package apigw

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// AuthType is the kind of an authorizer.
type AuthType string

const (
	TokenAuthorizer   AuthType = "TOKEN"   // Lambda, REST: the token from one header
	RequestAuthorizer AuthType = "REQUEST" // Lambda: the whole request
	JWTAuthorizer     AuthType = "JWT"     // HTTP API JwtConfiguration
	CognitoAuthorizer AuthType = "COGNITO" // REST UserPoolArn
)

// defaultAuthTTL is ReauthorizeEvery's default: 300 seconds.
const defaultAuthTTL = 300 * time.Second

// Authorizer is one authorizer of an API.
type Authorizer struct {
	Name     string
	Type     AuthType
	API      Kind
	Function string // the authorizer function, for Lambda authorizers
	// Header is the token's header (TOKEN, JWT, COGNITO).
	Header string
	// Headers and QueryStrings are a REQUEST authorizer's identity
	// sources: a request lacking one is refused with 401.
	Headers      []string
	QueryStrings []string
	TTL          time.Duration // 0 disables caching
	// PayloadVersion is an HTTP API Lambda authorizer's event format
	// ("1.0" or "2.0"); SimpleResponses its EnableSimpleResponses.
	PayloadVersion  string
	SimpleResponses bool
}

// Lambda reports whether the authorizer runs a function.
func (z *Authorizer) Lambda() bool { return z.Type == TokenAuthorizer || z.Type == RequestAuthorizer }

// parseAuthorizer reads one entry of an API's Auth.Authorizers.
func parseAuthorizer(name string, kind Kind, cfg map[string]any, byLogicalID map[string]string) (*Authorizer, error) {
	if cfg == nil {
		return nil, fmt.Errorf("it is not a map")
	}
	z := &Authorizer{Name: name, API: kind, Header: "Authorization", TTL: defaultAuthTTL, PayloadVersion: "2.0"}
	identity, _ := cfg["Identity"].(map[string]any)
	strs := func(v any) []string {
		var out []string
		list, _ := v.([]any)
		for _, item := range list {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if identity != nil {
		if h, ok := identity["Header"].(string); ok && h != "" {
			z.Header = h
		}
		z.Headers, z.QueryStrings = strs(identity["Headers"]), strs(identity["QueryStrings"])
		z.TTL = ttl(identity["ReauthorizeEvery"], defaultAuthTTL)
	}
	switch {
	case cfg["FunctionArn"] != nil:
		fn, err := functionOf(cfg["FunctionArn"], byLogicalID)
		if err != nil {
			return nil, err
		}
		z.Function = fn
		if kind == REST {
			z.Type = TokenAuthorizer
			if t, _ := cfg["FunctionPayloadType"].(string); t == "REQUEST" {
				z.Type = RequestAuthorizer
			} else if t != "" && t != "TOKEN" {
				return nil, fmt.Errorf("FunctionPayloadType %q is not TOKEN or REQUEST", t)
			}
		} else {
			z.Type = RequestAuthorizer
			if v, ok := cfg["AuthorizerPayloadFormatVersion"]; ok {
				s := fmt.Sprint(v)
				if s == "1" {
					s = "1.0"
				}
				if s != "1.0" && s != "2.0" {
					return nil, fmt.Errorf("AuthorizerPayloadFormatVersion %v is not 1.0 or 2.0", v)
				}
				z.PayloadVersion = s
			}
			z.SimpleResponses, _ = cfg["EnableSimpleResponses"].(bool)
			if z.SimpleResponses && z.PayloadVersion != "2.0" {
				return nil, fmt.Errorf("EnableSimpleResponses needs AuthorizerPayloadFormatVersion 2.0")
			}
		}
	case cfg["UserPoolArn"] != nil && kind == REST:
		z.Type = CognitoAuthorizer
	case cfg["JwtConfiguration"] != nil && kind == HTTP:
		z.Type = JWTAuthorizer
		if src, ok := cfg["IdentitySource"].(string); ok {
			h, ok := strings.CutPrefix(src, "$request.header.")
			if !ok {
				return nil, fmt.Errorf("IdentitySource %q is not $request.header.NAME", src)
			}
			z.Header = h
		}
	default:
		return nil, fmt.Errorf("it has no FunctionArn, UserPoolArn (REST) or JwtConfiguration (HTTP API)")
	}
	return z, nil
}

// functionOf names the function a FunctionArn refers to: a logical ID
// (from !GetAtt Fn.Arn), a function ARN, or a name.
func functionOf(v any, byLogicalID map[string]string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("FunctionArn is not a string")
	}
	if name, ok := byLogicalID[s]; ok {
		return name, nil
	}
	if _, after, ok := strings.Cut(s, ":function:"); ok {
		name, _, _ := strings.Cut(after, ":")
		for _, n := range byLogicalID {
			if n == name {
				return name, nil
			}
		}
	}
	for _, n := range byLogicalID {
		if n == s {
			return s, nil
		}
	}
	return "", fmt.Errorf("FunctionArn %s is not a function of the template", s)
}

// methodArn is the ARN API Gateway names the request by in authorizer
// events.
func (m Match) methodArn(req *Request) string {
	a := m.Route.API
	return "arn:aws:execute-api:" + lambdadeck.DefaultRegion + ":" + lambdadeck.DefaultAccountID + ":" +
		apiID(a) + "/" + a.Stage + "/" + req.Method + m.Path
}

// identity returns the authorizer's identity source values for req, or
// false when one is missing (API Gateway answers 401 without calling it).
func (z *Authorizer) identity(req *Request) ([]string, bool) {
	var out []string
	switch z.Type {
	case TokenAuthorizer, JWTAuthorizer, CognitoAuthorizer:
		v := req.header(z.Header)
		if v == "" {
			return nil, false
		}
		return []string{v}, true
	}
	q, _ := url.ParseQuery(req.RawQuery)
	for _, h := range z.Headers {
		v := req.header(h)
		if v == "" {
			return nil, false
		}
		out = append(out, v)
	}
	for _, k := range z.QueryStrings {
		v := q.Get(k)
		if v == "" {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// AuthCall is a Lambda authorizer call to make: the function and its event.
type AuthCall struct {
	Function string
	Event    []byte
	cacheKey string
}

// AuthResult is what an authorizer decided.
type AuthResult struct {
	// Response is set when the request is refused (401, 403, 500).
	Response *Response
	// Context is requestContext.authorizer for an allowed request.
	Context map[string]any
	// Call is set when a Lambda authorizer must run first: run it, then
	// pass its outcome to Gateway.Decide.
	Call *AuthCall
}

// Authorize starts authorizing req for m's route: with no authorizer, or
// a JWT/Cognito one, it decides at once; a Lambda authorizer's cached
// decision is used while fresh; otherwise the result asks for a call.
func (c *AuthCache) Authorize(m Match, req *Request) AuthResult {
	z := m.Route.Authorizer
	if z == nil {
		return AuthResult{}
	}
	ids, ok := z.identity(req)
	if !ok {
		return AuthResult{Response: Unauthorized.Clone()}
	}
	switch z.Type {
	case JWTAuthorizer, CognitoAuthorizer:
		return jwtResult(z, ids[0])
	}
	key := m.Route.API.ID + "\x00" + z.Name + "\x00" + strings.Join(ids, "\x00")
	if payload, ok := c.get(key); ok && z.TTL > 0 {
		return z.decide(m, req, payload)
	}
	ev, err := z.event(m, req, ids)
	if err != nil {
		return AuthResult{Response: AuthorizerFailure.Clone()}
	}
	return AuthResult{Call: &AuthCall{Function: z.Function, Event: ev, cacheKey: key}}
}

// Decide reads a Lambda authorizer's outcome: its payload when it
// succeeded, failed when it returned an error. A decision is cached for
// the authorizer's TTL.
func (c *AuthCache) Decide(m Match, req *Request, call *AuthCall, payload []byte, failed bool) AuthResult {
	z := m.Route.Authorizer
	if failed {
		// A failing authorizer is 500 on AWS; "Unauthorized" as the error
		// message is how a TOKEN authorizer asks for 401.
		var fe lambdadeck.FunctionError
		if json.Unmarshal(payload, &fe) == nil && fe.Message == "Unauthorized" {
			return AuthResult{Response: Unauthorized.Clone()}
		}
		return AuthResult{Response: AuthorizerFailure.Clone()}
	}
	res := z.decide(m, req, payload)
	if res.Response == nil || res.Response.Status == 403 {
		if z.TTL > 0 {
			c.put(call.cacheKey, payload, z.TTL)
		}
	}
	return res
}

// decide applies an authorizer's response to the request.
func (z *Authorizer) decide(m Match, req *Request, payload []byte) AuthResult {
	deny := ExplicitDeny
	if z.API == HTTP {
		deny = Forbidden
	}
	if z.SimpleResponses {
		var sr struct {
			IsAuthorized *bool          `json:"isAuthorized"`
			Context      map[string]any `json:"context"`
		}
		if json.Unmarshal(payload, &sr) != nil || sr.IsAuthorized == nil {
			return AuthResult{Response: AuthorizerFailure.Clone()}
		}
		if !*sr.IsAuthorized {
			return AuthResult{Response: deny.Clone()}
		}
		return AuthResult{Context: map[string]any{"lambda": orEmptyMap(sr.Context)}}
	}
	var pr struct {
		PrincipalID    string `json:"principalId"`
		PolicyDocument struct {
			Statement []struct {
				Effect   string `json:"Effect"`
				Action   any    `json:"Action"`
				Resource any    `json:"Resource"`
			} `json:"Statement"`
		} `json:"policyDocument"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(payload, &pr); err != nil || len(pr.PolicyDocument.Statement) == 0 {
		return AuthResult{Response: AuthorizerFailure.Clone()}
	}
	arn := m.methodArn(req)
	allowed := false
	for _, st := range pr.PolicyDocument.Statement {
		if !matchesAny(st.Resource, arn) {
			continue
		}
		switch strings.ToLower(st.Effect) {
		case "deny":
			return AuthResult{Response: deny.Clone()}
		case "allow":
			allowed = true
		}
	}
	if !allowed {
		return AuthResult{Response: deny.Clone()}
	}
	if z.API == HTTP {
		ctx := orEmptyMap(pr.Context)
		return AuthResult{Context: map[string]any{"lambda": ctx, "principalId": pr.PrincipalID}}
	}
	ctx := map[string]any{"principalId": pr.PrincipalID}
	for k, v := range pr.Context {
		ctx[k] = v
	}
	return AuthResult{Context: ctx}
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// matchesAny reports whether a policy's Resource (a string or a list,
// with * and ? wildcards) covers arn.
func matchesAny(resource any, arn string) bool {
	var list []string
	switch r := resource.(type) {
	case string:
		list = []string{r}
	case []any:
		for _, item := range r {
			if s, ok := item.(string); ok {
				list = append(list, s)
			}
		}
	}
	for _, pattern := range list {
		// IAM's * crosses slashes; path.Match's does not, so slashes are
		// swapped out first.
		p := strings.ReplaceAll(pattern, "/", "\x01")
		a := strings.ReplaceAll(arn, "/", "\x01")
		if ok, _ := path.Match(p, a); ok {
			return true
		}
	}
	return false
}

// event builds the authorizer function's event.
func (z *Authorizer) event(m Match, req *Request, ids []string) ([]byte, error) {
	arn := m.methodArn(req)
	if z.Type == TokenAuthorizer {
		return json.Marshal(map[string]any{"type": "TOKEN", "authorizationToken": ids[0], "methodArn": arn})
	}
	body, b64 := encodeBody(m.Route.API, req)
	if z.API == REST || z.PayloadVersion == "1.0" {
		ev := m.v1(req, body, b64, nil)
		var fields map[string]any
		b, _ := json.Marshal(ev)
		if err := json.Unmarshal(b, &fields); err != nil {
			return nil, err
		}
		delete(fields, "body")
		delete(fields, "isBase64Encoded")
		fields["type"] = "REQUEST"
		fields["methodArn"] = arn
		if z.API == HTTP {
			fields["identitySource"] = strings.Join(ids, ",")
			fields["version"] = "1.0"
		}
		return json.Marshal(fields)
	}
	ev := m.v2(req, body, b64, nil)
	var fields map[string]any
	b, _ := json.Marshal(ev)
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	delete(fields, "body")
	delete(fields, "isBase64Encoded")
	fields["type"] = "REQUEST"
	fields["routeArn"] = arn
	fields["identitySource"] = ids
	return json.Marshal(fields)
}

// jwtResult decodes a bearer token's claims into the authorizer context.
// The signature is NOT verified, nor the issuer, audience or expiry: the
// front door is for local development.
func jwtResult(z *Authorizer, token string) AuthResult {
	token = strings.TrimSpace(token)
	if t, ok := strings.CutPrefix(token, "Bearer "); ok {
		token = strings.TrimSpace(t)
	} else if t, ok := strings.CutPrefix(token, "bearer "); ok {
		token = strings.TrimSpace(t)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return AuthResult{Response: Unauthorized.Clone()}
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	var claims map[string]any
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return AuthResult{Response: Unauthorized.Clone()}
	}
	flat := map[string]any{}
	keys := make([]string, 0, len(claims))
	for k := range claims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var scopes []string
	for _, k := range keys {
		switch v := claims[k].(type) {
		case string:
			flat[k] = v
		default:
			b, _ := json.Marshal(v)
			flat[k] = string(b)
		}
	}
	if s, ok := claims["scope"].(string); ok {
		scopes = strings.Fields(s)
	}
	if z.Type == CognitoAuthorizer {
		return AuthResult{Context: map[string]any{"claims": flat}}
	}
	jwt := map[string]any{"claims": flat, "scopes": scopes}
	if scopes == nil {
		jwt["scopes"] = nil
	}
	return AuthResult{Context: map[string]any{"jwt": jwt}}
}

// AuthCache keeps Lambda authorizers' decisions for their TTL. It is safe
// for concurrent use.
type AuthCache struct {
	mu      sync.Mutex
	entries map[string]cached
	now     func() time.Time
}

type cached struct {
	payload []byte
	expires time.Time
}

// NewAuthCache returns an empty cache.
func NewAuthCache() *AuthCache {
	return &AuthCache{entries: map[string]cached{}, now: time.Now}
}

func (c *AuthCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.now().After(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.payload, true
}

func (c *AuthCache) put(key string, payload []byte, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 10000 {
		c.entries = map[string]cached{} // bounded: start over rather than grow
	}
	c.entries[key] = cached{payload: payload, expires: c.now().Add(ttl)}
}

// Clear forgets every cached decision (the template was reloaded).
func (c *AuthCache) Clear() {
	c.mu.Lock()
	c.entries = map[string]cached{}
	c.mu.Unlock()
}
