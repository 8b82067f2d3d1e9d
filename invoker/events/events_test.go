package events

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdadeck/lambdadeck"
)

// samEvents is what `sam local generate-event` offers (aws-sam-cli's
// samcli/lib/generated_sample_events/event-mapping.json): 26 services, 68
// events. The gallery must offer every one under the same name.
var samEvents = map[string][]string{
	"alexa-skills-kit": {"end-session", "intent-answer", "intent-getnewfact", "intent-mycoloris", "intent-recipe", "start-session"},
	"alexa-smart-home": {"smart-home-control-turn-off-request", "smart-home-control-turn-on-request", "smart-home-discovery-request"},
	"alb":              {"request"},
	"apigateway":       {"authorizer", "aws-proxy", "http-api-proxy", "request-authorizer"},
	"appsync":          {"resolver"},
	"batch":            {"get-job", "submit-job"},
	"cloudformation":   {"create-request"},
	"cloudfront": {"ab-test", "access-request-in-response", "http-redirect", "modify-querystring", "modify-response-header",
		"multiple-remote-calls-aggregate-response", "normalize-querystring-to-improve-cache-hit", "redirect-on-viewer-country",
		"redirect-unauthenticated-users", "response-generation", "serve-object-on-viewer-device", "simple-remote-call"},
	"cloudwatch":   {"logs", "scheduled-event"},
	"codecommit":   {"repository"},
	"codepipeline": {"job"},
	"cognito":      {"sync-trigger"},
	"config":       {"item-change-notification", "oversized-item-change-notification", "periodic-rule"},
	"connect":      {"contact-flow-event"},
	"dynamodb":     {"update"},
	"kinesis": {"analytics", "analytics-compressed", "analytics-dynamodb", "analytics-kpl", "apachelog", "cloudwatch-logs-processor",
		"get-records", "kinesis-firehose", "streams-as-source", "syslog"},
	"lex":           {"book-car", "book-hotel", "make-appointment", "order-flowers"},
	"lex-v2":        {"banking-bot", "book-car", "book-hotel"},
	"rekognition":   {"s3-request"},
	"s3":            {"batch-invocation", "delete", "put"},
	"sagemaker":     {"ground-truth-annotation-consolidation", "ground-truth-pre-human"},
	"ses":           {"email-receiving"},
	"sns":           {"notification"},
	"sqs":           {"receive-message"},
	"stepfunctions": {"error"},
	"workmail":      {"email"},
}

// lambdadeckExtras are the events lambdadeck adds to SAM's.
var lambdadeckExtras = map[string][]string{
	"apigateway":        {"request-authorizer-v2"},
	"cloudformation":    {"delete-request", "update-request"},
	"cognito-user-pool": {"custom-message", "post-confirmation", "pre-signup", "pre-token-generation"},
	"eventbridge":       {"custom-event"},
	"function-url":      {"request"},
	"iot":               {"custom-authorizer", "rule"},
	"kafka":             {"msk", "self-managed"},
	"s3-object-lambda":  {"get-object"},
	"sqs":               {"receive-message-batch"},
}

func TestGalleryHasSAMsEventsAndTheExtras(t *testing.T) {
	samCount := 0
	for _, names := range samEvents {
		samCount += len(names)
	}
	if len(samEvents) != 26 || samCount != 68 {
		t.Fatalf("the SAM list in this test has %d services and %d events, want 26 and 68", len(samEvents), samCount)
	}
	have := map[string]bool{}
	for _, s := range Services() {
		for _, e := range s.Events {
			have[s.Name+" "+e.Name] = true
		}
	}
	want := 0
	for _, list := range []map[string][]string{samEvents, lambdadeckExtras} {
		for service, names := range list {
			for _, name := range names {
				want++
				if !have[service+" "+name] {
					t.Errorf("missing %s %s", service, name)
				}
			}
		}
	}
	if len(have) != want {
		t.Errorf("the gallery has %d events, the SAM list and the extras %d: list every new event in this test", len(have), want)
	}
}

func TestServicesAreSortedAndDescribed(t *testing.T) {
	services := Services()
	if !sort.SliceIsSorted(services, func(i, j int) bool { return services[i].Name < services[j].Name }) {
		t.Error("services are not sorted")
	}
	used := map[string]bool{}
	for _, s := range services {
		if s.Description == "" {
			t.Errorf("service %s has no description", s.Name)
		}
		if !sort.SliceIsSorted(s.Events, func(i, j int) bool { return s.Events[i].Name < s.Events[j].Name }) {
			t.Errorf("events of %s are not sorted", s.Name)
		}
		for _, e := range s.Events {
			if e.Description == "" || strings.Contains(e.Description, "\n") {
				t.Errorf("%s %s: want a one-line description, got %q", s.Name, e.Name, e.Description)
			}
			seen := map[string]bool{}
			for _, p := range e.Params {
				if seen[p.Name] {
					t.Errorf("%s %s: parameter %s twice", s.Name, e.Name, p.Name)
				}
				seen[p.Name] = true
				if p.Description == "" {
					t.Errorf("%s %s: parameter %s has no description", s.Name, e.Name, p.Name)
				}
			}
			used["templates/"+e.file] = true
		}
	}
	// Every embedded file belongs to a template: none is left behind.
	fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !used[path] {
			t.Errorf("%s is in no template", path)
		}
		return err
	})
}

func TestEveryTemplateRendersIndentedJSONWithDefaults(t *testing.T) {
	for _, s := range Services() {
		for _, e := range s.Events {
			t.Run(s.Name+"/"+e.Name, func(t *testing.T) {
				out, err := e.Render(nil)
				if err != nil {
					t.Fatal(err)
				}
				if !json.Valid(out) {
					t.Fatalf("invalid JSON:\n%s", out)
				}
				var indented bytes.Buffer
				json.Indent(&indented, out, "", "  ")
				if !bytes.Equal(out, indented.Bytes()) || !bytes.HasSuffix(out, []byte("}\n")) {
					t.Errorf("output is not an indented object ending in a newline:\n%s", out)
				}
				again, _ := e.Render(map[string]string{})
				if !bytes.Equal(out, again) {
					t.Error("two renders differ: the output must be deterministic for fixtures in git")
				}
				// Every default shows up in the event.
				strs := eventStrings(t, out)
				for _, p := range e.Params {
					if p.Default != "" && p.Kind == KindString && !containsValue(strs, p) {
						t.Errorf("parameter %s's default %q does not appear in the event", p.Name, p.Default)
					}
				}
			})
		}
	}
}

