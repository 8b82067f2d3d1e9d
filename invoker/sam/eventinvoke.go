package sam

// EventInvokeConfig and DeadLetterQueue: how Lambda retries a function's
// Event invocations and where it sends their outcomes. A destination that
// names a function of the template (!GetAtt Fn.Arn, !Ref Fn, its ARN or its
// name) is mapped to that function, so lambdadeck can deliver to it; other
// targets keep their ARN as written.

import (
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Lambda's bounds on EventInvokeConfig.
const (
	maxRetryAttempts   = 2
	minEventAgeSeconds = 60
	maxEventAgeSeconds = 6 * 60 * 60
)

// eventInvoke reads an EventInvokeConfig (SAM's property, or the properties
// of an AWS::Lambda::EventInvokeConfig resource) into cfg.
func (l *loader) eventInvoke(name string, raw any, cfg *lambdadeck.EventInvokeConfig, where string) {
	m, ok := l.shallow(raw, site{name, where}).(map[string]any)
	if !ok {
		l.warn("%s: %s is not a map; ignored", name, where)
		return
	}
	if v, ok := m["MaximumRetryAttempts"]; ok {
		v = l.resolver.eval(v, site{name, where + ".MaximumRetryAttempts"})
		if n, ok := wholeNumber(v); ok && n >= 0 && n <= maxRetryAttempts {
			retries := int(n)
			cfg.MaximumRetryAttempts = &retries
		} else {
			l.warn("%s: %s.MaximumRetryAttempts %s is not a whole number from 0 to %d; using %d",
				name, where, renderArg(v), maxRetryAttempts, lambdadeck.DefaultMaxRetryAttempts)
		}
	}
	if v, ok := m["MaximumEventAgeInSeconds"]; ok {
		v = l.resolver.eval(v, site{name, where + ".MaximumEventAgeInSeconds"})
		if n, ok := wholeNumber(v); ok && n >= minEventAgeSeconds && n <= maxEventAgeSeconds {
			cfg.MaximumEventAge = time.Duration(n) * time.Second
		} else {
			l.warn("%s: %s.MaximumEventAgeInSeconds %s is not a whole number from %d to %d; using %d",
				name, where, renderArg(v), minEventAgeSeconds, maxEventAgeSeconds, int(lambdadeck.DefaultMaxEventAge/time.Second))
		}
	}
	if v, ok := m["DestinationConfig"]; ok {
		dc, ok := l.shallow(v, site{name, where + ".DestinationConfig"}).(map[string]any)
		if !ok {
			l.warn("%s: %s.DestinationConfig is not a map; ignored", name, where)
			return
		}
		for _, side := range []string{"OnSuccess", "OnFailure"} {
			raw, ok := dc[side]
			if !ok {
				continue
			}
			d, ok := l.destination(name, raw, where+".DestinationConfig."+side, "Destination")
			if !ok {
				continue
			}
			if side == "OnSuccess" {
				cfg.OnSuccess = d
			} else {
				cfg.OnFailure = d
			}
		}
	}
}

// deadLetterQueue reads SAM's DeadLetterQueue {Type: SQS|SNS, TargetArn} or
// CloudFormation's DeadLetterConfig {TargetArn}.
func (l *loader) deadLetterQueue(name string, raw any, property string) (lambdadeck.Destination, bool) {
	return l.destination(name, raw, property, "TargetArn")
}

// destination reads one {Type, Destination} (or {Type, TargetArn}). Type
// may be absent (CloudFormation's resource): it is then read from the ARN.
func (l *loader) destination(name string, raw any, where, targetKey string) (lambdadeck.Destination, bool) {
	m, ok := l.shallow(raw, site{name, where}).(map[string]any)
	if !ok {
		l.warn("%s: %s is not a map; ignored", name, where)
		return lambdadeck.Destination{}, false
	}
	var d lambdadeck.Destination
	if v, ok := m["Type"]; ok {
		s, ok := stringify(l.resolver.eval(v, site{name, where + ".Type"}))
		if !ok {
			l.warn("%s: %s.Type is not a string; ignored", name, where)
			return d, false
		}
		d.Type = s
	}
	target, ok := m[targetKey]
	if !ok {
		l.warn("%s: %s has no %s; ignored", name, where, targetKey)
		return d, false
	}
	if fn, ok := l.functionTarget(target); ok {
		d.Target = fn
		if d.Type == "" {
			d.Type = "Lambda"
		}
	} else {
		s, ok := stringify(l.resolver.quiet().eval(target, site{name, where + "." + targetKey}))
		if !ok {
			l.warn("%s: %s.%s is not a string; ignored", name, where, targetKey)
			return d, false
		}
		d.Target = s
		if d.Type == "" {
			d.Type = typeOfARN(s)
		}
		if d.Type == "Lambda" {
			if fn, ok := l.functionByARN(s); ok {
				d.Target = fn
			}
		}
	}
	switch d.Type {
	case "Lambda", "SQS", "SNS", "EventBridge", "S3":
	default:
		l.warn("%s: %s.Type %q is not Lambda, SQS, SNS, EventBridge or S3; ignored", name, where, d.Type)
		return lambdadeck.Destination{}, false
	}
	return d, true
}

// functionTarget maps !GetAtt Fn.Arn and !Ref Fn of a function in the
// template to the function's name.
func (l *loader) functionTarget(raw any) (string, bool) {
	name, arg, ok := intrinsic(raw)
	if !ok {
		return "", false
	}
	var id string
	switch name {
	case "Fn::GetAtt":
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 && a[1] == "Arn" {
				id, _ = a[0].(string)
			}
		case string:
			if res, att, ok := strings.Cut(a, "."); ok && att == "Arn" {
				id = res
			}
		}
	case "Ref":
		id, _ = arg.(string)
	}
	if id == "" {
		return "", false
	}
	return l.functionName(id)
}

