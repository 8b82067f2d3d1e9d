// Package apiclient is the command line's way to a lambdadeck server
// (lambdadeck invoke --server, lambdadeck functions --server): the AWS SDK's
// own Lambda client, aimed at the server's Lambda API and signing with an
// API key, as the AWS CLI does. Nothing is signed or sent here by hand.
package apiclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambdadeck/lambdadeck"
)

// The environment variables that carry an API key, before the AWS ones.
const (
	EnvAccessKeyID     = "LAMBDADECK_ACCESS_KEY_ID"
	EnvSecretAccessKey = "LAMBDADECK_SECRET_ACCESS_KEY"
)

// defaultRegion signs requests when no profile names one: lambdadeck
// accepts any Region in the signature.
const defaultRegion = "us-east-1"

// Credentials say which API key signs. The first that is set wins: the
// key given here, then LAMBDADECK_ACCESS_KEY_ID and
// LAMBDADECK_SECRET_ACCESS_KEY, then the AWS shared configuration (Profile,
// else AWS_PROFILE or default, and the AWS_* variables) as the AWS CLI
// reads it.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	Profile         string
}

// Client calls one lambdadeck server.
type Client struct {
	lambda *lambda.Client
	server string
}

// New returns a client of server (http://host:port, the dashboard's or
// --api-addr's address).
func New(ctx context.Context, server string, creds Credentials) (*Client, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "--server %q is not a URL like http://lambdadeck.example:8080", server)
	}
	if creds.AccessKeyID == "" && creds.SecretAccessKey == "" {
		creds.AccessKeyID, creds.SecretAccessKey = os.Getenv(EnvAccessKeyID), os.Getenv(EnvSecretAccessKey)
	}
	if (creds.AccessKeyID == "") != (creds.SecretAccessKey == "") {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "an API key needs both its access key id and its secret access key (--access-key-id and --secret-access-key, or %s and %s)", EnvAccessKeyID, EnvSecretAccessKey)
	}
	var opts []func(*config.LoadOptions) error
	if creds.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(creds.Profile))
	}
	if creds.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String(strings.TrimSuffix(server, "/"))
		// A refusal or a function error is an answer: retrying changes nothing.
		o.Retryer = aws.NopRetryer{}
	})
	return &Client{lambda: client, server: server}, nil
}

// Result is what a server's Invoke answered.
type Result struct {
	RequestID string
	Payload   []byte
	// Logs is the tail of the log the server sends (Lambda's LogType=Tail:
	// its last 4 KB).
	Logs string
	// FunctionError is "Unhandled" when the function failed, else "".
	FunctionError string
}

// Invoke runs function on the server, synchronously, with the log tail.
func (c *Client) Invoke(ctx context.Context, function string, event, clientContext []byte) (Result, error) {
	in := &lambda.InvokeInput{
		FunctionName: aws.String(function),
		Payload:      event,
		LogType:      types.LogTypeTail,
	}
	if len(clientContext) > 0 {
		in.ClientContext = aws.String(base64.StdEncoding.EncodeToString(clientContext))
	}
	out, err := c.lambda.Invoke(ctx, in)
	if err != nil {
		return Result{}, c.explain(err)
	}
	res := Result{Payload: out.Payload, FunctionError: aws.ToString(out.FunctionError)}
	if out.LogResult != nil {
		logs, err := base64.StdEncoding.DecodeString(*out.LogResult)
		if err != nil {
			return Result{}, fmt.Errorf("%s sent a log that is not base64: %w", c.server, err)
		}
		res.Logs = string(logs)
	}
	if id, ok := requestID(out.ResultMetadata); ok {
		res.RequestID = id
	}
	return res, nil
}

// Function is one function as the server's ListFunctions describes it.
type Function struct {
	Name     string
	Runtime  string
	Handler  string
	Timeout  int32 // seconds
	MemoryMB int32
	State    string
}

// Functions lists the server's functions, every page of them.
func (c *Client) Functions(ctx context.Context) ([]Function, error) {
	var fns []Function
	pages := lambda.NewListFunctionsPaginator(c.lambda, &lambda.ListFunctionsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, c.explain(err)
		}
		for _, f := range page.Functions {
			fns = append(fns, Function{
				Name: aws.ToString(f.FunctionName), Runtime: string(f.Runtime), Handler: aws.ToString(f.Handler),
				Timeout: aws.ToInt32(f.Timeout), MemoryMB: aws.ToInt32(f.MemorySize), State: string(f.State),
			})
		}
	}
	return fns, nil
}

// explain turns the SDK's error into lambdadeck's: refusals of the key are
// the user's to fix, and say how.
func (c *Client) explain(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("cannot reach %s: %w", c.server, err)
	}
	msg := fmt.Sprintf("%s answered %s: %s", c.server, ae.ErrorCode(), ae.ErrorMessage())
	switch ae.ErrorCode() {
	case "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException", "IncompleteSignatureException":
		return lambdadeck.Errorf(lambdadeck.EUNAUTHORIZED, "%s (check the API key: --access-key-id/--secret-access-key, %s/%s, or --profile; create one with lambdadeck keys create)", msg, EnvAccessKeyID, EnvSecretAccessKey)
	case "AccessDeniedException":
		return lambdadeck.Errorf(lambdadeck.EFORBIDDEN, "%s", msg)
	case "ResourceNotFoundException":
		return lambdadeck.Errorf(lambdadeck.ENOTFOUND, "%s", msg)
	case "ValidationException", "InvalidParameterValueException", "InvalidRequestContentException":
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s", msg)
	case "RequestEntityTooLargeException":
		return lambdadeck.Errorf(lambdadeck.ETOOLARGE, "%s", msg)
	case "TooManyRequestsException":
		return lambdadeck.Errorf(lambdadeck.ETHROTTLED, "%s", msg)
	}
	return lambdadeck.Errorf(lambdadeck.EINTERNAL, "%s", msg)
}

// requestID reads the x-amzn-RequestId the SDK kept.
func requestID(md middleware.Metadata) (string, bool) {
	return awsmiddleware.GetRequestIDMetadata(md)
}
