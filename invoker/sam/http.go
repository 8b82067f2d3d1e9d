package sam

import "strings"

// Resource types of the HTTP front door.
const (
	serverlessAPI     = "AWS::Serverless::Api"
	serverlessHTTPAPI = "AWS::Serverless::HttpApi"
)

// HTTP is what a template declares for the HTTP front door (API Gateway
// and Function URLs), read but not interpreted: package invoker/apigw turns
// it into routes. Intrinsic functions are resolved as for functions; a Ref
// or GetAtt of one of the template's resources becomes that resource's
// logical ID, so that RestApiId: !Ref MyApi reads "MyApi" and
// FunctionArn: !GetAtt AuthFn.Arn reads "AuthFn".
type HTTP struct {
	// Events are the functions' Events of Type Api and HttpApi, sorted by
	// function, then event name.
	Events []HTTPEvent
	// APIs are the AWS::Serverless::Api and AWS::Serverless::HttpApi
	// resources, with Globals.Api and Globals.HttpApi merged in.
	APIs []HTTPAPI
	// GlobalsAPI and GlobalsHTTPAPI are Globals.Api and Globals.HttpApi,
	// which also apply to the implicit APIs.
	GlobalsAPI     map[string]any
	GlobalsHTTPAPI map[string]any
	// URLs are the functions' FunctionUrlConfig, by function name.
	URLs []FunctionURL
}

// HTTPEvent is one Api or HttpApi event of a function.
type HTTPEvent struct {
	Function   string // the function's name
	Name       string // the event's key under Events
	Type       string // Api or HttpApi
	Properties map[string]any
}

// HTTPAPI is one API resource.
type HTTPAPI struct {
	LogicalID  string
	Type       string // AWS::Serverless::Api or AWS::Serverless::HttpApi
	Properties map[string]any
}

// FunctionURL is one function's FunctionUrlConfig.
type FunctionURL struct {
	Function string
	Config   map[string]any
}

// http reads the front door's part of the template.
func (l *loader) http(globals map[string]any, functions map[string]string) HTTP {
	var h HTTP
	get := func(key string) map[string]any {
		m, _ := l.plainEval(globals[key], site{"Globals", key}).(map[string]any)
		return m
	}
	h.GlobalsAPI, h.GlobalsHTTPAPI = get("Api"), get("HttpApi")
	for _, id := range sortedKeys(l.resources) {
		res, ok := l.resources[id].(map[string]any)
		if !ok {
			continue
		}
		typ, _ := res["Type"].(string)
		switch typ {
		case serverlessAPI, serverlessHTTPAPI:
			props, _ := res["Properties"].(map[string]any)
			g := h.GlobalsAPI
			if typ == serverlessHTTPAPI {
				g = h.GlobalsHTTPAPI
			}
			p, _ := l.plainEval(props, site{id, "Properties"}).(map[string]any)
			h.APIs = append(h.APIs, HTTPAPI{LogicalID: id, Type: typ, Properties: mergeGlobals(g, orEmpty(p))})
		case serverlessFunction:
			name, ok := functions[id]
			if !ok {
				continue // left out by its Condition
			}
			props, ok := l.properties(res)
			if !ok {
				continue
			}
			if events, ok := props["Events"].(map[string]any); ok {
				for _, ev := range sortedKeys(events) {
					m, ok := events[ev].(map[string]any)
					if !ok {
						continue
					}
					t, _ := m["Type"].(string)
					if t != "Api" && t != "HttpApi" {
						continue
					}
					p, _ := l.plainEval(m["Properties"], site{name, "Events." + ev}).(map[string]any)
					h.Events = append(h.Events, HTTPEvent{Function: name, Name: ev, Type: t, Properties: orEmpty(p)})
				}
			}
			if cfg, ok := l.plainEval(props["FunctionUrlConfig"], site{name, "FunctionUrlConfig"}).(map[string]any); ok {
				h.URLs = append(h.URLs, FunctionURL{Function: name, Config: cfg})
			}
		}
	}
	return h
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// plainEval resolves v quietly (the front door reports what it cannot use
// itself), with a Ref or GetAtt of a resource read as its logical ID, and
// unresolved expressions as their literal text.
func (l *loader) plainEval(v any, s site) any {
	return plain(l.resolver.quiet().eval(l.resourceRefs(v), s))
}

// resourceRefs replaces every Ref and GetAtt of one of the template's
// resources in v by the resource's logical ID.
func (l *loader) resourceRefs(v any) any {
	if name, arg, ok := intrinsic(v); ok {
		switch name {
		case "Ref":
			if id, ok := arg.(string); ok && l.resolver.resources[id] {
				return id
			}
		case "Fn::GetAtt":
			var id string
			switch a := arg.(type) {
			case string:
				id, _, _ = strings.Cut(a, ".")
			case []any:
				if len(a) > 0 {
					id, _ = a[0].(string)
				}
			}
			if l.resolver.resources[id] {
				return id
			}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = l.resourceRefs(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = l.resourceRefs(item)
		}
		return out
	}
	return v
}

// plain converts unresolved values to strings, so that callers outside
// this package see only plain values.
func plain(v any) any {
	switch v := v.(type) {
	case unresolved:
		return string(v)
	case noValue:
		return nil
	case map[string]any:
		for k, item := range v {
			v[k] = plain(item)
		}
	case []any:
		for i, item := range v {
			v[i] = plain(item)
		}
	}
	return v
}
