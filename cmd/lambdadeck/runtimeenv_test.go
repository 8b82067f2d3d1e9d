package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// clearAWSEnv leaves lambdadeck only the AWS configuration a test gives it.
func clearAWSEnv(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const credentialsProject = `Transform: AWS::Serverless-2016-10-31
Resources:
  CredsFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: creds
      Runtime: nodejs22.x
      Handler: index.handler
      CodeUri: src/
`

const credentialsHandler = `const crypto = require('node:crypto');
const digest = (s) => s === undefined ? null : crypto.createHash('sha256').update(s).digest('hex');
exports.handler = async (event, context) => ({
  key: process.env.AWS_ACCESS_KEY_ID ?? null, secret: digest(process.env.AWS_SECRET_ACCESS_KEY),
  token: digest(process.env.AWS_SESSION_TOKEN), imds: process.env.AWS_EC2_METADATA_DISABLED ?? null,
  region: process.env.AWS_REGION, arn: context.invokedFunctionArn,
});
`

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestCredentialsFromProfile: a profile's credentials and Region reach the
// handler, and never the database or the dashboard's pages.
func TestCredentialsFromProfile(t *testing.T) {
	requireRuntimes(t)
	clearAWSEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	const secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY", "IQoJb3JpZ2luX2VjSESSIONTOKEN"
	writeFiles(t, dir, map[string]string{
		"template.yaml": credentialsProject,
		"src/index.js":  credentialsHandler,
		"aws/config":    "[profile dev]\nregion = eu-central-1\n",
		"aws/credentials": "[dev]\naws_access_key_id = AKIAPROFILEDEV\naws_secret_access_key = " + secret +
			"\naws_session_token = " + token + "\n",
	})
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "aws/config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws/credentials"))

	code, stdout, stderr := run(t, "", "invoke", "CredsFunction", "--profile", "dev")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct{ Key, Secret, Token, Region, Arn string }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	if got.Key != "AKIAPROFILEDEV" || got.Secret != digest(secret) || got.Token != digest(token) || got.Region != "eu-central-1" ||
		got.Arn != "arn:aws:lambda:eu-central-1:123456789012:function:creds" {
		t.Errorf("handler saw %+v", got)
	}
	if strings.Contains(stderr, secret) || strings.Contains(stderr, token) {
		t.Errorf("stderr shows a secret:\n%s", stderr)
	}

	// Nothing the dashboard shows or the database keeps holds them.
	base := startServer(t, "--profile", "dev")
	body := apiInvoke(t, base, "CredsFunction", `{}`) // by logical ID
	if !strings.Contains(body, "AKIAPROFILEDEV") {
		t.Fatalf("API invoke: %s", body)
	}
	for _, page := range []string{"/", "/functions/creds", "/functions/CredsFunction", "/invocations"} {
		resp, err := http.Get(base + page)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", page, resp.StatusCode)
		}
		if strings.Contains(string(html), secret) || strings.Contains(string(html), token) {
			t.Errorf("%s shows a secret", page)
		}
	}
	db, err := os.ReadFile(filepath.Join(dir, ".lambdadeck", "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, ".lambdadeck", "lambdadeck.db-wal"))
	if strings.Contains(string(db)+string(wal), secret) || strings.Contains(string(db)+string(wal), token) {
		t.Error("the database holds a secret")
	}

	// A missing profile is a clear error; no credentials at all disable the
	// instance metadata service for the handler's SDK.
	if code, _, stderr := run(t, "", "invoke", "creds", "--profile", "nope"); code != exitUsage || !strings.Contains(stderr, `AWS profile "nope"`) {
		t.Errorf("missing profile: exit %d\n%s", code, stderr)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "aws/none"))
	code, stdout, stderr = run(t, "", "invoke", "creds", "--region", "ap-south-1")
	if code != exitOK || !strings.Contains(stdout, `"key":null`) || !strings.Contains(stdout, `"imds":"true"`) || !strings.Contains(stdout, `"region":"ap-south-1"`) {
		t.Errorf("without credentials: exit %d %s\n%s", code, stdout, stderr)
	}
}

const standInsProject = `Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
  EnvFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: env-fn
      Runtime: nodejs16.x
      Handler: index.handler
      CodeUri: src/
      Environment:
        Variables:
          TABLE: !Ref Orders
          TABLE_ARN: !GetAtt Orders.Arn
          FROM_FILE: template
          ONLY_TEMPLATE: kept
`

const envHandler = `exports.handler = async () => {
  console.log("first line\nsecond line");
  const pick = ["TABLE", "TABLE_ARN", "FROM_FILE", "ONLY_TEMPLATE", "SHARED", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"];
  return Object.fromEntries(pick.map((k) => [k, process.env[k] ?? null]));
};
`

