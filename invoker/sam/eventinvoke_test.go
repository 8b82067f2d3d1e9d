package sam_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

func TestEventInvokeConfig(t *testing.T) {
	tmpl := load(t, `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs20.x
    CodeUri: src/
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.orders
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 120
        DestinationConfig:
          OnSuccess:
            Type: SQS
            Destination: !GetAtt Done.Arn
          OnFailure:
            Type: Lambda
            Destination: !GetAtt Failures.Arn
      DeadLetterQueue:
        Type: SNS
        TargetArn: arn:aws:sns:us-east-1:123456789012:dead
  Failures:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: order-failures
      Handler: index.failures
  ByArn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.byArn
      EventInvokeConfig:
        MaximumRetryAttempts: 7
        DestinationConfig:
          OnFailure:
            Type: Lambda
            Destination: arn:aws:lambda:us-east-1:123456789012:function:order-failures
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: src/
      DeadLetterConfig:
        TargetArn: arn:aws:sqs:us-east-1:123456789012:plain-dlq
  PlainConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Plain
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnSuccess:
          Destination: !GetAtt Orders.Arn
  Done:
    Type: AWS::SQS::Queue
`, "src")
	get := func(name string) lambdadeck.Function {
		fn, err := tmpl.Function(name)
		if err != nil {
			t.Fatal(err)
		}
		return fn
	}
	orders := get("Orders").EventInvoke
	if orders.RetryAttempts() != 1 || orders.MaxAge() != 2*time.Minute {
		t.Errorf("Orders retries %d, max age %s", orders.RetryAttempts(), orders.MaxAge())
	}
	if orders.OnFailure != (lambdadeck.Destination{Type: "Lambda", Target: "order-failures"}) {
		t.Errorf("Orders OnFailure %+v, want the function order-failures", orders.OnFailure)
	}
	// The queue's ARN as the loader resolves it (a stand-in ARN, or the
	// literal !GetAtt when it cannot).
	if orders.OnSuccess.Type != "SQS" || !strings.Contains(orders.OnSuccess.Target, "Done") {
		t.Errorf("Orders OnSuccess %+v, want the SQS queue Done", orders.OnSuccess)
	}
	if orders.DeadLetter != (lambdadeck.Destination{Type: "SNS", Target: "arn:aws:sns:us-east-1:123456789012:dead"}) {
		t.Errorf("Orders dead letter %+v", orders.DeadLetter)
	}
	byArn := get("ByArn").EventInvoke
	if byArn.OnFailure != (lambdadeck.Destination{Type: "Lambda", Target: "order-failures"}) {
		t.Errorf("ByArn OnFailure %+v: a function ARN of the template names that function", byArn.OnFailure)
	}
	if byArn.MaximumRetryAttempts != nil || byArn.RetryAttempts() != 2 {
		t.Errorf("ByArn: an out-of-range MaximumRetryAttempts is ignored (default 2), got %d", byArn.RetryAttempts())
	}
	plain := get("Plain").EventInvoke
	if plain.RetryAttempts() != 0 || plain.OnSuccess != (lambdadeck.Destination{Type: "Lambda", Target: "Orders"}) ||
		plain.DeadLetter != (lambdadeck.Destination{Type: "SQS", Target: "arn:aws:sqs:us-east-1:123456789012:plain-dlq"}) {
		t.Errorf("Plain: %+v", plain)
	}
	if def := get("order-failures").EventInvoke; def.RetryAttempts() != 2 || def.MaxAge() != 6*time.Hour {
		t.Errorf("defaults: %d retries, %s", def.RetryAttempts(), def.MaxAge())
	}
	warnings := strings.Join(tmpl.Warnings, "\n")
	if !strings.Contains(warnings, "MaximumRetryAttempts 7 is not a whole number from 0 to 2") {
		t.Errorf("warnings: %s", warnings)
	}
	if strings.Contains(warnings, "Failures.Arn") || strings.Contains(warnings, "Orders.Arn") {
		t.Errorf("a function's !GetAtt Arn is resolved, yet warned about: %s", warnings)
	}
}