// typeCase decodes one template's output into its aws-lambda-go type.
type typeCase struct {
	// unmodeled lists fields AWS sends that the aws-lambda-go type has no
	// field for (paths with . between keys, * for every array element).
	// They are removed before the strict decoding; everything else must be
	// a known field.
	unmodeled []string
	decode    func(t *testing.T, data []byte, p map[string]string)
}

func typed[T any](unmodeled []string, check func(t *testing.T, e *T, p map[string]string)) typeCase {
	return typeCase{unmodeled: unmodeled, decode: func(t *testing.T, data []byte, p map[string]string) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		v := new(T)
		if err := dec.Decode(v); err != nil {
			t.Fatalf("decoding into %T: %v", v, err)
		}
		if dec.More() {
			t.Fatal("data after the event")
		}
		check(t, v, p)
	}}
}

func eq[V comparable](t *testing.T, what string, got, want V) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func filled(t *testing.T, fields map[string]string) {
	t.Helper()
	for name, v := range fields {
		if v == "" {
			t.Errorf("%s is empty", name)
		}
	}
}

// s3EventCheck checks an S3 notification against the template's defaults.
func s3EventCheck(eventName string) func(*testing.T, *events.S3Event, map[string]string) {
	return func(t *testing.T, e *events.S3Event, p map[string]string) {
		if len(e.Records) != 1 {
			t.Fatalf("%d records, want 1", len(e.Records))
		}
		r := e.Records[0]
		eq(t, "eventName", r.EventName, eventName)
		eq(t, "awsRegion", r.AWSRegion, p["region"])
		eq(t, "bucket", r.S3.Bucket.Name, p["bucket"])
		eq(t, "bucket ARN", r.S3.Bucket.Arn, "arn:aws:s3:::"+p["bucket"])
		eq(t, "key", r.S3.Object.Key, s3Key(p["key"]))
		if r.EventTime.IsZero() {
			t.Error("no eventTime")
		}
		filled(t, map[string]string{"eventSource": r.EventSource, "sequencer": r.S3.Object.Sequencer, "principalId": r.PrincipalID.PrincipalID})
	}
}

func firehoseCheck(t *testing.T, e *events.KinesisFirehoseEvent, p map[string]string) {
	if len(e.Records) == 0 {
		t.Fatal("no records")
	}
	eq(t, "region", e.Region, p["region"])
	eq(t, "deliveryStreamArn", e.DeliveryStreamArn, "arn:aws:firehose:"+p["region"]+":"+p["account-id"]+":deliverystream/"+p["delivery-stream"])
	for _, r := range e.Records {
		filled(t, map[string]string{"recordId": r.RecordID, "data": string(r.Data)})
		if r.ApproximateArrivalTimestamp.IsZero() {
			t.Error("no approximateArrivalTimestamp")
		}
	}
}

func logsDataCheck(t *testing.T, data events.CloudwatchLogsData, p map[string]string) {
	eq(t, "owner", data.Owner, p["account-id"])
	eq(t, "logGroup", data.LogGroup, p["log-group"])
	if len(data.LogEvents) == 0 {
		t.Fatal("no log events")
	}
	eq(t, "first message", data.LogEvents[0].Message, p["message"])
}

func configCheck(messageType string) func(*testing.T, *events.ConfigEvent, map[string]string) {
	return func(t *testing.T, e *events.ConfigEvent, p map[string]string) {
		eq(t, "accountId", e.AccountID, p["account-id"])
		eq(t, "configRuleName", e.ConfigRuleName, p["rule"])
		var invoking struct {
			MessageType string `json:"messageType"`
		}
		if err := json.Unmarshal([]byte(e.InvokingEvent), &invoking); err != nil {
			t.Fatalf("invokingEvent is not JSON: %v", err)
		}
		eq(t, "invokingEvent.messageType", invoking.MessageType, messageType)
		filled(t, map[string]string{"resultToken": e.ResultToken, "configRuleArn": e.ConfigRuleArn})
	}
}

func cfnCheck(requestType cfn.RequestType) func(*testing.T, *cfn.Event, map[string]string) {
	return func(t *testing.T, e *cfn.Event, p map[string]string) {
		eq(t, "RequestType", e.RequestType, requestType)
		eq(t, "LogicalResourceId", e.LogicalResourceID, p["logical-id"])
		eq(t, "StackId prefix", strings.HasPrefix(e.StackID, "arn:aws:cloudformation:"+p["region"]+":"+p["account-id"]+":stack/"+p["stack"]+"/"), true)
		filled(t, map[string]string{"RequestId": e.RequestID, "ResponseURL": e.ResponseURL, "ResourceType": e.ResourceType})
		if len(e.ResourceProperties) == 0 {
			t.Error("no ResourceProperties")
		}
		if requestType != cfn.RequestCreate && e.PhysicalResourceID == "" {
			t.Error("no PhysicalResourceId")
		}
		if requestType == cfn.RequestUpdate && len(e.OldResourceProperties) == 0 {
			t.Error("no OldResourceProperties")
		}
	}
}

func lexCheck(intent string) func(*testing.T, *events.LexEvent, map[string]string) {
	return func(t *testing.T, e *events.LexEvent, p map[string]string) {
		eq(t, "userId", e.UserID, p["user-id"])
		if e.CurrentIntent == nil || e.Bot == nil {
			t.Fatal("no currentIntent or bot")
		}
		eq(t, "currentIntent.name", e.CurrentIntent.Name, intent)
		if len(e.CurrentIntent.Slots) == 0 {
			t.Error("no slots")
		}
		filled(t, map[string]string{"invocationSource": e.InvocationSource, "inputTranscript": e.InputTranscript, "bot.name": e.Bot.Name})
	}
}