func TestInvokeStandInsEnvVarsAndEndpoints(t *testing.T) {
	requireRuntimes(t)
	clearAWSEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"template.yaml": standInsProject,
		"src/index.js":  envHandler,
		"env.json":      `{"Parameters": {"SHARED": "all"}, "EnvFunction": {"FROM_FILE": "by logical id"}, "Typo": {"X": "1"}}`,
		// The project file keeps its environments and adds "$aws".
		"lambdadeck.env.json": `{"$aws": {"endpoints": {"s3": "http://127.0.0.1:9000"}}, "dev": {"host": "x"}}`,
	})
	code, stdout, stderr := run(t, "", "invoke", "EnvFunction", "--env-vars", "env.json",
		"--parameter-overrides", "Orders.Arn=arn:aws:dynamodb:us-east-1:111111111111:table/real",
		"--aws-endpoint", "dynamodb=http://127.0.0.1:8000")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	want := map[string]any{
		"TABLE": "Orders", "TABLE_ARN": "arn:aws:dynamodb:us-east-1:111111111111:table/real", "FROM_FILE": "by logical id",
		"ONLY_TEMPLATE": "kept", "SHARED": "all", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %v, want %v", k, env[k], v)
		}
	}
	for _, part := range []string{
		`warning: --env-vars: "Typo" matches no function`,
		`warning: env-fn (Environment.Variables.TABLE): !Ref Orders is "Orders" here`,
		"nodejs16.x was deprecated by AWS on 2024-06-12",
		// A multi-line record prints on several lines.
		"first line\nsecond line",
	} {
		if !strings.Contains(stderr, part) {
			t.Errorf("stderr does not say %q:\n%s", part, stderr)
		}
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("stderr has a carriage return:\n%q", stderr)
	}

	// The env file may name the function by FunctionName too; test and
	// functions take the same flags.
	writeFiles(t, dir, map[string]string{"env.json": `{"env-fn": {"FROM_FILE": "by name"}}`})
	if code, stdout, stderr := run(t, "", "invoke", "env-fn", "--env-vars", "env.json"); code != exitOK || !strings.Contains(stdout, `"FROM_FILE":"by name"`) {
		t.Errorf("by name: exit %d %s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := run(t, "", "functions", "--layer-dir", "arn:aws:lambda:us-east-1:123456789012:layer:x:1="+dir); code != exitOK ||
		!strings.Contains(stderr, "--layer-dir arn:aws:lambda:us-east-1:123456789012:layer:x:1 matches no layer") {
		t.Errorf("functions --layer-dir: exit %d\n%s", code, stderr)
	}

	// Bad values are clear errors.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--aws-endpoint", "dynamodb=ftp://x"}, "is not an http:// or https:// URL"},
		{[]string{"--aws-endpoint", "dynamo db!=http://x"}, "is not an AWS service ID"},
		{[]string{"--parameter-overrides", "novalue"}, "want KEY=VALUE"},
		{[]string{"--region", "Mars 1"}, "is not an AWS Region"},
		{[]string{"--env-vars", "missing.json"}, "cannot read --env-vars file missing.json"},
		{[]string{"--mount", "/mnt/x="}, "names no folder"},
	} {
		code, _, stderr := run(t, "", append([]string{"invoke", "env-fn"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", tt.args, code, exitUsage, tt.want, stderr)
		}
	}
	// A misspelt function gets the close names.
	if code, _, stderr := run(t, "", "invoke", "EnvFuntion"); code != exitUsage || !strings.Contains(stderr, "did you mean EnvFunction") {
		t.Errorf("misspelt: exit %d\n%s", code, stderr)
	}
}

const layersProject = `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Layers: [!Ref NodeLibs]
Resources:
  NodeLibs:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/node/, CompatibleRuntimes: [nodejs22.x]}
  PyLibs:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: layers/py}
  NodeFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      CodeUri: node/
      FileSystemConfigs:
        - Arn: arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123
          LocalMountPath: /mnt/shared
  PyFn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      Code: py/
      Layers: [!Ref PyLibs]
`

// TestLayersAndMountFromTemplate: a Node.js and a Python layer of the
// template, and a file system served from a local folder, reach handlers.
func TestLayersAndMountFromTemplate(t *testing.T) {
	requireRuntimes(t)
	clearAWSEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	writeFiles(t, dir, map[string]string{
		"template.yaml": layersProject,
		"layers/node/nodejs/node_modules/greet/index.js": `module.exports = (n) => "hello " + n + " from a layer";`,
		"layers/py/python/greet_py.py":                   "def greet(n):\n    return 'hello %s from a python layer' % n\n",
		"node/index.mjs": `import greet from 'greet';
import { readFileSync } from 'node:fs';
export const handler = async () => ({ greeting: greet('node'), shared: readFileSync('/mnt/shared/note.txt', 'utf8') });`,
		"py/app.py":          "import greet_py\ndef handler(event, context):\n    return greet_py.greet('python')\n",
		"local-efs/note.txt": "from the local folder",
	})
	code, stdout, stderr := run(t, "", "invoke", "NodeFn", "--mount", "/mnt/shared=local-efs")
	if code != exitOK || stdout != `{"greeting":"hello node from a layer","shared":"from the local folder"}` {
		t.Errorf("node: exit %d %s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", "invoke", "PyFn")
	if code != exitOK || stdout != `"hello python from a python layer"` {
		t.Errorf("python: exit %d %s\n%s", code, stdout, stderr)
	}
	// Without --mount, the mount is a warning naming the flag.
	code, _, stderr = run(t, "", "invoke", "NodeFn")
	if code != exitFunction || !strings.Contains(stderr, "FileSystemConfigs mounts a file system at /mnt/shared") ||
		!strings.Contains(stderr, "--mount /mnt/shared=FOLDER") {
		t.Errorf("without --mount: exit %d\n%s", code, stderr)
	}
}
