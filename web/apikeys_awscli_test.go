package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/store"
)

// debianAWSCLI is Debian's AWS CLI v2; an older v1 may come first on PATH.
const debianAWSCLI = "/usr/bin/aws"

// lockedBuffer is a log sink tests read while the server writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// teamAPI is a team-mode server (--auth local: signed Lambda API requests) with accounts
// and their keys, and everything it logs at debug level.
type teamAPI struct {
	*apiEnv
	secrets *store.Secrets
	logs    *lockedBuffer
	users   map[string]lambdadeck.User
}

func newTeamAPI(t *testing.T) *teamAPI {
	t.Helper()
	team := &teamAPI{logs: &lockedBuffer{}, users: map[string]lambdadeck.User{}}
	team.apiEnv = newAPIEnvWith(t, func(dir string, cfg *Config) {
		secrets, err := store.OpenSecrets(filepath.Join(dir, "state", store.SecretsFile))
		if err != nil {
			t.Fatal(err)
		}
		team.secrets = secrets
		// Team mode with local accounts: the Lambda API checks signatures.
		cfg.Auth, cfg.Secrets = AuthConfig{Mode: AuthLocal}, secrets
		cfg.Logger = slog.New(slog.NewTextHandler(team.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for name, role := range map[string]lambdadeck.Role{"alice": lambdadeck.RoleRunner, "vera": lambdadeck.RoleViewer, "dan": lambdadeck.RoleRunner} {
		u := lambdadeck.User{Name: name, Role: role}
		if err := team.db.CreateUser(context.Background(), &u, ""); err != nil {
			t.Fatal(err)
		}
		team.users[name] = u
	}
	return team
}

func (team *teamAPI) key(t *testing.T, user, name string) (lambdadeck.APIKey, string) {
	t.Helper()
	k, secret, err := team.db.CreateAPIKey(context.Background(), team.secrets, team.users[user].ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// awsV2 is Debian's AWS CLI with a fresh, empty configuration of its own.
type awsV2 struct {
	endpoint string
	env      []string
}

func newAWSV2(t *testing.T, endpoint string) *awsV2 {
	t.Helper()
	if _, err := os.Stat(debianAWSCLI); err != nil {
		t.Skipf("Debian's AWS CLI v2 is not at %s (apt-get install awscli): %v", debianAWSCLI, err)
	}
	dir := t.TempDir()
	cli := &awsV2{endpoint: endpoint}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cli.env = append(cli.env, kv)
		}
	}
	cli.env = append(cli.env,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard", "AWS_EC2_METADATA_DISABLED=true")
	return cli
}

func (cli *awsV2) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianAWSCLI, args...)
	cmd.Env = cli.env
	cmd.Dir = t.TempDir()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// configure sets up a profile the way the README tells a user to.
func (cli *awsV2) configure(t *testing.T, profile, keyID, secret string) {
	t.Helper()
	for _, kv := range [][2]string{{"aws_access_key_id", keyID}, {"aws_secret_access_key", secret}, {"region", "us-east-1"}} {
		if _, stderr, err := cli.run(t, "configure", "set", kv[0], kv[1], "--profile", profile); err != nil {
			t.Fatalf("aws configure set %s: %v\n%s", kv[0], err, stderr)
		}
	}
}

// invoke runs `aws lambda invoke` with profile and returns what it printed
// and the payload it saved.
func (cli *awsV2) invoke(t *testing.T, profile, function, payload string) (stdout, stderr string, out []byte, err error) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "out.json")
	stdout, stderr, err = cli.run(t, "lambda", "invoke", "--profile", profile, "--endpoint-url", cli.endpoint,
		"--function-name", function, "--cli-binary-format", "raw-in-base64-out", "--payload", payload,
		"--log-type", "Tail", "--output", "json", outFile)
	out, _ = os.ReadFile(outFile)
	return stdout, stderr, out, err
}

func TestAWSCLISignedWithAPIKeys(t *testing.T) {
	team := newTeamAPI(t)
	cli := newAWSV2(t, team.url)
	alice, aliceSecret := team.key(t, "alice", "ci")
	vera, veraSecret := team.key(t, "vera", "laptop")
	dan, danSecret := team.key(t, "dan", "old")
	revoked, revokedSecret := team.key(t, "alice", "revoked")
	if err := team.db.RevokeAPIKey(context.Background(), revoked.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	cli.configure(t, "alice", alice.AccessKeyID, aliceSecret)
	cli.configure(t, "vera", vera.AccessKeyID, veraSecret)
	cli.configure(t, "dan", dan.AccessKeyID, danSecret)
	cli.configure(t, "wrong", alice.AccessKeyID, strings.ToUpper(aliceSecret[:20])+aliceSecret[20:]+"x")
	cli.configure(t, "revoked", revoked.AccessKeyID, revokedSecret)
	cli.configure(t, "unknown", "LDAKAAAAAAAAAAAAAAAA", aliceSecret)

	t.Run("a runner's key invokes", func(t *testing.T) {
		before := team.invocationCount(t, "echo")
		stdout, stderr, out, err := cli.invoke(t, "alice", "echo", `{"from":"team"}`)
		if err != nil {
			t.Fatalf("aws lambda invoke: %v\n%s", err, stderr)
		}
		var res invokeResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.StatusCode != 200 || res.FunctionError != "" {
			t.Fatalf("aws printed %q (%v)", stdout, err)
		}
		if !bytes.Contains(out, []byte(`"event":{"from":"team"}`)) {
			t.Errorf("payload = %s", out)
		}
		if n := team.invocationCount(t, "echo"); n != before+1 {
			t.Errorf("echo has %d invocations, want %d", n, before+1)
		}
		k, err := team.db.APIKey(context.Background(), alice.AccessKeyID)
		if err != nil || k.LastUsedAt.IsZero() {
			t.Errorf("the key's last use was not recorded: %+v, %v", k, err)
		}
	})

	t.Run("a function named by its ARN (escaped colons are signed as sent)", func(t *testing.T) {
		_, stderr, out, err := cli.invoke(t, "alice", "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST", `{}`)
		if err != nil {
			t.Fatalf("aws lambda invoke by ARN: %v\n%s", err, stderr)
		}
		if !bytes.Contains(out, []byte(`"event":{}`)) {
			t.Errorf("payload = %s", out)
		}
	})

	t.Run("a viewer lists but may not invoke", func(t *testing.T) {
		stdout, stderr, err := cli.run(t, "lambda", "list-functions", "--profile", "vera", "--endpoint-url", cli.endpoint, "--output", "json")
		if err != nil || !strings.Contains(stdout, `"FunctionName": "echo"`) {
			t.Fatalf("list-functions as a viewer: %v\n%s\n%s", err, stdout, stderr)
		}
		before := team.invocationCount(t, "echo")
		_, stderr, _, err = cli.invoke(t, "vera", "echo", `{}`)
		if err == nil || !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, "vera") {
			t.Fatalf("a viewer's invoke: err = %v, stderr:\n%s", err, stderr)
		}
		if n := team.invocationCount(t, "echo"); n != before {
			t.Errorf("a refused invoke ran the function")
		}
	})

	refusals := []struct {
		profile, code, message string
	}{
		{"wrong", "InvalidSignatureException", sigv4MessageMismatch},
		{"revoked", "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"unknown", "UnrecognizedClientException", "The security token included in the request is invalid."},
	}
	for _, r := range refusals {
		t.Run("refused: "+r.profile, func(t *testing.T) {
			before := team.invocationCount(t, "echo")
			_, stderr, _, err := cli.invoke(t, r.profile, "echo", `{}`)
			// aws prints "An error occurred (Code) when calling the Invoke
			// operation (reached max retries: 0): message".
			if err == nil || !strings.Contains(stderr, "An error occurred ("+r.code+") when calling the Invoke operation") ||
				!strings.Contains(stderr, "): "+r.message) {
				t.Fatalf("err = %v, stderr:\n%s\nwant %s: %q", err, stderr, r.code, r.message)
			}
			if n := team.invocationCount(t, "echo"); n != before {
				t.Errorf("a refused invoke ran the function")
			}
		})
	}

	t.Run("a disabled account's key is refused", func(t *testing.T) {
		if _, stderr, _, err := cli.invoke(t, "dan", "echo", `{}`); err != nil {
			t.Fatalf("dan's key before: %v\n%s", err, stderr)
		}
		if err := team.db.SetUserDisabled(context.Background(), team.users["dan"].ID, true); err != nil {
			t.Fatal(err)
		}
		_, stderr, _, err := cli.invoke(t, "dan", "echo", `{}`)
		if err == nil || !strings.Contains(stderr, "UnrecognizedClientException") {
			t.Fatalf("a disabled account's key: err = %v\n%s", err, stderr)
		}
	})

	t.Run("the current role counts, not the role at the key's creation", func(t *testing.T) {
		if err := team.db.SetUserRole(context.Background(), team.users["vera"].ID, lambdadeck.RoleRunner); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = team.db.SetUserRole(context.Background(), team.users["vera"].ID, lambdadeck.RoleViewer) })
		if _, stderr, _, err := cli.invoke(t, "vera", "echo", `{}`); err != nil {
			t.Fatalf("vera as a runner: %v\n%s", err, stderr)
		}
	})

	t.Run("unsigned requests are refused", func(t *testing.T) {
		_, stderr, err := cli.run(t, "lambda", "list-functions", "--no-sign-request", "--region", "us-east-1", "--endpoint-url", cli.endpoint)
		if err == nil || !strings.Contains(stderr, "MissingAuthenticationTokenException") {
			t.Fatalf("unsigned: err = %v\n%s", err, stderr)
		}
	})

	t.Run("no secret in logs or the database file", func(t *testing.T) {
		logs := team.logs.String()
		if !strings.Contains(logs, "/2015-03-31/functions/echo/invocations") {
			t.Fatalf("the debug log has no request lines, so it proves nothing:\n%s", truncate(logs, 2000))
		}
		for _, secret := range []string{aliceSecret, veraSecret, danSecret, revokedSecret} {
			if strings.Contains(logs, secret) {
				t.Errorf("a key's secret is in the server's log")
			}
			for _, f := range []string{"lambdadeck.db", "lambdadeck.db-wal"} {
				data, err := os.ReadFile(filepath.Join(team.dir, f))
				if err != nil && f == "lambdadeck.db" {
					t.Fatal(err)
				}
				if bytes.Contains(data, []byte(secret)) {
					t.Errorf("a key's secret is in %s in the clear", f)
				}
			}
		}
	})
}

// sigv4MessageMismatch is AWS's message for a wrong signature.
const sigv4MessageMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func TestSDKSignedWithAPIKeys(t *testing.T) {
	team := newTeamAPI(t)
	alice, secret := team.key(t, "alice", "sdk")
	ctx := testContext(t)
	client := func(keyID, secret string) *lambda.Client {
		return lambda.New(lambda.Options{
			BaseEndpoint: aws.String(team.url), Region: "eu-west-1",
			Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), Retryer: aws.NopRetryer{},
		})
	}
	out, err := client(alice.AccessKeyID, secret).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`{"sdk":true}`)})
	if err != nil || !bytes.Contains(out.Payload, []byte(`"sdk":true`)) {
		t.Fatalf("SDK invoke with the key: %v", err)
	}
	if _, err := client(alice.AccessKeyID, secret).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("echo")}); err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	_, err = client(alice.AccessKeyID, "not-the-secret").Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("wrong secret: err = %v", err)
	}
	// The --api-addr listener checks signatures too.
	api := httptest.NewServer(team.server.LambdaAPI())
	t.Cleanup(api.Close)
	apiClient := func(keyID, secret string) *lambda.Client {
		return lambda.New(lambda.Options{BaseEndpoint: aws.String(api.URL), Region: "us-east-1", Retryer: aws.NopRetryer{},
			Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	}
	if _, err := apiClient(alice.AccessKeyID, secret).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")}); err != nil {
		t.Fatalf("invoke on the API listener with the key: %v", err)
	}
	_, err = apiClient("AKIDEXAMPLE", "dummy").Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("dummy credentials on the API listener: err = %v", err)
	}
	resp, err := http.Post(api.URL+"/2015-03-31/functions/echo/invocations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned on the API listener: %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
	// A session token goes with temporary credentials, which lambdadeck
	// does not issue.
	_, err = lambda.New(lambda.Options{BaseEndpoint: aws.String(team.url), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(alice.AccessKeyID, secret, "token")}).
		ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("with a session token: err = %v", err)
	}
}