func kafkaCheck(eventSource string) func(*testing.T, *events.KafkaEvent, map[string]string) {
	return func(t *testing.T, e *events.KafkaEvent, p map[string]string) {
		eq(t, "eventSource", e.EventSource, eventSource)
		records := e.Records[p["topic"]+"-0"]
		if len(records) != 1 {
			t.Fatalf("records of %s-0: %d, want 1", p["topic"], len(records))
		}
		r := records[0]
		eq(t, "topic", r.Topic, p["topic"])
		eq(t, "value", r.Value, base64.StdEncoding.EncodeToString([]byte(p["value"])))
		eq(t, "key", r.Key, base64.StdEncoding.EncodeToString([]byte(p["key"])))
		filled(t, map[string]string{"bootstrapServers": e.BootstrapServers})
		if len(r.Headers) == 0 || string(r.Headers[0]["headerKey"]) != "headerValue" {
			t.Errorf("headers = %v, want headerKey: headerValue as bytes", r.Headers)
		}
	}
}

func sqsCheck(want int) func(*testing.T, *events.SQSEvent, map[string]string) {
	return func(t *testing.T, e *events.SQSEvent, p map[string]string) {
		if len(e.Records) != want {
			t.Fatalf("%d records, want %d", len(e.Records), want)
		}
		sum := md5.Sum([]byte(p["body"]))
		ids := map[string]bool{}
		for _, m := range e.Records {
			eq(t, "body", m.Body, p["body"])
			eq(t, "md5OfBody", m.Md5OfBody, hex.EncodeToString(sum[:]))
			eq(t, "eventSourceARN", m.EventSourceARN, "arn:aws:sqs:"+p["region"]+":"+p["account-id"]+":"+p["queue-name"])
			eq(t, "awsRegion", m.AWSRegion, p["region"])
			filled(t, map[string]string{"receiptHandle": m.ReceiptHandle, "SentTimestamp": m.Attributes["SentTimestamp"]})
			ids[m.MessageId] = true
		}
		eq(t, "distinct message IDs", len(ids), want)
	}
}

func userPoolHeaderCheck(t *testing.T, h events.CognitoEventUserPoolsHeader, p map[string]string, triggerSource string) {
	eq(t, "triggerSource", h.TriggerSource, triggerSource)
	eq(t, "userPoolId", h.UserPoolID, p["user-pool-id"])
	eq(t, "userName", h.UserName, p["username"])
	eq(t, "region", h.Region, p["region"])
	eq(t, "callerContext.clientId", h.CallerContext.ClientID, p["client-id"])
}

