package sam_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

const layersTemplate = `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Layers: [!Ref Shared]
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: shared-libs
      ContentUri: layers/shared/
      CompatibleRuntimes: [nodejs22.x, python3.12]
    Metadata:
      BuildMethod: nodejs22.x
  Raw:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: layers/raw
  InS3:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: s3://bucket/layer.zip
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: nodejs22.x
      Handler: index.handler
      Layers:
        - !Ref Raw
        - arn:aws:lambda:us-east-1:123456789012:layer:remote:3
        - !Ref InS3
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: nodejs20.x
      Handler: index.handler
`

func TestLayers(t *testing.T) {
	path := writeProject(t, layersTemplate, "src", "layers/shared", "layers/raw")
	remote := t.TempDir()
	tmpl, err := sam.LoadWith(path, sam.Options{LayerDirs: map[string]string{
		"arn:aws:lambda:us-east-1:123456789012:layer:remote:3": remote,
		"arn:aws:lambda:us-east-1:123456789012:layer:typo:1":   remote,
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	fn := function(t, tmpl, "Fn")
	var got []string
	for _, l := range fn.Layers {
		got = append(got, l.Name+"="+l.ContentDir)
	}
	// Globals first, then the function's own, as SAM concatenates lists;
	// the S3 layer is left out with a warning.
	want := []string{
		"shared-libs=" + filepath.Join(dir, "layers/shared"),
		"Raw=" + filepath.Join(dir, "layers/raw"),
		"remote=" + remote,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layers = %q, want %q", got, want)
	}
	shared := fn.Layers[0]
	if shared.LogicalID != "Shared" || shared.BuildMethod != "nodejs22.x" ||
		!reflect.DeepEqual(shared.CompatibleRuntimes, []string{"nodejs22.x", "python3.12"}) {
		t.Errorf("shared layer = %+v", shared)
	}
	if fn.Layers[2].ARN != "arn:aws:lambda:us-east-1:123456789012:layer:remote:3" || fn.Layers[2].LogicalID != "" {
		t.Errorf("remote layer = %+v", fn.Layers[2])
	}
	if other := function(t, tmpl, "Other"); len(other.Layers) != 1 || other.Layers[0].LogicalID != "Shared" {
		t.Errorf("Other's layers = %+v, want the global one", other.Layers)
	}
	warnings := strings.Join(tmpl.Warnings, "\n")
	for _, part := range []string{
		"layer InS3: its ContentUri is in S3 (s3://bucket/layer.zip); supply a local copy with --layer-dir InS3=FOLDER",
		"Other: layer shared-libs lists CompatibleRuntimes nodejs22.x, python3.12, not nodejs20.x",
		"--layer-dir arn:aws:lambda:us-east-1:123456789012:layer:typo:1 matches no layer",
	} {
		if !strings.Contains(warnings, part) {
			t.Errorf("warnings do not say %q:\n%s", part, warnings)
		}
	}

	// Without --layer-dir, the ARN is a warning naming the flag.
	tmpl, err = sam.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(function(t, tmpl, "Fn").Layers); n != 2 {
		t.Errorf("%d layers without --layer-dir, want 2", n)
	}
	if w := strings.Join(tmpl.Warnings, "\n"); !strings.Contains(w, "Fn: layer arn:aws:lambda:us-east-1:123456789012:layer:remote:3 is given by ARN and cannot be fetched") ||
		!strings.Contains(w, "--layer-dir arn:aws:lambda:us-east-1:123456789012:layer:remote:3=FOLDER") {
		t.Errorf("warnings:\n%s", w)
	}
	// A layer by logical ID with its content in S3 can be supplied too.
	tmpl, err = sam.LoadWith(path, sam.Options{LayerDirs: map[string]string{"InS3": remote}})
	if err != nil {
		t.Fatal(err)
	}
	if ls := function(t, tmpl, "Fn").Layers; len(ls) != 3 || ls[2].ContentDir != remote || ls[2].LogicalID != "InS3" {
		t.Errorf("layers = %+v", ls)
	}
}

const standInsTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "orders-${Stage}"
  Queue: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic}
  Bucket: {Type: AWS::S3::Bucket, Properties: {BucketName: Media-Files}}
  Role: {Type: AWS::IAM::Role}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "fn-${Stage}"
      CodeUri: src/
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          STREAM: !GetAtt Table.StreamArn
          QUEUE_URL: !GetAtt Queue.QueueUrl
          QUEUE_ARN: !GetAtt Queue.Arn
          TOPIC: !GetAtt Topic.TopicArn
          BUCKET_ARN: !GetAtt Bucket.Arn
          SELF: !GetAtt Fn.Arn
          SUB: !Sub "${Table}|${Queue.Arn}|${Stage}"
          STAGE: !Ref Stage
`

func TestRefAndGetAttStandIns(t *testing.T) {
	path := writeProject(t, standInsTemplate, "src")
	tmpl, err := sam.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	env := function(t, tmpl, "fn-dev").Environment
	want := map[string]string{
		"TABLE":      "Table",
		"TABLE_ARN":  "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev",
		"STREAM":     "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev/stream/1970-01-01T00:00:00.000",
		"QUEUE_URL":  "https://sqs.us-east-1.amazonaws.com/123456789012/Queue",
		"QUEUE_ARN":  "arn:aws:sqs:us-east-1:123456789012:Queue",
		"TOPIC":      "arn:aws:sns:us-east-1:123456789012:Topic",
		"BUCKET_ARN": "arn:aws:s3:::media-files",
		"SELF":       "arn:aws:lambda:us-east-1:123456789012:function:fn-dev",
		"SUB":        "Table|arn:aws:sqs:us-east-1:123456789012:Queue|dev",
		"STAGE":      "dev",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment:\n got %v\nwant %v", env, want)
	}
	warnings := strings.Join(tmpl.Warnings, "\n")
	for _, part := range []string{
		`fn-dev (Environment.Variables.SUB), fn-dev (Environment.Variables.TABLE): !Ref Table is "Table" here`,
		`!GetAtt Table.Arn is "arn:aws:dynamodb:us-east-1:123456789012:table/orders-dev" here`,
		"--parameter-overrides Table.Arn=VALUE",
	} {
		if !strings.Contains(warnings, part) {
			t.Errorf("warnings do not say %q:\n%s", part, warnings)
		}
	}

	// --parameter-overrides replaces parameters and stand-ins; the Region
	// shows in every ARN.
	tmpl, err = sam.LoadWith(path, sam.Options{Region: "eu-west-1", Parameters: map[string]string{
		"Stage": "prod", "Table": "real-orders", "Queue.Arn": "arn:aws:sqs:eu-west-1:999999999999:real", "Nope": "x",
	}})
	if err != nil {
		t.Fatal(err)
	}
	fn := function(t, tmpl, "fn-prod")
	env = fn.Environment
	if env["TABLE"] != "real-orders" || env["QUEUE_ARN"] != "arn:aws:sqs:eu-west-1:999999999999:real" ||
		env["TABLE_ARN"] != "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-prod" || env["STAGE"] != "prod" ||
		env["SUB"] != "real-orders|arn:aws:sqs:eu-west-1:999999999999:real|prod" {
		t.Errorf("environment with overrides: %v", env)
	}
	if fn.Region != "eu-west-1" || fn.ARN() != "arn:aws:lambda:eu-west-1:123456789012:function:fn-prod" {
		t.Errorf("region %q, ARN %s", fn.Region, fn.ARN())
	}
	if w := strings.Join(tmpl.Warnings, "\n"); !strings.Contains(w, "--parameter-overrides Nope matches no parameter or resource") ||
		strings.Contains(w, "!Ref Table is") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestFileSystemConfigs(t *testing.T) {
	path := writeProject(t, `
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: python3.12
      Handler: app.handler
      FileSystemConfigs:
        - Arn: arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1
          LocalMountPath: /mnt/data
        - Arn: x
          LocalMountPath: /data
`, "src")
	tmpl, err := sam.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fn := function(t, tmpl, "Fn")
	if len(fn.FileSystems) != 1 || fn.FileSystems[0].LocalMountPath != "/mnt/data" || fn.FileSystems[0].LocalDir != "" {
		t.Errorf("file systems = %+v", fn.FileSystems)
	}
	w := strings.Join(tmpl.Warnings, "\n")
	if !strings.Contains(w, "Fn: FileSystemConfigs mounts a file system at /mnt/data") || !strings.Contains(w, "--mount /mnt/data=FOLDER") ||
		!strings.Contains(w, "LocalMountPath /data is not /mnt/NAME") {
		t.Errorf("warnings:\n%s", w)
	}
	local := t.TempDir()
	tmpl, err = sam.LoadWith(path, sam.Options{Mounts: map[string]string{"/mnt/data": local, "/mnt/other": local}})
	if err != nil {
		t.Fatal(err)
	}
	if fs := function(t, tmpl, "Fn").FileSystems; len(fs) != 1 || fs[0].LocalDir != local {
		t.Errorf("file systems = %+v", fs)
	}
	if w := strings.Join(tmpl.Warnings, "\n"); strings.Contains(w, "cannot attach") || !strings.Contains(w, "--mount /mnt/other matches no") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestRuntimeWarnings(t *testing.T) {
	tmpl := load(t, `
Resources:
  Typo: {Type: AWS::Serverless::Function, Properties: {CodeUri: src/, Runtime: provided.al2023023}}
  Future: {Type: AWS::Serverless::Function, Properties: {CodeUri: src/, Runtime: nodejs99.x, Handler: index.handler}}
  Old: {Type: AWS::Serverless::Function, Properties: {CodeUri: src/, Runtime: python3.8, Handler: app.handler}}
  Current: {Type: AWS::Serverless::Function, Properties: {CodeUri: src/, Runtime: nodejs22.x, Handler: index.handler}}
`, "src")
	w := strings.Join(tmpl.Warnings, "\n")
	for _, part := range []string{"Typo: Runtime provided.al2023023 does not exist on AWS Lambda", "Future: Runtime nodejs99.x does not exist"} {
		if !strings.Contains(w, part) {
			t.Errorf("warnings do not say %q:\n%s", part, w)
		}
	}
	if strings.Contains(w, "Old:") || strings.Contains(w, "Current:") {
		t.Errorf("deprecated and current runtimes are not template warnings:\n%s", w)
	}
	if !function(t, tmpl, "Old").Runnable() {
		t.Error("a deprecated runtime must still run")
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if note := sam.DeprecationNote("python3.8", now); !strings.Contains(note, "deprecated by AWS on 2024-10-14") {
		t.Errorf("note = %q", note)
	}
	if note := sam.DeprecationNote("go1.x", now); !strings.Contains(note, "2024-01-08") {
		t.Errorf("note = %q", note)
	}
	if note := sam.DeprecationNote("nodejs20.x", now); note != "" {
		t.Errorf("nodejs20.x is deprecated only from 2026-04-30: %q", note)
	}
	if note := sam.DeprecationNote("nodejs22.x", now); note != "" {
		t.Errorf("note = %q", note)
	}
}
