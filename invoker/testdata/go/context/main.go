// Command context reports what aws-lambda-go makes of the Runtime API's
// headers and the environment: the lambdacontext values, the deadline, and
// how many invocations this process has served.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

var served int

type report struct {
	RequestID       string                        `json:"requestId"`
	FunctionARN     string                        `json:"functionArn"`
	Identity        lambdacontext.CognitoIdentity `json:"identity"`
	ClientContext   lambdacontext.ClientContext   `json:"clientContext"`
	DeadlineMs      int64                         `json:"deadlineMs"`
	TraceID         string                        `json:"traceId"`
	TraceEnv        string                        `json:"traceEnv"`
	FunctionName    string                        `json:"functionName"`
	FunctionVersion string                        `json:"functionVersion"`
	MemoryLimitInMB int                           `json:"memoryLimitInMB"`
	LogGroupName    string                        `json:"logGroupName"`
	LogStreamName   string                        `json:"logStreamName"`
	Served          int                           `json:"served"`
}

func handle(ctx context.Context) (report, error) {
	served++
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return report{}, fmt.Errorf("no lambda context")
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return report{}, fmt.Errorf("no deadline")
	}
	trace, _ := ctx.Value("x-amzn-trace-id").(string)
	fmt.Println("serving", lc.AwsRequestID)
	return report{
		RequestID:       lc.AwsRequestID,
		FunctionARN:     lc.InvokedFunctionArn,
		Identity:        lc.Identity,
		ClientContext:   lc.ClientContext,
		DeadlineMs:      deadline.UnixMilli(),
		TraceID:         trace,
		TraceEnv:        os.Getenv("_X_AMZN_TRACE_ID"),
		FunctionName:    lambdacontext.FunctionName,
		FunctionVersion: lambdacontext.FunctionVersion,
		MemoryLimitInMB: lambdacontext.MemoryLimitInMB,
		LogGroupName:    lambdacontext.LogGroupName,
		LogStreamName:   lambdacontext.LogStreamName,
		Served:          served,
	}, nil
}

func main() { lambda.Start(handle) }