// goTypes maps every template that aws-lambda-go models to its type.
func goTypes() map[string]typeCase {
	return map[string]typeCase{
		"alb/request": typed(nil, func(t *testing.T, e *events.ALBTargetGroupRequest, p map[string]string) {
			eq(t, "httpMethod", e.HTTPMethod, p["method"])
			eq(t, "path", e.Path, p["path"])
			eq(t, "body", e.Body, p["body"])
			eq(t, "targetGroupArn", strings.HasPrefix(e.RequestContext.ELB.TargetGroupArn, "arn:aws:elasticloadbalancing:"+p["region"]+":"+p["account-id"]+":targetgroup/"+p["target-group"]+"/"), true)
		}),
		"apigateway/authorizer": typed(nil, func(t *testing.T, e *events.APIGatewayCustomAuthorizerRequest, p map[string]string) {
			eq(t, "type", e.Type, "TOKEN")
			eq(t, "authorizationToken", e.AuthorizationToken, p["token"])
			eq(t, "methodArn", e.MethodArn, "arn:aws:execute-api:"+p["region"]+":"+p["account-id"]+":"+p["restApiId"]+"/"+p["stage"]+"/"+p["method"]+"/"+p["resource"])
		}),
		"apigateway/request-authorizer": typed(nil, func(t *testing.T, e *events.APIGatewayCustomAuthorizerRequestTypeRequest, p map[string]string) {
			eq(t, "type", e.Type, "REQUEST")
			eq(t, "httpMethod", e.HTTPMethod, p["method"])
			eq(t, "requestContext.apiId", e.RequestContext.APIID, p["restApiId"])
			eq(t, "requestContext.stage", e.RequestContext.Stage, p["stage"])
			filled(t, map[string]string{"methodArn": e.MethodArn, "sourceIp": e.RequestContext.Identity.SourceIP, "requestId": e.RequestContext.RequestID})
		}),
		"apigateway/request-authorizer-v2": typed(nil, func(t *testing.T, e *events.APIGatewayV2CustomAuthorizerV2Request, p map[string]string) {
			eq(t, "version", e.Version, "2.0")
			eq(t, "rawPath", e.RawPath, p["path"])
			eq(t, "routeKey", e.RouteKey, p["method"]+" "+p["path"])
			eq(t, "identitySource", strings.Join(e.IdentitySource, ","), p["token"])
			eq(t, "requestContext.http.method", e.RequestContext.HTTP.Method, p["method"])
			eq(t, "routeArn", e.RouteArn, "arn:aws:execute-api:"+p["region"]+":"+p["account-id"]+":"+p["api-id"]+"/"+p["stage"]+"/"+p["method"]+p["path"])
		}),
		"apigateway/aws-proxy": typed(nil, func(t *testing.T, e *events.APIGatewayProxyRequest, p map[string]string) {
			eq(t, "httpMethod", e.HTTPMethod, p["method"])
			eq(t, "path", e.Path, p["path"])
			eq(t, "resource", e.Resource, p["resource"])
			eq(t, "body", e.Body, p["body"])
			eq(t, "requestContext.stage", e.RequestContext.Stage, p["stage"])
			eq(t, "requestContext.accountId", e.RequestContext.AccountID, p["account-id"])
			eq(t, "requestContext.httpMethod", e.RequestContext.HTTPMethod, p["method"])
			filled(t, map[string]string{"requestId": e.RequestContext.RequestID, "sourceIp": e.RequestContext.Identity.SourceIP, "Host": e.Headers["Host"]})
		}),
		"apigateway/http-api-proxy": typed(nil, func(t *testing.T, e *events.APIGatewayV2HTTPRequest, p map[string]string) {
			eq(t, "version", e.Version, "2.0")
			eq(t, "rawPath", e.RawPath, p["path"])
			eq(t, "body", e.Body, p["body"])
			eq(t, "requestContext.http.method", e.RequestContext.HTTP.Method, p["method"])
			eq(t, "requestContext.stage", e.RequestContext.Stage, p["stage"])
			eq(t, "requestContext.accountId", e.RequestContext.AccountID, p["account-id"])
			filled(t, map[string]string{"requestId": e.RequestContext.RequestID, "routeKey": e.RouteKey, "time": e.RequestContext.Time})
		}),
		// cfn.Event has no ServiceToken field; CloudFormation sends it.
		"cloudformation/create-request": typed([]string{"ServiceToken"}, cfnCheck(cfn.RequestCreate)),
		"cloudformation/update-request": typed([]string{"ServiceToken"}, cfnCheck(cfn.RequestUpdate)),
		"cloudformation/delete-request": typed([]string{"ServiceToken"}, cfnCheck(cfn.RequestDelete)),
		"cloudwatch/logs": typed(nil, func(t *testing.T, e *events.CloudwatchLogsEvent, p map[string]string) {
			data, err := e.AWSLogs.Parse()
			if err != nil {
				t.Fatalf("awslogs.data does not parse: %v", err)
			}
			logsDataCheck(t, data, p)
		}),
		"cloudwatch/scheduled-event": typed(nil, func(t *testing.T, e *events.CloudWatchEvent, p map[string]string) {
			eq(t, "detail-type", e.DetailType, "Scheduled Event")
			eq(t, "source", e.Source, "aws.events")
			eq(t, "account", e.AccountID, p["account-id"])
			eq(t, "region", e.Region, p["region"])
			eq(t, "resources", strings.Join(e.Resources, ","), "arn:aws:events:"+p["region"]+":"+p["account-id"]+":rule/"+p["rule"])
		}),
		"codecommit/repository": typed(nil, func(t *testing.T, e *events.CodeCommitEvent, p map[string]string) {
			if len(e.Records) != 1 || len(e.Records[0].CodeCommit.References) == 0 {
				t.Fatal("want one record with references")
			}
			r := e.Records[0]
			eq(t, "eventSourceARN", r.EventSourceARN, "arn:aws:codecommit:"+p["region"]+":"+p["account-id"]+":"+p["repository"])
			eq(t, "eventTriggerName", r.EventTriggerName, p["trigger"])
			eq(t, "customData", r.CustomData, p["custom-data"])
			eq(t, "ref", r.CodeCommit.References[0].Ref, "refs/heads/"+p["branch"])
			filled(t, map[string]string{"commit": r.CodeCommit.References[0].Commit, "eventId": r.EventID})
		}),
		"codepipeline/job": typed(nil, func(t *testing.T, e *events.CodePipelineJobEvent, p map[string]string) {
			j := e.CodePipelineJob
			eq(t, "accountId", j.AccountID, p["account-id"])
			if len(j.Data.InputArtifacts) != 1 || len(j.Data.OutPutArtifacts) != 1 {
				t.Fatal("want one input and one output artifact")
			}
			eq(t, "input bucket", j.Data.InputArtifacts[0].Location.S3Location.BucketName, p["input-bucket"])
			eq(t, "input key", j.Data.InputArtifacts[0].Location.S3Location.ObjectKey, p["input-key"])
			eq(t, "output bucket", j.Data.OutPutArtifacts[0].Location.S3Location.BucketName, p["output-bucket"])
			eq(t, "output key", j.Data.OutPutArtifacts[0].Location.S3Location.ObjectKey, p["output-key"])
			eq(t, "UserParameters", j.Data.ActionConfiguration.Configuration.UserParameters, p["user-parameters"])
			filled(t, map[string]string{"id": j.ID, "accessKeyId": j.Data.ArtifactCredentials.AccessKeyID})
		}),
		"cognito/sync-trigger": typed(nil, func(t *testing.T, e *events.CognitoEvent, p map[string]string) {
			eq(t, "eventType", e.EventType, "SyncTrigger")
			eq(t, "region", e.Region, p["region"])
			eq(t, "identityPoolId", e.IdentityPoolID, p["identity-pool-id"])
			eq(t, "datasetName", e.DatasetName, p["dataset"])
			if len(e.DatasetRecords) == 0 {
				t.Error("no datasetRecords")
			}
		}),
		"cognito-user-pool/pre-signup": typed(nil, func(t *testing.T, e *events.CognitoEventUserPoolsPreSignup, p map[string]string) {
			userPoolHeaderCheck(t, e.CognitoEventUserPoolsHeader, p, "PreSignUp_SignUp")
			eq(t, "email", e.Request.UserAttributes["email"], p["email"])
		}),
		"cognito-user-pool/post-confirmation": typed(nil, func(t *testing.T, e *events.CognitoEventUserPoolsPostConfirmation, p map[string]string) {
			userPoolHeaderCheck(t, e.CognitoEventUserPoolsHeader, p, "PostConfirmation_ConfirmSignUp")
			eq(t, "email", e.Request.UserAttributes["email"], p["email"])
			eq(t, "status", e.Request.UserAttributes["cognito:user_status"], "CONFIRMED")
		}),
		"cognito-user-pool/pre-token-generation": typed(nil, func(t *testing.T, e *events.CognitoEventUserPoolsPreTokenGen, p map[string]string) {
			userPoolHeaderCheck(t, e.CognitoEventUserPoolsHeader, p, "TokenGeneration_Authentication")
			eq(t, "email", e.Request.UserAttributes["email"], p["email"])
			if len(e.Request.GroupConfiguration.GroupsToOverride) == 0 {
				t.Error("no groupsToOverride")
			}
		}),
		"cognito-user-pool/custom-message": typed(nil, func(t *testing.T, e *events.CognitoEventUserPoolsCustomMessage, p map[string]string) {
			userPoolHeaderCheck(t, e.CognitoEventUserPoolsHeader, p, p["trigger-source"])
			eq(t, "email", e.Request.UserAttributes["email"], any(p["email"]))
			eq(t, "codeParameter", e.Request.CodeParameter, "{####}")
		}),
		"config/item-change-notification":           typed(nil, configCheck("ConfigurationItemChangeNotification")),
		"config/oversized-item-change-notification": typed(nil, configCheck("OversizedConfigurationItemChangeNotification")),
		"config/periodic-rule":                      typed(nil, configCheck("ScheduledNotification")),
		"connect/contact-flow-event": typed(nil, func(t *testing.T, e *events.ConnectEvent, p map[string]string) {
			c := e.Details.ContactData
			eq(t, "Name", e.Name, "ContactFlowEvent")
			eq(t, "ContactId", c.ContactID, p["contact-id"])
			eq(t, "CustomerEndpoint.Address", c.CustomerEndpoint.Address, p["phone-number"])
			eq(t, "InstanceARN prefix", strings.HasPrefix(c.InstanceARN, "arn:aws:connect:"+p["region"]+":"+p["account-id"]+":instance/"), true)
			filled(t, map[string]string{"Channel": c.Channel, "Queue.ARN": c.Queue.ARN, "SystemEndpoint": c.SystemEndpoint.Address})
		}),
		"dynamodb/update": typed(nil, func(t *testing.T, e *events.DynamoDBEvent, p map[string]string) {
			var names []string
			for _, r := range e.Records {
				names = append(names, r.EventName)
				eq(t, "awsRegion", r.AWSRegion, p["region"])
				eq(t, "eventSourceARN prefix", strings.HasPrefix(r.EventSourceArn, "arn:aws:dynamodb:"+p["region"]+":"+p["account-id"]+":table/"+p["table"]+"/stream/"), true)
				if len(r.Change.Keys) == 0 || r.Change.SequenceNumber == "" || r.Change.ApproximateCreationDateTime.IsZero() {
					t.Errorf("%s record lacks keys, sequence number or creation time", r.EventName)
				}
			}
			eq(t, "event names", strings.Join(names, ","), "INSERT,MODIFY,REMOVE")
			if e.Records[1].Change.NewImage["Message"].String() != "This item has changed" {
				t.Errorf("MODIFY NewImage.Message = %v", e.Records[1].Change.NewImage["Message"])
			}
		}),
		"eventbridge/custom-event": typed(nil, func(t *testing.T, e *events.EventBridgeEvent, p map[string]string) {
			eq(t, "source", e.Source, p["source"])
			eq(t, "detail-type", e.DetailType, p["detail-type"])
			eq(t, "account", e.AccountID, p["account-id"])
			var got, want any
			json.Unmarshal(e.Detail, &got)
			json.Unmarshal([]byte(p["detail"]), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("detail = %s, want %s", e.Detail, p["detail"])
			}
			if e.Time.IsZero() || e.ID == "" {
				t.Error("no time or id")
			}
		}),
		// aws-lambda-go's function URL types lack routeKey and stage (top
		// level and in requestContext) and requestContext.authentication,
		// which Lambda sends.
		"function-url/request": typed([]string{"routeKey", "requestContext.routeKey", "requestContext.stage", "requestContext.authentication"},
			func(t *testing.T, e *events.LambdaFunctionURLRequest, p map[string]string) {
				eq(t, "version", e.Version, "2.0")
				eq(t, "rawPath", e.RawPath, p["path"])
				eq(t, "body", e.Body, p["body"])
				eq(t, "requestContext.http.method", e.RequestContext.HTTP.Method, p["method"])
				eq(t, "requestContext.http.path", e.RequestContext.HTTP.Path, p["path"])
				eq(t, "domainName suffix", strings.HasSuffix(e.RequestContext.DomainName, ".lambda-url."+p["region"]+".on.aws"), true)
				filled(t, map[string]string{"requestId": e.RequestContext.RequestID, "accountId": e.RequestContext.AccountID, "sourceIp": e.RequestContext.HTTP.SourceIP})
			}),
		"iot/custom-authorizer": typed(nil, func(t *testing.T, e *events.IoTCoreCustomAuthorizerRequest, p map[string]string) {
			eq(t, "token", e.Token, p["token"])
			if e.ProtocolData == nil || e.ProtocolData.MQTT == nil || e.ConnectionMetadata == nil {
				t.Fatal("no MQTT protocol data or connection metadata")
			}
			eq(t, "mqtt.clientId", e.ProtocolData.MQTT.ClientID, p["client-id"])
			eq(t, "mqtt.username", e.ProtocolData.MQTT.Username, p["username"])
			eq(t, "mqtt.password", string(e.ProtocolData.MQTT.Password), "password")
		}),
		"kafka/msk":          typed(nil, kafkaCheck("aws:kafka")),
		"kafka/self-managed": typed(nil, kafkaCheck("SelfManagedKafka")),
		"kinesis/get-records": typed(nil, func(t *testing.T, e *events.KinesisEvent, p map[string]string) {
			if len(e.Records) != 1 {
				t.Fatalf("%d records, want 1", len(e.Records))
			}
			r := e.Records[0]
			eq(t, "data", string(r.Kinesis.Data), p["data"])
			eq(t, "partitionKey", r.Kinesis.PartitionKey, p["partition-key"])
			eq(t, "sequenceNumber", r.Kinesis.SequenceNumber, p["sequence"])
			eq(t, "eventSourceARN", r.EventSourceArn, "arn:aws:kinesis:"+p["region"]+":"+p["account-id"]+":stream/"+p["stream"])
			if r.Kinesis.ApproximateArrivalTimestamp.IsZero() {
				t.Error("no approximateArrivalTimestamp")
			}
		}),
		"kinesis/kinesis-firehose": typed(nil, firehoseCheck),
		"kinesis/apachelog":        typed(nil, firehoseCheck),
		"kinesis/syslog":           typed(nil, firehoseCheck),
		"kinesis/streams-as-source": typed(nil, func(t *testing.T, e *events.KinesisFirehoseEvent, p map[string]string) {
			firehoseCheck(t, e, p)
			eq(t, "sourceKinesisStreamArn", e.SourceKinesisStreamArn, "arn:aws:kinesis:"+p["region"]+":"+p["account-id"]+":stream/"+p["stream"])
			m := e.Records[0].KinesisFirehoseRecordMetadata
			eq(t, "partitionKey", m.PartitionKey, p["partition-key"])
			eq(t, "sequenceNumber", m.SequenceNumber, p["sequence"])
			eq(t, "data", string(e.Records[0].Data), p["data"])
		}),
		"kinesis/cloudwatch-logs-processor": typed(nil, func(t *testing.T, e *events.KinesisFirehoseEvent, p map[string]string) {
			firehoseCheck(t, e, p)
			// The data is a CloudWatch Logs subscription payload, gzipped.
			data, err := events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(e.Records[0].Data)}.Parse()
			if err != nil {
				t.Fatalf("record data does not parse as CloudWatch Logs data: %v", err)
			}
			logsDataCheck(t, data, p)
		}),
		"lex/book-car":           typed(nil, lexCheck("BookCar")),
		"lex/book-hotel":         typed(nil, lexCheck("BookHotel")),
		"lex/make-appointment":   typed(nil, lexCheck("MakeAppointment")),
		"lex/order-flowers":      typed(nil, lexCheck("OrderFlowers")),
		"rekognition/s3-request": typed(nil, s3EventCheck("ObjectCreated:Put")),
		"s3/put":                 typed(nil, s3EventCheck("ObjectCreated:Put")),
		"s3/delete":              typed(nil, s3EventCheck("ObjectRemoved:Delete")),
		"s3/batch-invocation": typed(nil, func(t *testing.T, e *events.S3BatchJobEvent, p map[string]string) {
			eq(t, "invocationSchemaVersion", e.InvocationSchemaVersion, "1.0")
			if len(e.Tasks) != 1 {
				t.Fatalf("%d tasks, want 1", len(e.Tasks))
			}
			eq(t, "s3BucketArn", e.Tasks[0].S3BucketARN, p["bucket-arn"])
			eq(t, "s3Key", e.Tasks[0].S3Key, s3Key(p["key"]))
			filled(t, map[string]string{"invocationId": e.InvocationID, "job.id": e.Job.ID, "taskId": e.Tasks[0].TaskID})
		}),
		"s3-object-lambda/get-object": typed(nil, func(t *testing.T, e *events.S3ObjectLambdaEvent, p map[string]string) {
			if e.GetObjectContext == nil {
				t.Fatal("no getObjectContext")
			}
			eq(t, "accessPointArn", e.Configuration.AccessPointARN, "arn:aws:s3-object-lambda:"+p["region"]+":"+p["account-id"]+":accesspoint/"+p["access-point"])
			eq(t, "userRequest.url suffix", strings.HasSuffix(e.UserRequest.URL, "/"+p["key"]), true)
			eq(t, "userIdentity.accountId", e.UserIdentity.AccountID, p["account-id"])
			filled(t, map[string]string{"inputS3Url": e.GetObjectContext.InputS3URL, "outputRoute": e.GetObjectContext.OutputRoute,
				"outputToken": e.GetObjectContext.OutputToken, "xAmzRequestId": e.XAmzRequestID, "protocolVersion": e.ProtocolVersion})
		}),
		"ses/email-receiving": typed(nil, func(t *testing.T, e *events.SimpleEmailEvent, p map[string]string) {
			if len(e.Records) != 1 {
				t.Fatalf("%d records, want 1", len(e.Records))
			}
			s := e.Records[0].SES
			eq(t, "mail.source", s.Mail.Source, p["from"])
			eq(t, "mail.destination", strings.Join(s.Mail.Destination, ","), p["to"])
			eq(t, "commonHeaders.subject", s.Mail.CommonHeaders.Subject, p["subject"])
			eq(t, "receipt.recipients", strings.Join(s.Receipt.Recipients, ","), p["to"])
			eq(t, "action.functionArn", s.Receipt.Action.FunctionARN, "arn:aws:lambda:"+p["region"]+":"+p["account-id"]+":function:Example")
			filled(t, map[string]string{"messageId": s.Mail.MessageID, "spamVerdict": s.Receipt.SpamVerdict.Status})
		}),
		"sns/notification": typed(nil, func(t *testing.T, e *events.SNSEvent, p map[string]string) {
			if len(e.Records) != 1 {
				t.Fatalf("%d records, want 1", len(e.Records))
			}
			s := e.Records[0].SNS
			eq(t, "TopicArn", s.TopicArn, "arn:aws:sns:"+p["region"]+":"+p["account-id"]+":"+p["topic"])
			eq(t, "Subject", s.Subject, p["subject"])
			eq(t, "Message", s.Message, p["message"])
			eq(t, "EventSubscriptionArn prefix", strings.HasPrefix(e.Records[0].EventSubscriptionArn, s.TopicArn+":"), true)
			if s.Timestamp.IsZero() || s.MessageID == "" {
				t.Error("no Timestamp or MessageId")
			}
		}),
		"sqs/receive-message":       typed(nil, sqsCheck(1)),
		"sqs/receive-message-batch": typed(nil, sqsCheck(3)),
	}
}