// TestSignedRequestSkew signs requests with the SDK's signer at chosen
// times: 15 minutes either way is the most AWS allows.
func TestSignedRequestSkew(t *testing.T) {
	team := newTeamAPI(t)
	alice, secret := team.key(t, "alice", "skew")
	send := func(at time.Time, body string, tamper func(*http.Request)) (*http.Response, map[string]string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, team.url+"/2015-03-31/functions/echo/invocations", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		hash := sha256Hex([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: alice.AccessKeyID, SecretAccessKey: secret},
			req, hash, "lambda", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	now := time.Now()
	if resp, _ := send(now.Add(-14*time.Minute), `{}`, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("signed 14 minutes ago: %d, want 200", resp.StatusCode)
	}
	resp, body := send(now.Add(-16*time.Minute), `{}`, nil)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "InvalidSignatureException" ||
		!strings.HasPrefix(body["message"], "Signature expired: ") || !strings.Contains(body["message"], "- 15 min.)") {
		t.Errorf("signed 16 minutes ago: %d %s %v", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
	resp, body = send(now.Add(16*time.Minute), `{}`, nil)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "InvalidSignatureException" ||
		!strings.HasPrefix(body["message"], "Signature not yet current: ") {
		t.Errorf("signed 16 minutes ahead: %d %s %v", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
	// A body changed after signing is refused.
	resp, body = send(now, `{"a":1}`, func(r *http.Request) {
		r.Body, r.ContentLength = nopBody(`{"a":2}`), 7
	})
	if resp.StatusCode != http.StatusForbidden || body["message"] != sigv4MessageMismatch {
		t.Errorf("tampered body: %d %v", resp.StatusCode, body)
	}
	// So is a signed header changed after signing.
	resp, _ = send(now, `{}`, func(r *http.Request) { r.Header.Set("X-Amz-Invocation-Type", "Event") })
	if resp.StatusCode != http.StatusOK {
		// X-Amz-Invocation-Type was not signed here: adding it is allowed.
		t.Logf("unsigned header added: %d", resp.StatusCode)
	}
	resp, body = send(now, `{}`, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	if resp.StatusCode != http.StatusForbidden || body["message"] != sigv4MessageMismatch {
		t.Errorf("signed header changed: %d %v", resp.StatusCode, body)
	}
	resp, body = send(now, `{}`, func(r *http.Request) { r.Header.Set("Authorization", "Basic YWxpY2U6c2VjcmV0") })
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "IncompleteSignatureException" {
		t.Errorf("another scheme: %d %s %v", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func nopBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
