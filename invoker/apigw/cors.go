package apigw

import (
	"fmt"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// Cors is an API's CORS configuration: the REST API's Cors or the HTTP
// API's (and Function URL's) CorsConfiguration.
type Cors struct {
	AllowOrigins     []string // "*" allows any
	AllowMethods     []string // "*" allows any
	AllowHeaders     []string // "*" allows any
	ExposeHeaders    []string
	MaxAge           int // seconds; 0 sends none
	AllowCredentials bool
}

// parseRESTCors reads a REST API's Cors: a string (the allowed origin) or
// a map whose values are quoted as SAM wants them ("'*'").
func parseRESTCors(v any) (*Cors, error) {
	unquote := func(s string) string { return strings.Trim(strings.TrimSpace(s), "'") }
	list := func(s string) []string {
		var out []string
		for _, p := range strings.Split(unquote(s), ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	c := &Cors{AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
	switch v := v.(type) {
	case string:
		c.AllowOrigins = []string{unquote(v)}
		return c, nil
	case map[string]any:
		o, ok := v["AllowOrigin"].(string)
		if !ok {
			return nil, fmt.Errorf("AllowOrigin is missing or not a string")
		}
		c.AllowOrigins = []string{unquote(o)}
		if s, ok := v["AllowMethods"].(string); ok {
			c.AllowMethods = list(s)
		}
		if s, ok := v["AllowHeaders"].(string); ok {
			c.AllowHeaders = list(s)
		}
		if s, ok := v["MaxAge"].(string); ok {
			c.MaxAge, _ = strconv.Atoi(unquote(s))
		}
		if b, ok := v["AllowCredentials"].(bool); ok {
			c.AllowCredentials = b
		}
		return c, nil
	}
	return nil, fmt.Errorf("it is neither a string nor a map")
}

// parseHTTPCors reads an HTTP API's CorsConfiguration (true allows any
// origin) or a Function URL's Cors.
func parseHTTPCors(v any) (*Cors, error) {
	switch v := v.(type) {
	case bool:
		if !v {
			return nil, nil
		}
		return &Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}, nil
	case map[string]any:
		c := &Cors{}
		strs := func(key string) []string {
			var out []string
			if list, ok := v[key].([]any); ok {
				for _, item := range list {
					if s, ok := item.(string); ok {
						out = append(out, s)
					}
				}
			}
			return out
		}
		c.AllowOrigins, c.AllowMethods, c.AllowHeaders, c.ExposeHeaders = strs("AllowOrigins"), strs("AllowMethods"), strs("AllowHeaders"), strs("ExposeHeaders")
		c.MaxAge = int(ttl(v["MaxAge"], 0).Seconds())
		c.AllowCredentials, _ = v["AllowCredentials"].(bool)
		return c, nil
	}
	return nil, fmt.Errorf("it is neither true/false nor a map")
}

// allowsOrigin reports whether origin may call the API, and the value of
// Access-Control-Allow-Origin to send.
func (c *Cors) allowsOrigin(origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin, true
			}
			return "*", true
		}
		if strings.EqualFold(o, origin) {
			return origin, true
		}
	}
	return "", false
}

// Preflight answers an OPTIONS request with Origin and
// Access-Control-Request-Method as API Gateway does for an API with CORS:
// 204 with the Access-Control-Allow-* headers when the origin is allowed,
// 204 without them otherwise. ok is false when req is no preflight.
func (c *Cors) Preflight(req *Request) (resp *Response, ok bool) {
	if c == nil || req.Method != "OPTIONS" || req.header("Origin") == "" || req.header("Access-Control-Request-Method") == "" {
		return nil, false
	}
	resp = &Response{Status: 204, Header: map[string][]string{}}
	origin, allowed := c.allowsOrigin(req.header("Origin"))
	method := strings.ToUpper(req.header("Access-Control-Request-Method"))
	if !allowed || !(slices.Contains(c.AllowMethods, "*") || containsFold(c.AllowMethods, method)) {
		return resp, true
	}
	h := resp.Header
	h["Access-Control-Allow-Origin"] = []string{origin}
	if slices.Contains(c.AllowMethods, "*") {
		h["Access-Control-Allow-Methods"] = []string{"DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"}
	} else {
		h["Access-Control-Allow-Methods"] = []string{strings.Join(c.AllowMethods, ",")}
	}
	if want := req.header("Access-Control-Request-Headers"); want != "" {
		if slices.Contains(c.AllowHeaders, "*") {
			h["Access-Control-Allow-Headers"] = []string{want}
		} else if len(c.AllowHeaders) > 0 {
			h["Access-Control-Allow-Headers"] = []string{strings.Join(c.AllowHeaders, ",")}
		}
	}
	if c.MaxAge > 0 {
		h["Access-Control-Max-Age"] = []string{strconv.Itoa(c.MaxAge)}
	}
	if c.AllowCredentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	if origin != "*" {
		h["Vary"] = []string{"Origin"}
	}
	return resp, true
}

// Decorate adds the CORS headers of an actual (not preflight) response
// when the request's origin is allowed; headers the function set win.
func (c *Cors) Decorate(req *Request, resp *Response) {
	if c == nil {
		return
	}
	origin, ok := c.allowsOrigin(req.header("Origin"))
	if !ok {
		return
	}
	set := func(k, v string) {
		if _, exists := resp.Header[k]; !exists {
			resp.Header[k] = []string{v}
		}
	}
	set("Access-Control-Allow-Origin", origin)
	if len(c.ExposeHeaders) > 0 {
		set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		set("Access-Control-Allow-Credentials", "true")
	}
	if origin != "*" {
		set("Vary", "Origin")
	}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// canonical is the canonical form of a header name.
func canonical(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