// untyped lists the templates aws-lambda-go has no type for, and the fields
// each must have filled instead.
func untyped() map[string][]string {
	alexa := []string{"version", "session.sessionId", "session.application.applicationId", "session.user.userId", "request.type", "request.requestId", "request.timestamp", "request.locale"}
	intent := append(append([]string{}, alexa...), "request.intent.name")
	edge := []string{"Records.0.cf.config.distributionId", "Records.0.cf.config.eventType", "Records.0.cf.config.requestId", "Records.0.cf.request.uri", "Records.0.cf.request.method", "Records.0.cf.request.clientIp", "Records.0.cf.request.headers.host.0.value"}
	edgeResponse := append(append([]string{}, edge...), "Records.0.cf.response.status")
	edgeOrigin := append(append([]string{}, edge...), "Records.0.cf.request.origin")
	analytics := []string{"invocationId", "applicationArn", "streamArn", "records.0.recordId", "records.0.data", "records.0.kinesisStreamRecordMetadata.sequenceNumber"}
	lexV2 := []string{"sessionId", "inputTranscript", "bot.id", "bot.localeId", "interpretations.0.intent.name", "sessionState.intent.name", "invocationSource"}
	smartHomeControl := []string{"directive.header.namespace", "directive.header.name", "directive.header.messageId", "directive.header.correlationToken", "directive.endpoint.endpointId", "directive.endpoint.scope.token"}
	return map[string][]string{
		"alexa-skills-kit/end-session":                         append(append([]string{}, alexa...), "request.reason"),
		"alexa-skills-kit/start-session":                       alexa,
		"alexa-skills-kit/intent-answer":                       append(append([]string{}, intent...), "request.intent.slots.Answer.value"),
		"alexa-skills-kit/intent-getnewfact":                   intent,
		"alexa-skills-kit/intent-mycoloris":                    append(append([]string{}, intent...), "request.intent.slots.Color.value"),
		"alexa-skills-kit/intent-recipe":                       append(append([]string{}, intent...), "request.intent.slots.Item.value"),
		"alexa-smart-home/smart-home-control-turn-off-request": smartHomeControl,
		"alexa-smart-home/smart-home-control-turn-on-request":  smartHomeControl,
		"alexa-smart-home/smart-home-discovery-request":        {"directive.header.namespace", "directive.header.name", "directive.header.messageId", "directive.payload.scope.token"},
		// AppSyncResolverTemplate models the old resolver-template shape,
		// not a direct Lambda resolver's event.
		"appsync/resolver":                                      {"arguments.id", "identity.sub", "identity.username", "info.fieldName", "info.parentTypeName", "info.selectionSetList.0", "request.headers.host"},
		"batch/get-job":                                         {"jobs.0.jobArn", "jobs.0.jobName", "jobs.0.jobId", "jobs.0.jobQueue", "jobs.0.status", "jobs.0.jobDefinition"},
		"batch/submit-job":                                      {"jobName", "jobQueue", "jobDefinition", "containerOverrides.command.0"},
		"cloudfront/ab-test":                                    append(append([]string{}, edge...), "Records.0.cf.request.headers.cookie.0.value"),
		"cloudfront/access-request-in-response":                 edgeResponse,
		"cloudfront/http-redirect":                              edge,
		"cloudfront/modify-querystring":                         append(append([]string{}, edge...), "Records.0.cf.request.querystring"),
		"cloudfront/modify-response-header":                     append(append([]string{}, edgeResponse...), "Records.0.cf.request.origin.s3.domainName"),
		"cloudfront/multiple-remote-calls-aggregate-response":   edgeOrigin,
		"cloudfront/normalize-querystring-to-improve-cache-hit": append(append([]string{}, edge...), "Records.0.cf.request.querystring"),
		"cloudfront/redirect-on-viewer-country":                 append(append([]string{}, edgeOrigin...), "Records.0.cf.request.headers.cloudfront-viewer-country.0.value"),
		"cloudfront/redirect-unauthenticated-users":             edge,
		"cloudfront/response-generation":                        edge,
		"cloudfront/serve-object-on-viewer-device":              append(append([]string{}, edgeOrigin...), "Records.0.cf.request.headers.cloudfront-is-mobile-viewer.0.value"),
		"cloudfront/simple-remote-call":                         append(append([]string{}, edgeOrigin...), "Records.0.cf.request.origin.custom.domainName"),
		// An IoT rule sends whatever its SELECT produces.
		"iot/rule": {"topic", "clientId", "temperature", "timestamp"},
		// aws-lambda-go models only Kinesis Data Analytics' output delivery.
		"kinesis/analytics":                               analytics,
		"kinesis/analytics-compressed":                    analytics,
		"kinesis/analytics-dynamodb":                      analytics,
		"kinesis/analytics-kpl":                           append(append([]string{}, analytics...), "records.1.recordId"),
		"lex-v2/banking-bot":                              lexV2,
		"lex-v2/book-car":                                 lexV2,
		"lex-v2/book-hotel":                               lexV2,
		"sagemaker/ground-truth-pre-human":                {"version", "labelingJobArn", "dataObject.source-ref"},
		"sagemaker/ground-truth-annotation-consolidation": {"version", "labelingJobArn", "labelAttributeName", "roleArn", "payload.s3Uri", "labelCategories.0"},
		"stepfunctions/error":                             {"Error", "Cause"},
		"workmail/email":                                  {"summaryVersion", "envelope.mailFrom.address", "envelope.recipients.0.address", "sender.address", "subject", "messageId", "invocationId", "flowDirection"},
	}
}

