package sam

import (
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// Values only a deployed stack has (a table's ARN, a queue's URL) are given
// stand-ins here, as sam local does for Ref: a Ref to a resource is its
// logical ID, and GetAtt an attribute of the right shape for the resource's
// type, named after the resource's name property (TableName, QueueName...)
// when the template sets it, else its logical ID, in the stack's account and
// Region. --parameter-overrides Table=... and Table.Arn=... replace them.

// nameProperty is the property that names a resource of each type.
var nameProperty = map[string]string{
	"AWS::DynamoDB::Table":             "TableName",
	"AWS::DynamoDB::GlobalTable":       "TableName",
	"AWS::Serverless::SimpleTable":     "TableName",
	"AWS::SQS::Queue":                  "QueueName",
	"AWS::SNS::Topic":                  "TopicName",
	"AWS::S3::Bucket":                  "BucketName",
	"AWS::IAM::Role":                   "RoleName",
	"AWS::Events::EventBus":            "Name",
	"AWS::StepFunctions::StateMachine": "StateMachineName",
	"AWS::Serverless::StateMachine":    "Name",
	"AWS::Kinesis::Stream":             "Name",
	"AWS::SecretsManager::Secret":      "Name",
	"AWS::Logs::LogGroup":              "LogGroupName",
	"AWS::Cognito::UserPool":           "UserPoolName",
	"AWS::Serverless::LayerVersion":    "LayerName",
	"AWS::Lambda::LayerVersion":        "LayerName",
}

// resourceType returns the Type of the resource id.
func (r *resolver) resourceType(id string) string {
	typ, _ := r.resDefs[id]["Type"].(string)
	return typ
}

// resourceName is the physical name a resource would have: its name
// property when that resolves to a plain string, else its logical ID.
func (r *resolver) resourceName(id string) string {
	if name, ok := r.functionName(id); ok {
		return name
	}
	prop, ok := nameProperty[r.resourceType(id)]
	if !ok || r.naming[id] {
		return id
	}
	props, _ := r.resDefs[id]["Properties"].(map[string]any)
	raw, ok := props[prop]
	if !ok {
		return id
	}
	r.naming[id] = true
	defer delete(r.naming, id)
	q := r.quiet()
	if name, ok := q.eval(raw, site{}).(string); ok && name != "" && !q.sawUnresolved() {
		return name
	}
	return id
}

// refValue is what Ref gives for a resource of the template: its logical
// ID, as sam local passes it, except for layers, whose Ref is their ARN.
func (r *resolver) refValue(id string) string {
	switch r.resourceType(id) {
	case serverlessLayer, lambdaLayer:
		return r.arn("lambda", "layer:"+r.resourceName(id)+":1")
	}
	return id
}

// arn builds an ARN in the stack's account and Region.
func (r *resolver) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + r.region + ":" + lambdadeck.DefaultAccountID + ":" + resource
}

// getAtt resolves Fn::GetAtt [resource, attribute] to an override or a
// stand-in; false when it has neither (an unknown resource or attribute).
func (r *resolver) getAtt(arg any, s site) (any, bool) {
	a, ok := r.eval(arg, s).([]any)
	if !ok || len(a) != 2 {
		return nil, false
	}
	id, iok := a[0].(string)
	attr, aok := a[1].(string)
	if !iok || !aok {
		return nil, false
	}
	if v, ok := r.overrides[id+"."+attr]; ok {
		return v, true
	}
	if !r.resources[id] {
		return nil, false
	}
	v, ok := r.attribute(id, attr)
	if !ok {
		return nil, false
	}
	return r.substitute("!GetAtt "+id+"."+attr, v, s), true
}

// attribute is the stand-in for attribute attr of resource id.
func (r *resolver) attribute(id, attr string) (string, bool) {
	name := r.resourceName(id)
	account := lambdadeck.DefaultAccountID
	switch r.resourceType(id) {
	case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable":
		switch attr {
		case "Arn":
			return r.arn("dynamodb", "table/"+name), true
		case "StreamArn":
			return r.arn("dynamodb", "table/"+name+"/stream/1970-01-01T00:00:00.000"), true
		}
	case "AWS::SQS::Queue":
		switch attr {
		case "Arn":
			return r.arn("sqs", name), true
		case "QueueName":
			return name, true
		case "QueueUrl":
			return "https://sqs." + r.region + ".amazonaws.com/" + account + "/" + name, true
		}
	case "AWS::SNS::Topic":
		switch attr {
		case "TopicArn":
			return r.arn("sns", name), true
		case "TopicName":
			return name, true
		}
	case "AWS::S3::Bucket":
		name = strings.ToLower(name)
		switch attr {
		case "Arn":
			return "arn:aws:s3:::" + name, true
		case "DomainName":
			return name + ".s3.amazonaws.com", true
		case "RegionalDomainName":
			return name + ".s3." + r.region + ".amazonaws.com", true
		case "WebsiteURL":
			return "http://" + name + ".s3-website-" + r.region + ".amazonaws.com", true
		}
	case serverlessFunction, lambdaFunction:
		if attr == "Arn" {
			return r.arn("lambda", "function:"+name), true
		}
	case "AWS::IAM::Role":
		switch attr {
		case "Arn":
			return "arn:aws:iam::" + account + ":role/" + name, true
		case "RoleId":
			return "AROALAMBDADECK" + strings.ToUpper(strings.Map(alnum, id)), true
		}
	case "AWS::Events::EventBus":
		switch attr {
		case "Arn":
			return r.arn("events", "event-bus/"+name), true
		case "Name":
			return name, true
		}
	case "AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine":
		switch attr {
		case "Arn":
			return r.arn("states", "stateMachine:"+name), true
		case "Name":
			return name, true
		}
	case "AWS::Kinesis::Stream":
		if attr == "Arn" {
			return r.arn("kinesis", "stream/"+name), true
		}
	case "AWS::SecretsManager::Secret":
		if attr == "Id" {
			return r.arn("secretsmanager", "secret:"+name), true
		}
	case "AWS::Logs::LogGroup":
		if attr == "Arn" {
			return r.arn("logs", "log-group:"+name+":*"), true
		}
	case "AWS::Cognito::UserPool":
		switch attr {
		case "Arn":
			return r.arn("cognito-idp", "userpool/"+r.region+"_"+strings.Map(alnum, id)), true
		case "ProviderName":
			return "cognito-idp." + r.region + ".amazonaws.com/" + r.region + "_" + strings.Map(alnum, id), true
		}
	}
	return "", false
}

// alnum keeps letters and digits.
func alnum(c rune) rune {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return c
	}
	return -1
}

// knownOverride reports whether a --parameter-overrides key names
// something of the template: a parameter, a resource, or
// Resource.Attribute.
func (r *resolver) knownOverride(key string) bool {
	if _, ok := r.params[key]; ok {
		return true
	}
	id, _, _ := strings.Cut(key, ".")
	return r.resources[id]
}

// evalShallow resolves v when it is an intrinsic, and returns a list or map
// as it is, so that its items can be looked at before they are resolved.
func (r *resolver) evalShallow(v any, s site) any {
	if _, _, ok := intrinsic(v); ok {
		return r.eval(v, s)
	}
	return v
}
