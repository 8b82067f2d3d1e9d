package main

import (
	"encoding/json"
	"strings"
	"testing"

	awsevents "github.com/aws/aws-lambda-go/events"

	"github.com/lambdadeck/lambdadeck/invoker/events"
)

// generate runs `lambdadeck generate-event args...`, failing clearly if the
// subcommand is not wired into Run.
func generate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr := run(t, "", append([]string{"generate-event"}, args...)...)
	if strings.Contains(stderr, `unknown command "generate-event"`) {
		t.Fatal(`generate-event is not wired into Run: add case "generate-event": return app.GenerateEvent(ctx, args)`)
	}
	return code, stdout, stderr
}

func TestGenerateEventListsServicesAndEvents(t *testing.T) {
	code, stdout, _ := generate(t)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(events.Services())+1 || !strings.HasPrefix(lines[0], "SERVICE") {
		t.Fatalf("want a header and one line per service, got:\n%s", stdout)
	}
	for _, want := range []string{"s3 ", "sqs ", "kafka ", "cognito-user-pool ", "Amazon S3"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("service list lacks %q", want)
		}
	}

	code, stdout, _ = generate(t, "s3")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"batch-invocation", "delete", "put ", "S3 ObjectCreated:Put notification"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("s3's event list lacks %q:\n%s", want, stdout)
		}
	}
}

func TestGenerateEventRendersWithFlags(t *testing.T) {
	code, stdout, stderr := generate(t, "s3", "put", "--bucket", "photos", "--key", "2024/cat & dog.jpg", "--region=eu-west-1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var e awsevents.S3Event
	if err := json.Unmarshal([]byte(stdout), &e); err != nil {
		t.Fatalf("output is not an S3 event: %v\n%s", err, stdout)
	}
	r := e.Records[0]
	if r.S3.Bucket.Name != "photos" || r.S3.Object.Key != "2024/cat+%26+dog.jpg" || r.AWSRegion != "eu-west-1" || r.S3.Bucket.Arn != "arn:aws:s3:::photos" {
		t.Errorf("bucket %q, key %q, region %q, ARN %q", r.S3.Bucket.Name, r.S3.Object.Key, r.AWSRegion, r.S3.Bucket.Arn)
	}
	if !strings.HasPrefix(stdout, "{\n  \"Records\": [\n") || !strings.HasSuffix(stdout, "}\n") {
		t.Errorf("want indented JSON ending in a newline, got:\n%s", stdout)
	}

	body := "line one\nhe said \"hi\" \\o/"
	code, stdout, stderr = generate(t, "sqs", "receive-message-batch", "--count", "4", "--body", body)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sqs awsevents.SQSEvent
	if err := json.Unmarshal([]byte(stdout), &sqs); err != nil {
		t.Fatal(err)
	}
	if len(sqs.Records) != 4 {
		t.Fatalf("%d records, want 4", len(sqs.Records))
	}
	for _, m := range sqs.Records {
		if m.Body != body {
			t.Errorf("body = %q, want %q", m.Body, body)
		}
	}
}

func TestGenerateEventRendersEveryEventWithDefaults(t *testing.T) {
	for _, s := range events.Services() {
		for _, e := range s.Events {
			code, stdout, stderr := generate(t, s.Name, e.Name)
			if code != exitOK || !json.Valid([]byte(stdout)) {
				t.Errorf("%s %s: exit %d, valid JSON %v: %s", s.Name, e.Name, code, json.Valid([]byte(stdout)), stderr)
			}
		}
	}
}

func TestGenerateEventHelpAndErrors(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"event help lists the parameters", []string{"s3", "put", "--help"}, exitOK,
			[]string{"--bucket", "-key", "the bucket name", `"example-bucket"`, "S3 ObjectCreated:Put notification"}},
		{"help", []string{"--help"}, exitOK, []string{"Usage: lambdadeck generate-event"}},
		{"unknown service", []string{"s4"}, exitUsage, []string{`unknown service "s4"`, "did you mean", "s3"}},
		{"unknown event", []string{"s3", "putt"}, exitUsage, []string{`unknown s3 event "putt"`, "did you mean put"}},
		{"unknown parameter", []string{"s3", "put", "--colour", "red"}, exitUsage, []string{"-colour", "--bucket"}},
		{"stray argument", []string{"s3", "put", "photos"}, exitUsage, []string{`unexpected argument "photos"`, "--region"}},
		{"bad count", []string{"sqs", "receive-message-batch", "--count", "0"}, exitUsage, []string{"count", "1 to 100"}},
		{"bad JSON", []string{"eventbridge", "custom-event", "--detail", "{"}, exitUsage, []string{"detail", "JSON"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := generate(t, c.args...)
			if code != c.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.wantCode, stderr)
			}
			if c.wantCode != exitOK && stdout != "" {
				t.Errorf("stdout should be empty on error, got %q", stdout)
			}
			for _, w := range c.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}