func TestTemplatesDecodeIntoAWSLambdaGoTypes(t *testing.T) {
	types, others := goTypes(), untyped()
	for _, s := range Services() {
		for _, e := range s.Events {
			id := s.Name + "/" + e.Name
			t.Run(id, func(t *testing.T) {
				tc, isTyped := types[id]
				required, isUntyped := others[id]
				if isTyped == isUntyped {
					t.Fatalf("%s must be in exactly one of goTypes and untyped", id)
				}
				out, err := e.Render(nil)
				if err != nil {
					t.Fatal(err)
				}
				defaults := map[string]string{}
				for _, p := range e.Params {
					defaults[p.Name] = p.Default
				}
				var doc any
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
				if isUntyped {
					for _, path := range required {
						if v, ok := lookupPath(doc, strings.Split(path, ".")); !ok || v == nil || v == "" {
							t.Errorf("%s is missing or empty", path)
						}
					}
					return
				}
				for _, path := range tc.unmodeled {
					if !deletePath(doc, strings.Split(path, ".")) {
						t.Errorf("unmodeled field %s is not in the event: drop it from the list", path)
					}
				}
				stripped, _ := json.Marshal(doc)
				tc.decode(t, stripped, defaults)
			})
		}
	}
	for id := range types {
		service, event, _ := strings.Cut(id, "/")
		if _, err := Lookup(service, event); err != nil {
			t.Errorf("goTypes names %s, which the gallery lacks", id)
		}
	}
	for id := range others {
		service, event, _ := strings.Cut(id, "/")
		if _, err := Lookup(service, event); err != nil {
			t.Errorf("untyped names %s, which the gallery lacks", id)
		}
	}
}