// functionByARN maps a function ARN (or a bare name) to a function of the
// template.
func (l *loader) functionByARN(s string) (string, bool) {
	name := s
	if i := strings.Index(s, ":function:"); i >= 0 {
		name = s[i+len(":function:"):]
		name, _, _ = strings.Cut(name, ":") // drop a qualifier
	}
	for id := range l.resources {
		if fn, ok := l.functionName(id); ok && fn == name {
			return fn, true
		}
	}
	return "", false
}

// typeOfARN is the destination type an ARN names.
func typeOfARN(arn string) string {
	switch {
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":sqs:"):
		return "SQS"
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":sns:"):
		return "SNS"
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":events:"):
		return "EventBridge"
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":s3:"):
		return "S3"
	}
	return "Lambda"
}

// eventInvokeResources applies the template's AWS::Lambda::EventInvokeConfig
// resources to their functions ($LATEST or no qualifier only).
func (l *loader) eventInvokeResources(fns []lambdadeck.Function) {
	for _, id := range sortedKeys(l.resources) {
		res, ok := l.resources[id].(map[string]any)
		if !ok || res["Type"] != "AWS::Lambda::EventInvokeConfig" {
			continue
		}
		props, ok := res["Properties"].(map[string]any)
		if !ok {
			l.warn("%s: its Properties is not a map; ignored", id)
			continue
		}
		target, ok := l.functionTarget(props["FunctionName"])
		if !ok {
			s, _ := stringify(l.resolver.quiet().eval(props["FunctionName"], site{id, "FunctionName"}))
			if target, ok = l.functionByARN(s); !ok {
				l.warn("%s: FunctionName does not name a function of the template; ignored", id)
				continue
			}
		}
		if q, _ := stringify(l.resolver.quiet().eval(props["Qualifier"], site{id, "Qualifier"})); q != "" && q != lambdadeck.LatestVersion {
			l.warn("%s: Qualifier %s is not $LATEST, the only version lambdadeck runs; ignored", id, q)
			continue
		}
		for i := range fns {
			if fns[i].Name == target {
				l.eventInvoke(target, props, &fns[i].EventInvoke, id)
			}
		}
	}
}

// shallow resolves raw if it is itself an intrinsic (an !If choosing the
// whole map), leaving what is inside for the caller to resolve one by one.
func (l *loader) shallow(raw any, s site) any {
	if _, _, ok := intrinsic(raw); ok {
		return l.resolver.eval(raw, s)
	}
	return raw
}
