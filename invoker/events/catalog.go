package events

import "github.com/lambdadeck/lambdadeck"

// serviceDescription names a service as AWS does.
func serviceDescription(service string) string {
	switch service {
	case "alb":
		return "Application Load Balancer"
	case "alexa-skills-kit":
		return "Alexa Skills Kit"
	case "alexa-smart-home":
		return "Alexa Smart Home"
	case "apigateway":
		return "Amazon API Gateway"
	case "appsync":
		return "AWS AppSync"
	case "batch":
		return "AWS Batch"
	case "cloudformation":
		return "AWS CloudFormation custom resources"
	case "cloudfront":
		return "Amazon CloudFront (Lambda@Edge)"
	case "cloudwatch":
		return "Amazon CloudWatch Logs and scheduled events"
	case "codecommit":
		return "AWS CodeCommit"
	case "codepipeline":
		return "AWS CodePipeline"
	case "cognito":
		return "Amazon Cognito Sync"
	case "cognito-user-pool":
		return "Amazon Cognito user pool triggers"
	case "config":
		return "AWS Config rules"
	case "connect":
		return "Amazon Connect"
	case "dynamodb":
		return "Amazon DynamoDB Streams"
	case "eventbridge":
		return "Amazon EventBridge"
	case "function-url":
		return "AWS Lambda function URLs"
	case "iot":
		return "AWS IoT Core"
	case "kafka":
		return "Amazon MSK and self-managed Apache Kafka"
	case "kinesis":
		return "Amazon Kinesis Data Streams, Data Firehose and Data Analytics"
	case "lex":
		return "Amazon Lex V1"
	case "lex-v2":
		return "Amazon Lex V2"
	case "rekognition":
		return "Amazon Rekognition"
	case "s3":
		return "Amazon S3"
	case "s3-object-lambda":
		return "Amazon S3 Object Lambda"
	case "sagemaker":
		return "Amazon SageMaker Ground Truth"
	case "ses":
		return "Amazon SES"
	case "sns":
		return "Amazon SNS"
	case "sqs":
		return "Amazon SQS"
	case "stepfunctions":
		return "AWS Step Functions"
	case "workmail":
		return "Amazon WorkMail"
	}
	return ""
}

// Parameters that many templates share. Where SAM's generate-event has a
// parameter, it keeps SAM's name, so a SAM command line carries over.
func region() Param {
	return Param{Name: "region", Default: lambdadeck.DefaultRegion, Description: "the AWS Region"}
}

func account() Param {
	return Param{Name: "account-id", Default: lambdadeck.DefaultAccountID, Description: "the AWS account ID"}
}

func partition() Param {
	return Param{Name: "partition", Default: "aws", Description: "the AWS partition (aws, aws-cn, aws-us-gov)"}
}

func param(name, def, description string) Param {
	return Param{Name: name, Default: def, Description: description}
}

func encoded(encoding, name, def, description string) Param {
	return Param{Name: name, Default: def, Description: description, Encoding: encoding}
}

func jsonParam(name, def, description string) Param {
	return Param{Name: name, Default: def, Description: description, Kind: KindJSON}
}

func count(def, description string) Param {
	return Param{Name: "count", Default: def, Description: description, Kind: KindInt}
}

func tpl(service, name, description string, params ...Param) Template {
	return Template{Service: service, Name: name, Description: description, Params: params, file: service + "/" + name + ".json"}
}