// lookupPath follows keys and array indexes through a decoded document.
func lookupPath(v any, path []string) (any, bool) {
	for _, key := range path {
		switch node := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = node[key]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			for _, c := range key {
				if c < '0' || c > '9' {
					return nil, false
				}
				i = i*10 + int(c-'0')
			}
			if i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// deletePath removes the field at path (* matches every array element) and
// reports whether it was there.
func deletePath(v any, path []string) bool {
	switch node := v.(type) {
	case map[string]any:
		child, ok := node[path[0]]
		if !ok {
			return false
		}
		if len(path) == 1 {
			delete(node, path[0])
			return true
		}
		return deletePath(child, path[1:])
	case []any:
		if path[0] != "*" {
			return false
		}
		found := len(node) > 0
		for _, child := range node {
			found = deletePath(child, path[1:]) && found
		}
		return found
	}
	return false
}

// hostile is a parameter value made to break naive JSON templating.
const hostile = "a \"quoted\" value \\ with back\\slashes\nnew lines\ttabs </script> {{.}} ${x} ünïcödé \u2028"

func TestHostileParameterValuesStayOneJSONString(t *testing.T) {
	for _, s := range Services() {
		for _, e := range s.Events {
			for _, p := range e.Params {
				value := hostile
				switch p.Kind {
				case KindInt:
					continue
				case KindJSON:
					b, _ := json.Marshal(map[string]string{"x": hostile})
					value = string(b)
				}
				t.Run(s.Name+"/"+e.Name+"/"+p.Name, func(t *testing.T) {
					out, err := e.Render(map[string]string{p.Name: value})
					if err != nil {
						t.Fatal(err)
					}
					if !json.Valid(out) {
						t.Fatalf("invalid JSON:\n%s", out)
					}
					strs := eventStrings(t, out)
					probe := p
					probe.Default = hostile
					if !containsValue(strs, probe) {
						t.Errorf("the exact value does not appear in the event:\n%s", out)
					}
				})
			}
		}
	}
}

// eventStrings returns every string (keys included) in a JSON document, with
// base64 and gzipped base64 strings also decoded, and JSON in them walked.
func eventStrings(t *testing.T, data []byte) []string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	add := func(s string) {
		out = append(out, s)
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(s) < 4 {
			return
		}
		out = append(out, string(raw))
		if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				out = append(out, string(plain))
				var inner any
				if json.Unmarshal(plain, &inner) == nil {
					walk(inner)
				}
			}
		}
	}
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			add(v)
			var inner any
			if strings.HasPrefix(strings.TrimSpace(v), "{") && json.Unmarshal([]byte(v), &inner) == nil {
				walk(inner)
			}
		case map[string]any:
			for k, c := range v {
				add(k)
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	return out
}

