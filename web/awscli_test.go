package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// awsCLI runs the AWS CLI installed on the machine against lambdadeck, with
// throwaway credentials and empty config files so that nothing of the
// user's own AWS setup is read or used.
type awsCLI struct {
	path     string
	major    int
	endpoint string
	env      []string
}

func newAWSCLI(t *testing.T, endpoint string) *awsCLI {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH; install it (e.g. Debian's awscli package) to run this test")
	}
	dir := t.TempDir()
	config, credentials := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{config, credentials} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cli := &awsCLI{path: path, endpoint: endpoint}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cli.env = append(cli.env, kv)
		}
	}
	cli.env = append(cli.env,
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE="+credentials,
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")

	version, _, err := cli.run(t, "--version")
	if err != nil {
		t.Skipf("aws --version failed: %v", err)
	}
	m := regexp.MustCompile(`aws-cli/(\d+)\.`).FindStringSubmatch(version)
	if m == nil {
		t.Skipf("cannot tell the AWS CLI's version from %q", version)
	}
	cli.major = int(m[1][0] - '0')
	t.Logf("using %s", strings.TrimSpace(version))
	return cli
}

// run runs aws with args and returns its stdout and stderr. aws-cli v1
// prints --version on stderr, so the version check reads both.
func (cli *awsCLI) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli.path, args...)
	cmd.Env = cli.env
	cmd.Dir = t.TempDir()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if args[0] == "--version" {
		return out.String() + errOut.String(), "", err
	}
	return out.String(), errOut.String(), err
}

// lambda runs an `aws lambda` subcommand against lambdadeck.
func (cli *awsCLI) lambda(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return cli.run(t, append([]string{"lambda", "--endpoint-url", cli.endpoint, "--output", "json"}, args...)...)
}

// payloadArgs passes a JSON payload as given: v2 reads blobs as base64
// unless told otherwise, v1 knows no --cli-binary-format and takes them raw.
func (cli *awsCLI) payloadArgs(payload string) []string {
	args := []string{"--payload", payload}
	if cli.major >= 2 {
		args = append(args, "--cli-binary-format", "raw-in-base64-out")
	}
	return args
}

// invokeResult is what `aws lambda invoke` prints.
type invokeResult struct {
	StatusCode      int
	FunctionError   string
	LogResult       string
	ExecutedVersion string
}

func TestAWSCLI(t *testing.T) {
	env := newAPIEnv(t)
	cli := newAWSCLI(t, env.url)

	t.Run("invoke with Tail logs", func(t *testing.T) {
		outFile := filepath.Join(t.TempDir(), "out.json")
		args := append([]string{"invoke", "--function-name", "echo", "--log-type", "Tail"}, cli.payloadArgs(`{"from":"cli"}`)...)
		stdout, stderr, err := cli.lambda(t, append(args, outFile)...)
		if err != nil {
			t.Fatalf("aws lambda invoke: %v\n%s", err, stderr)
		}
		var res invokeResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("aws printed %q: %v", stdout, err)
		}
		if res.StatusCode != 200 || res.FunctionError != "" || res.ExecutedVersion != "$LATEST" {
			t.Errorf("invoke printed %+v", res)
		}
		payload, err := os.ReadFile(outFile)
		if err != nil || !bytes.Contains(payload, []byte(`"event":{"from":"cli"}`)) {
			t.Errorf("out.json = %s (%v)", payload, err)
		}
		logs, err := base64.StdEncoding.DecodeString(res.LogResult)
		if err != nil {
			t.Fatalf("LogResult is not base64: %v", err)
		}
		m := regexp.MustCompile(`START RequestId: (\S+)`).FindSubmatch(logs)
		if m == nil || !bytes.Contains(logs, []byte("REPORT RequestId: "+string(m[1]))) {
			t.Fatalf("log tail without START and REPORT:\n%s", logs)
		}
		inv := env.storedInvocation(t, string(m[1]))
		if inv.Source != lambdadeck.SourceAPI || !strings.Contains(inv.UserAgent, "aws-cli/") {
			t.Errorf("recorded source %s, user agent %q", inv.Source, inv.UserAgent)
		}
	})

	t.Run("function error", func(t *testing.T) {
		outFile := filepath.Join(t.TempDir(), "out.json")
		stdout, stderr, err := cli.lambda(t, "invoke", "--function-name", "fail", outFile)
		if err != nil {
			t.Fatalf("aws lambda invoke: %v\n%s", err, stderr)
		}
		var res invokeResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.FunctionError != "Unhandled" {
			t.Errorf("invoke printed %q", stdout)
		}
		if payload, _ := os.ReadFile(outFile); !bytes.Contains(payload, []byte(`"errorMessage":"boom"`)) {
			t.Errorf("out.json = %s", payload)
		}
	})

	t.Run("Event", func(t *testing.T) {
		before := env.invocationCount(t, "echo")
		args := append([]string{"invoke", "--function-name", "echo", "--invocation-type", "Event"}, cli.payloadArgs(`{"async":"cli"}`)...)
		stdout, stderr, err := cli.lambda(t, append(args, filepath.Join(t.TempDir(), "out.json"))...)
		if err != nil {
			t.Fatalf("aws lambda invoke --invocation-type Event: %v\n%s", err, stderr)
		}
		var res invokeResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.StatusCode != 202 {
			t.Errorf("invoke printed %q", stdout)
		}
		page, err := env.db.ListInvocations(context.Background(), store.InvocationFilter{Function: "echo", Limit: 1})
		if err != nil || len(page.Items) != 1 || env.invocationCount(t, "echo") != before+1 {
			t.Fatalf("the Event invocation is not recorded: %v", err)
		}
		if inv := env.awaitFinished(t, page.Items[0].RequestID); inv.Status != lambdadeck.StatusSucceeded || !bytes.Contains(inv.Event, []byte(`"async":"cli"`)) {
			t.Errorf("the Event invocation ended %s with event %s", inv.Status, inv.Event)
		}
	})

	t.Run("list-functions", func(t *testing.T) {
		stdout, stderr, err := cli.lambda(t, "list-functions")
		if err != nil {
			t.Fatalf("aws lambda list-functions: %v\n%s", err, stderr)
		}
		var res struct {
			Functions []struct{ FunctionName, Runtime, State string }
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("list-functions printed %q: %v", stdout, err)
		}
		var names []string
		for _, fn := range res.Functions {
			names = append(names, fn.FunctionName)
		}
		if strings.Join(names, ",") != "echo,fail,hold,image" {
			t.Errorf("list-functions: %v", names)
		}
	})

	t.Run("get-function-configuration", func(t *testing.T) {
		stdout, stderr, err := cli.lambda(t, "get-function-configuration", "--function-name", "arn:aws:lambda:us-east-1:123456789012:function:echo")
		if err != nil {
			t.Fatalf("aws lambda get-function-configuration: %v\n%s", err, stderr)
		}
		var cfg struct{ FunctionName, Handler string }
		if err := json.Unmarshal([]byte(stdout), &cfg); err != nil || cfg.FunctionName != "echo" || cfg.Handler != "index.echo" {
			t.Errorf("get-function-configuration printed %q", stdout)
		}
	})

	t.Run("unknown function", func(t *testing.T) {
		_, stderr, err := cli.lambda(t, "invoke", "--function-name", "nope", filepath.Join(t.TempDir(), "out.json"))
		if err == nil {
			t.Fatal("aws lambda invoke of an unknown function exited 0")
		}
		if !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope") {
			t.Errorf("stderr = %q", stderr)
		}
	})
}