// catalog lists every template. It is a function, not a variable, so that no
// caller can change the gallery for another.
func catalog() []Template {
	alexa := func(name, description string) Template {
		return tpl("alexa-skills-kit", name, description,
			param("session-id", "amzn1.echo-api.session.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "the session ID"),
			param("user-id", "amzn1.ask.account.TESTUSER", "the Alexa user ID"),
			param("application-id", "amzn1.ask.skill.6f2a1c7e-3b4d-4e5f-9a8b-7c6d5e4f3a2b", "the skill's application ID"),
			param("request-id", "amzn1.echo-api.request.5b8e2c1a-7d3f-4a9b-b6c5-d4e3f2a1b0c9", "the request ID"))
	}
	edge := func(name, description string, uri string) Template {
		return tpl("cloudfront", name, description,
			param("uri", uri, "the request URI"),
			param("method", "GET", "the HTTP method"))
	}
	firehose := func(name, description, data string, extra ...Param) Template {
		params := append([]Param{region(), partition(), account(),
			param("delivery-stream", "example-delivery-stream", "the Firehose delivery stream name"),
			encoded("base64", "data", data, "the record's data (plain text; sent base64-encoded)")}, extra...)
		return tpl("kinesis", name, description, params...)
	}
	analytics := func(name, description, data, encoding string) Template {
		return tpl("kinesis", name, description, region(), partition(), account(),
			param("application", "example-application", "the Kinesis Data Analytics application name"),
			param("stream", "example-stream", "the source Kinesis stream name"),
			encoded(encoding, "data", data, "the record's data (plain text; sent encoded)"))
	}
	userPool := func(name, description string, extra ...Param) Template {
		params := append([]Param{region(),
			param("user-pool-id", "us-east-1_EXAMPLE", "the user pool ID"),
			param("client-id", "1example23456789", "the app client ID"),
			param("username", "jane.doe", "the user name"),
			param("email", "jane.doe@example.com", "the user's email address")}, extra...)
		return tpl("cognito-user-pool", name, description, params...)
	}
	s3Event := func(service, name, description string) Template {
		return tpl(service, name, description, region(), partition(),
			param("bucket", "example-bucket", "the bucket name"),
			encoded("url", "key", "test/key", "the object key (sent URL-encoded, as S3 does)"))
	}
	lex := func(name, description string) Template {
		return tpl("lex", name, description, param("user-id", "jane-doe-123", "the Lex user ID"))
	}
	lexV2 := func(name, description string) Template {
		return tpl("lex-v2", name, description,
			param("session-id", "jane-doe-123", "the session ID"),
			param("input-transcript", "", "what the user said (default: a sentence that fits the bot)"))
	}
	cfn := func(name, description string) Template {
		return tpl("cloudformation", name, description, region(), partition(), account(),
			param("stack", "MyStack", "the stack name"),
			param("logical-id", "MyCustomResource", "the custom resource's logical ID"))
	}
	config := func(name, description string) Template {
		return tpl("config", name, description, region(), partition(), account(),
			param("rule", "example-config-rule", "the Config rule name"))
	}

	return []Template{
		alexa("end-session", "Alexa SessionEndedRequest: the user ended the session"),
		alexa("intent-answer", "Alexa IntentRequest for an AnswerIntent with a slot"),
		alexa("intent-getnewfact", "Alexa IntentRequest for the GetNewFactIntent of a fact skill"),
		alexa("intent-mycoloris", "Alexa IntentRequest for a MyColorIsIntent with a Color slot"),
		alexa("intent-recipe", "Alexa IntentRequest for a RecipeIntent with an Item slot"),
		alexa("start-session", "Alexa LaunchRequest: the user opened the skill"),

		tpl("alexa-smart-home", "smart-home-control-turn-off-request", "Alexa.PowerController TurnOff directive",
			param("endpoint-id", "appliance-001", "the device's endpoint ID"),
			param("token", "access-token-from-skill", "the user's OAuth bearer token")),
		tpl("alexa-smart-home", "smart-home-control-turn-on-request", "Alexa.PowerController TurnOn directive",
			param("endpoint-id", "appliance-001", "the device's endpoint ID"),
			param("token", "access-token-from-skill", "the user's OAuth bearer token")),
		tpl("alexa-smart-home", "smart-home-discovery-request", "Alexa.Discovery Discover directive",
			param("token", "access-token-from-skill", "the user's OAuth bearer token")),

		tpl("alb", "request", "Application Load Balancer request to a Lambda target group",
			region(), account(),
			param("method", "POST", "the HTTP method"),
			param("path", "/path/to/resource", "the request path"),
			param("body", `{"test":"body"}`, "the request body"),
			param("target-group", "lambda-target-group", "the target group name")),

		tpl("apigateway", "authorizer", "API Gateway REST API TOKEN authorizer request",
			account(), partition(), region(),
			param("stage", "prod", "the stage"),
			param("method", "POST", "the HTTP method"),
			param("resource", "{proxy+}", "the resource path"),
			param("restApiId", "1234567890", "the REST API ID"),
			param("token", "allow", "the caller's token (the Authorization header)")),
		tpl("apigateway", "request-authorizer", "API Gateway REST API REQUEST authorizer request",
			account(), partition(), region(),
			param("stage", "test", "the stage"),
			param("method", "GET", "the HTTP method"),
			param("resource", "request", "the resource path"),
			param("restApiId", "abcdef123", "the REST API ID")),
		tpl("apigateway", "request-authorizer-v2", "API Gateway HTTP API Lambda authorizer request (payload format 2.0)",
			account(), region(),
			param("stage", "$default", "the stage"),
			param("method", "GET", "the HTTP method"),
			param("path", "/pets", "the request path"),
			param("api-id", "r3pmxmplak", "the HTTP API ID"),
			param("token", "allow", "the Authorization header")),
		tpl("apigateway", "aws-proxy", "API Gateway REST API proxy integration request (payload format 1.0)",
			param("body", `{"test":"body"}`, "the request body"),
			param("stage", "prod", "the stage"),
			param("method", "POST", "the HTTP method"),
			param("resource", "/{proxy+}", "the resource path"),
			param("path", "/path/to/resource", "the request path"),
			account(),
			param("dns-suffix", "us-east-1.amazonaws.com", "the Region's DNS suffix in the API's domain name")),
		tpl("apigateway", "http-api-proxy", "API Gateway HTTP API request (payload format 2.0)",
			param("body", `{"test":"body"}`, "the request body"),
			param("stage", "$default", "the stage"),
			param("method", "POST", "the HTTP method"),
			param("path", "/path/to/resource", "the request path"),
			account(),
			param("dns-suffix", "us-east-1.amazonaws.com", "the Region's DNS suffix in the API's domain name")),

		tpl("appsync", "resolver", "AWS AppSync direct Lambda resolver request",
			param("parent-type", "Query", "the GraphQL parent type"),
			param("field", "getPost", "the GraphQL field being resolved"),
			jsonParam("arguments", `{"id":"123"}`, "the field's arguments (JSON)")),

		tpl("batch", "get-job", "An AWS Batch job as DescribeJobs returns it (what a Step Functions Batch task passes on)",
			region(), account(),
			param("job-name", "example-job", "the job name"),
			param("job-queue", "example-queue", "the job queue name")),
		tpl("batch", "submit-job", "An AWS Batch SubmitJob request as a workflow passes it to a function",
			region(), account(),
			param("job-name", "example-job", "the job name"),
			param("job-queue", "example-queue", "the job queue name"),
			param("job-definition", "example-job-definition:1", "the job definition (name:revision)")),

		cfn("create-request", "CloudFormation custom resource Create request"),
		cfn("update-request", "CloudFormation custom resource Update request (with the old properties)"),
		cfn("delete-request", "CloudFormation custom resource Delete request"),

		edge("ab-test", "Lambda@Edge viewer request carrying an A/B test cookie", "/test"),
		edge("access-request-in-response", "Lambda@Edge viewer response: inspect the request while answering", "/test"),
		edge("http-redirect", "Lambda@Edge viewer request to answer with a redirect", "/test"),
		edge("modify-querystring", "Lambda@Edge viewer request with a query string to rewrite", "/test"),
		edge("modify-response-header", "Lambda@Edge origin response whose headers to change", "/test"),
		edge("multiple-remote-calls-aggregate-response", "Lambda@Edge origin request to answer by calling several services", "/forecast/Seattle:NewYork:Chicago:SanFrancisco"),
		edge("normalize-querystring-to-improve-cache-hit", "Lambda@Edge viewer request with a query string to normalise", "/test"),
		edge("redirect-on-viewer-country", "Lambda@Edge origin request with the CloudFront-Viewer-Country header", "/test"),
		edge("redirect-unauthenticated-users", "Lambda@Edge viewer request without a session cookie", "/test"),
		edge("response-generation", "Lambda@Edge viewer request to answer with a generated page", "/test"),
		edge("serve-object-on-viewer-device", "Lambda@Edge origin request with CloudFront's device-type headers", "/test"),
		edge("simple-remote-call", "Lambda@Edge origin request to answer by calling one service", "/test"),

		tpl("cloudwatch", "logs", "CloudWatch Logs subscription filter delivery (gzipped, base64-encoded)",
			account(),
			param("log-group", "/aws/lambda/example-function", "the log group"),
			encoded("gzip", "message", "[ERROR] First test message", "the first log event's message")),
		tpl("cloudwatch", "scheduled-event", "EventBridge (CloudWatch Events) scheduled rule event",
			account(), partition(), region(),
			param("rule", "ExampleRule", "the rule name")),

		tpl("codecommit", "repository", "CodeCommit repository trigger: a push to a branch",
			account(), partition(), region(),
			param("repository", "my-repo", "the repository name"),
			param("trigger", "my-trigger", "the trigger name"),
			param("custom-data", "this is custom data", "the trigger's custom data"),
			param("branch", "main", "the branch pushed to")),

		tpl("codepipeline", "job", "CodePipeline job for a Lambda invoke action",
			account(),
			param("input-bucket", "example-bucket", "the input artifact's bucket"),
			param("input-key", "test/key", "the input artifact's key"),
			param("output-bucket", "example-bucket2", "the output artifact's bucket"),
			param("output-key", "test/key2", "the output artifact's key"),
			param("user-parameters", "some-input", "the action's UserParameters")),

		tpl("cognito", "sync-trigger", "Cognito Sync trigger: a dataset was synchronised",
			region(),
			param("identity-pool-id", "us-east-1:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "the identity pool ID"),
			param("dataset", "SampleDataset", "the dataset name")),

		userPool("pre-signup", "Cognito user pool pre sign-up trigger (PreSignUp_SignUp)"),
		userPool("post-confirmation", "Cognito user pool post confirmation trigger (PostConfirmation_ConfirmSignUp)"),
		userPool("pre-token-generation", "Cognito user pool pre token generation trigger (TokenGeneration_Authentication)"),
		userPool("custom-message", "Cognito user pool custom message trigger (CustomMessage_SignUp)",
			param("trigger-source", "CustomMessage_SignUp", "the trigger source (CustomMessage_SignUp, CustomMessage_ForgotPassword, ...)")),

		config("item-change-notification", "AWS Config rule evaluation for a configuration item change"),
		config("oversized-item-change-notification", "AWS Config rule evaluation for an oversized configuration item change"),
		config("periodic-rule", "AWS Config rule periodic evaluation"),

		tpl("connect", "contact-flow-event", "Amazon Connect contact flow invoking a function",
			region(), partition(), account(),
			param("contact-id", "5ca32fbd-8f92-46af-92a5-6b0f970f0efe", "the contact ID"),
			param("phone-number", "+11234567890", "the customer's phone number")),

		tpl("dynamodb", "update", "DynamoDB Streams batch: an INSERT, a MODIFY and a REMOVE",
			account(), partition(), region(),
			param("table", "ExampleTableWithStream", "the table name")),

		tpl("eventbridge", "custom-event", "EventBridge event put by an application on a custom bus",
			account(), region(),
			param("source", "com.example.orders", "the event source"),
			param("detail-type", "OrderPlaced", "the detail type"),
			jsonParam("detail", `{"orderId":"1234","amount":42.5}`, "the event detail (JSON)")),

		tpl("function-url", "request", "Lambda function URL request (payload format 2.0, auth type NONE)",
			region(),
			param("method", "POST", "the HTTP method"),
			param("path", "/my/path", "the request path"),
			param("body", `{"test":"body"}`, "the request body")),

		tpl("iot", "rule", "AWS IoT rule action: SELECT *, topic() AS topic, clientid() AS clientId FROM 'sensors/#'",
			param("topic", "sensors/thermostat-01", "the MQTT topic"),
			param("client-id", "thermostat-01", "the MQTT client ID")),
		tpl("iot", "custom-authorizer", "AWS IoT Core custom authorizer request for an MQTT connection",
			param("token", "aToken", "the token the device sent"),
			param("client-id", "thermostat-01", "the MQTT client ID"),
			param("username", "device-user", "the MQTT user name")),

		tpl("kafka", "msk", "Amazon MSK event source mapping batch",
			region(), account(),
			param("cluster", "example-cluster", "the MSK cluster name"),
			param("topic", "mytopic", "the topic"),
			encoded("base64", "key", "order-1234", "the record key (plain text; sent base64-encoded)"),
			encoded("base64", "value", `{"orderId":"1234"}`, "the record value (plain text; sent base64-encoded)")),
		tpl("kafka", "self-managed", "Self-managed Apache Kafka event source mapping batch",
			param("bootstrap-servers", "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092", "the bootstrap servers"),
			param("topic", "mytopic", "the topic"),
			encoded("base64", "key", "order-1234", "the record key (plain text; sent base64-encoded)"),
			encoded("base64", "value", `{"orderId":"1234"}`, "the record value (plain text; sent base64-encoded)")),

		tpl("kinesis", "get-records", "Kinesis Data Streams batch of one record",
			region(), partition(), account(),
			param("stream", "example-stream", "the stream name"),
			param("sequence", "49545115243490985018280067714973144582180062593244200961", "the record's sequence number"),
			encoded("base64", "data", "Hello, this is a test 123.", "the record's data (plain text; sent base64-encoded)"),
			param("partition-key", "partitionKey-03", "the record's partition key")),
		firehose("kinesis-firehose", "Data Firehose transformation batch", "Hello, this is a test 123."),
		firehose("apachelog", "Data Firehose transformation batch of Apache access log lines",
			`64.242.88.10 - - [07/Mar/2004:16:10:02 -0800] "GET /mailman/listinfo/hsdivision HTTP/1.1" 200 6291`),
		firehose("syslog", "Data Firehose transformation batch of syslog lines",
			"<34>1 2024-05-14T12:34:56.000Z host.example.com app - ID47 - Hello, this is a test 123."),
		tpl("kinesis", "cloudwatch-logs-processor", "Data Firehose transformation batch of CloudWatch Logs subscription data",
			region(), partition(), account(),
			param("delivery-stream", "example-delivery-stream", "the Firehose delivery stream name"),
			param("log-group", "/aws/lambda/example-function", "the log group"),
			encoded("gzip", "message", "[ERROR] First test message", "the first log event's message")),
		firehose("streams-as-source", "Data Firehose transformation batch read from a Kinesis stream", "Hello, this is a test 123.",
			param("stream", "example-stream", "the source Kinesis stream name"),
			param("partition-key", "partitionKey-03", "the record's partition key"),
			param("sequence", "49545115243490985018280067714973144582180062593244200961", "the record's sequence number")),
		analytics("analytics", "Data Analytics input preprocessing batch", "This is a test from Kinesis Analytics", "base64"),
		analytics("analytics-compressed", "Data Analytics input preprocessing batch with gzip-compressed records", `{"hello":"world"}`, "gzip"),
		analytics("analytics-dynamodb", "Data Analytics input preprocessing batch of JSON rows", `{"ROWTIME_TIMESTAMP":"2017-12-15 01:09:50.000","VEHICLEID":"5","VEHICLECOUNT":18}`, "base64"),
		analytics("analytics-kpl", "Data Analytics input preprocessing batch of de-aggregated KPL records", "KPL record from the producer library", "base64"),

		lex("book-car", "Lex V1 dialog code hook for a BookCar intent"),
		lex("book-hotel", "Lex V1 dialog code hook for a BookHotel intent"),
		lex("make-appointment", "Lex V1 dialog code hook for a MakeAppointment intent"),
		lex("order-flowers", "Lex V1 fulfillment code hook for an OrderFlowers intent"),

		lexV2("banking-bot", "Lex V2 dialog code hook for a banking bot's CheckBalance intent"),
		lexV2("book-car", "Lex V2 dialog code hook for a BookCar intent"),
		lexV2("book-hotel", "Lex V2 fulfillment code hook for a BookHotel intent"),

		s3Event("rekognition", "s3-request", "S3 put notification for an image to analyse with Rekognition"),

		tpl("s3", "batch-invocation", "S3 Batch Operations job task (invocation schema 1.0)",
			param("bucket-arn", "arn:aws:s3:::examplebucket", "the bucket's ARN"),
			encoded("url", "key", "test/key", "the object key (sent URL-encoded, as S3 Batch Operations does)")),
		s3Event("s3", "delete", "S3 ObjectRemoved:Delete notification"),
		s3Event("s3", "put", "S3 ObjectCreated:Put notification"),

		tpl("s3-object-lambda", "get-object", "S3 Object Lambda GetObject request",
			region(), account(),
			param("access-point", "example-object-lambda-ap", "the Object Lambda access point name"),
			param("supporting-access-point", "example-ap", "the supporting access point name"),
			param("key", "s3.txt", "the requested object key")),

		tpl("sagemaker", "ground-truth-pre-human", "SageMaker Ground Truth pre-annotation (PreHumanTask) request",
			region(), partition(), account(),
			param("source-ref", "s3://sagemakerexample/object_to_annotate.jpg", "the data object's S3 URI"),
			param("labeling-job-name", "example-job", "the labeling job name")),
		tpl("sagemaker", "ground-truth-annotation-consolidation", "SageMaker Ground Truth annotation consolidation request",
			region(), partition(), account(),
			param("labeling-job-name", "example-job", "the labeling job name"),
			param("label-attribute-name", "example-attribute", "the label attribute name"),
			param("s3-output-path", "s3://sagemakerexample/output", "the job's S3 output path"),
			param("execution-role", "sagemaker-role", "the execution role name"),
			param("iteration-object-timestamp", "iteration-1/0/2019-09-06_18:35:03", "the annotations object's iteration path")),

		tpl("ses", "email-receiving", "SES email receiving rule invoking a function",
			region(), partition(), account(),
			param("from", "jane.doe@example.com", "the sender's address"),
			param("to", "johndoe@example.com", "the recipient's address"),
			param("subject", "Test Subject", "the subject")),

		tpl("sns", "notification", "SNS topic notification",
			account(), partition(), region(),
			param("topic", "ExampleTopic", "the topic name"),
			param("subject", "example subject", "the subject"),
			param("message", "example message", "the message")),

		tpl("sqs", "receive-message", "SQS batch of one message",
			partition(), region(), account(),
			param("queue-name", "MyQueue", "the queue name"),
			param("body", "Hello from SQS!", "the message body")),
		tpl("sqs", "receive-message-batch", "SQS batch of several messages (set --count)",
			partition(), region(), account(),
			param("queue-name", "MyQueue", "the queue name"),
			param("body", "Hello from SQS!", "the body of every message"),
			count("3", "how many messages")),

		tpl("stepfunctions", "error", "Step Functions error output, as a Catch passes it on",
			param("error", "ErrorName", "the error name"),
			param("cause", "This is the cause of the error.", "the error's cause")),

		tpl("workmail", "email", "WorkMail email flow rule invoking a function",
			param("flow-direction", "INBOUND", "INBOUND or OUTBOUND"),
			param("mail-from", "from@example.com", "the envelope sender"),
			param("sender", "sender@example.com", "the Sender header"),
			param("recipient", "recipient@example.com", "the envelope recipient"),
			param("subject", "Hello WorkMail", "the subject")),
	}
}
