package awsenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

func TestEndpointVariable(t *testing.T) {
	for in, want := range map[string]string{
		"dynamodb": "AWS_ENDPOINT_URL_DYNAMODB", "DynamoDB": "AWS_ENDPOINT_URL_DYNAMODB", "s3": "AWS_ENDPOINT_URL_S3",
		"Secrets Manager": "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secrets-manager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		"": "AWS_ENDPOINT_URL", "*": "AWS_ENDPOINT_URL",
	} {
		if got, err := EndpointVariable(in); err != nil || got != want {
			t.Errorf("EndpointVariable(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := EndpointVariable("s3;rm"); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
		t.Errorf("bad service: %v", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	if s, u, err := ParseEndpoint("dynamodb=http://127.0.0.1:8000"); err != nil || s != "dynamodb" || u != "http://127.0.0.1:8000" {
		t.Errorf("%q %q %v", s, u, err)
	}
	if s, u, err := ParseEndpoint("http://127.0.0.1:4566"); err != nil || s != "" || u != "http://127.0.0.1:4566" {
		t.Errorf("%q %q %v", s, u, err)
	}
	if _, _, err := ParseEndpoint("dynamodb"); err == nil {
		t.Error("no URL accepted")
	}
}

func TestReadProject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lambdadeck.env.json")
	if p, err := ReadProject(path); err != nil || p.Region != "" {
		t.Errorf("missing file: %+v %v", p, err)
	}
	os.WriteFile(path, []byte(`{"dev": {"host": "x"}, "$aws": {"region": "eu-west-1", "endpoints": {"dynamodb": "http://127.0.0.1:8000"}}}`), 0o644)
	p, err := ReadProject(path)
	if err != nil || p.Region != "eu-west-1" || p.Endpoints["dynamodb"] != "http://127.0.0.1:8000" {
		t.Fatalf("%+v %v", p, err)
	}
	// Flags win over the file; the file's endpoints stay for other services.
	opts := p.Merge(Options{Region: "us-west-2", Endpoints: map[string]string{"s3": "http://127.0.0.1:9000"}})
	if opts.Region != "us-west-2" || opts.Endpoints["dynamodb"] == "" || opts.Endpoints["s3"] == "" {
		t.Errorf("merged: %+v", opts)
	}
	for _, bad := range []string{`{"$aws": {"regoin": "x"}}`, `{"$aws": {"endpoints": {"dynamodb": "localhost:8000"}}}`, `[1]`} {
		os.WriteFile(path, []byte(bad), 0o644)
		if _, err := ReadProject(path); lambdadeck.ErrorCode(err) != lambdadeck.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestVariablesFromStaticCredentials(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "credentials"), []byte("[ci]\naws_access_key_id = AKIACI1234\naws_secret_access_key = s3cr3t\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[profile ci]\nregion = sa-east-1\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	env, err := New(t.Context(), Options{Profile: "ci", Endpoints: map[string]string{"dynamodb": "http://127.0.0.1:8000"}})
	if err != nil {
		t.Fatal(err)
	}
	vars := env.Variables(t.Context())
	if vars["AWS_ACCESS_KEY_ID"] != "AKIACI1234" || vars["AWS_SECRET_ACCESS_KEY"] != "s3cr3t" || vars["AWS_REGION"] != "sa-east-1" ||
		vars["AWS_ENDPOINT_URL_DYNAMODB"] != "http://127.0.0.1:8000" || vars["AWS_EC2_METADATA_DISABLED"] != "" {
		t.Errorf("variables: %v", vars)
	}
	// The status line for the user never holds the secret.
	if s := env.Status(t.Context()); strings.Contains(s, "s3cr3t") || !strings.Contains(s, "1234") {
		t.Errorf("status %q", s)
	}
	// A profile without credentials: the metadata service is disabled for
	// the handler, and the lookup is not repeated.
	os.WriteFile(filepath.Join(dir, "config"), []byte("[profile empty]\nregion = sa-east-1\n"), 0o600)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env, err = New(t.Context(), Options{Profile: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if vars := env.Variables(t.Context()); vars["AWS_EC2_METADATA_DISABLED"] != "true" || vars["AWS_ACCESS_KEY_ID"] != "" {
		t.Errorf("no credentials: %v", vars)
	}
	if !strings.HasPrefix(env.Status(t.Context()), "no AWS credentials") {
		t.Errorf("status %q", env.Status(t.Context()))
	}
}

// TestExpiredCredentialsAreRefreshed: credentials that expire are fetched
// again for the next instance (credential_process gives new ones each time).
func TestExpiredCredentialsAreRefreshed(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "creds.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0.count"
printf '{"Version":1,"AccessKeyId":"AKIAPROC%s","SecretAccessKey":"x","SessionToken":"t","Expiration":"2000-01-01T00:00:00Z"}' $n
`), 0o755)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[profile proc]\ncredential_process = "+script+"\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	env, err := New(t.Context(), Options{Profile: "proc"})
	if err != nil {
		t.Fatal(err)
	}
	first := env.Variables(t.Context())["AWS_ACCESS_KEY_ID"]
	second := env.Variables(t.Context())["AWS_ACCESS_KEY_ID"]
	if first != "AKIAPROC1" || second != "AKIAPROC2" {
		t.Errorf("keys %q then %q, want AKIAPROC1 then AKIAPROC2", first, second)
	}
}