// containsValue reports whether p's default appears in strs, as p's encoding
// sends it.
func containsValue(strs []string, p Param) bool {
	want := p.Default
	if p.Encoding == "url" {
		want = s3Key(p.Default)
		if back, err := url.QueryUnescape(want); err != nil || back != p.Default {
			return false
		}
	}
	for _, s := range strs {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

func TestRenderRejectsUnknownParametersAndBadValues(t *testing.T) {
	cases := []struct {
		service, event string
		params         map[string]string
		wantInMessage  []string
	}{
		{"s3", "put", map[string]string{"buckett": "x"}, []string{`"buckett"`, "bucket", "key", "region", "partition"}},
		{"stepfunctions", "error", map[string]string{"region": "x"}, []string{`"region"`, "error", "cause"}},
		{"sqs", "receive-message-batch", map[string]string{"count": "many"}, []string{"count", "1 to 100"}},
		{"sqs", "receive-message-batch", map[string]string{"count": "0"}, []string{"count"}},
		{"sqs", "receive-message-batch", map[string]string{"count": "101"}, []string{"count"}},
		{"eventbridge", "custom-event", map[string]string{"detail": "{not json"}, []string{"detail", "JSON"}},
	}
	for _, c := range cases {
		tpl, err := Lookup(c.service, c.event)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tpl.Render(c.params)
		if code := lambdadeck.ErrorCode(err); code != lambdadeck.EINVALID {
			t.Errorf("%s %s %v: error %v (code %q), want EINVALID", c.service, c.event, c.params, err, code)
			continue
		}
		for _, w := range c.wantInMessage {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %s %v: message %q lacks %q", c.service, c.event, c.params, err, w)
			}
		}
	}
}

func TestLookupSuggestsCloseNames(t *testing.T) {
	cases := []struct {
		service, event string
		want           []string // in the message; nil means found
	}{
		{"s3", "put", nil},
		{"sqs", "receive-message-batch", nil},
		{"s4", "put", []string{`unknown service "s4"`, "did you mean", "s3"}},
		{"dynamo", "update", []string{"did you mean dynamodb"}},
		{"apigw", "aws-proxy", []string{`unknown service "apigw"`}},
		{"s3", "putt", []string{`unknown s3 event "putt"`, "did you mean put"}},
		{"apigateway", "proxy", []string{"aws-proxy", "http-api-proxy"}},
		{"s3", "zzzzzzzz", []string{"s3 has: batch-invocation, delete, put"}},
	}
	for _, c := range cases {
		tpl, err := Lookup(c.service, c.event)
		if c.want == nil {
			if err != nil || tpl.Service != c.service || tpl.Name != c.event {
				t.Errorf("Lookup(%q, %q) = %s %s, %v", c.service, c.event, tpl.Service, tpl.Name, err)
			}
			continue
		}
		if lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
			t.Errorf("Lookup(%q, %q): error %v, want ENOTFOUND", c.service, c.event, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Lookup(%q, %q): message %q lacks %q", c.service, c.event, err, w)
			}
		}
	}
}

func TestParametersFlowIntoConsistentValues(t *testing.T) {
	put, _ := Lookup("s3", "put")
	out, err := put.Render(map[string]string{"bucket": "photos", "key": "2024/cat & dog.jpg", "region": "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	var s3e events.S3Event
	if err := json.Unmarshal(out, &s3e); err != nil {
		t.Fatal(err)
	}
	r := s3e.Records[0]
	eq(t, "key", r.S3.Object.Key, "2024/cat+%26+dog.jpg")
	eq(t, "bucket ARN", r.S3.Bucket.Arn, "arn:aws:s3:::photos")
	eq(t, "awsRegion", r.AWSRegion, "eu-west-1")

	batch, _ := Lookup("sqs", "receive-message-batch")
	out, err = batch.Render(map[string]string{"count": "5", "queue-name": "orders", "account-id": "210987654321"})
	if err != nil {
		t.Fatal(err)
	}
	var sqse events.SQSEvent
	if err := json.Unmarshal(out, &sqse); err != nil {
		t.Fatal(err)
	}
	sqsCheck(5)(t, &sqse, map[string]string{"body": "Hello from SQS!", "region": "us-east-1", "account-id": "210987654321", "queue-name": "orders"})
}
