package sam_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// writeProject writes template under a fresh folder with the given code
// folders created, and returns the template's path.
func writeProject(t *testing.T, template string, codeDirs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range codeDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(path, []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// load writes and loads a template, failing the test on error.
func load(t *testing.T, template string, codeDirs ...string) *sam.Template {
	t.Helper()
	tmpl, err := sam.Load(writeProject(t, template, codeDirs...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tmpl
}

func function(t *testing.T, tmpl *sam.Template, name string) lambdadeck.Function {
	t.Helper()
	fn, err := tmpl.Function(name)
	if err != nil {
		t.Fatalf("%v; functions: %+v", err, tmpl.Functions)
	}
	return fn
}

func TestGlobalsMerge(t *testing.T) {
	tmpl := load(t, `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Timeout: 20
    MemorySize: 256
    Architectures: [arm64]
    Environment:
      Variables:
        STAGE: dev
        SHARED: from-globals
    Layers:
      - arn:aws:lambda:us-east-1:123456789012:layer:global:1
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
  Custom:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Runtime: nodejs20.x
      Handler: index.handler
      Timeout: 5
      Environment:
        Variables:
          SHARED: from-resource
          OWN: mine
      Layers:
        - arn:aws:lambda:us-east-1:123456789012:layer:own:1
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: src/
      Runtime: nodejs20.x
      Handler: index.handler
`, "src")

	tests := []struct {
		name    string
		runtime string
		handler string
		timeout time.Duration
		memory  int
		arch    string
		env     map[string]string
		layers  int // warnings about layers given by ARN
	}{
		{"Plain", "python3.12", "app.handler", 20 * time.Second, 256, "arm64",
			map[string]string{"STAGE": "dev", "SHARED": "from-globals"}, 1},
		{"Custom", "nodejs20.x", "index.handler", 5 * time.Second, 256, "arm64",
			map[string]string{"STAGE": "dev", "SHARED": "from-resource", "OWN": "mine"}, 2},
		// Globals apply to AWS::Serverless::Function only.
		{"Raw", "nodejs20.x", "index.handler", 3 * time.Second, 128, "x86_64", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := function(t, tmpl, tt.name)
			if fn.Runtime != tt.runtime || fn.Handler != tt.handler || fn.Timeout != tt.timeout ||
				fn.MemoryMB != tt.memory || fn.Architecture != tt.arch {
				t.Errorf("got runtime %q handler %q timeout %v memory %d arch %q", fn.Runtime, fn.Handler, fn.Timeout, fn.MemoryMB, fn.Architecture)
			}
			if !reflect.DeepEqual(fn.Environment, tt.env) {
				t.Errorf("environment = %v, want %v", fn.Environment, tt.env)
			}
			var layerWarnings int
			for _, w := range tmpl.Warnings {
				if strings.HasPrefix(w, tt.name+": layer arn:") && strings.Contains(w, "--layer-dir") {
					layerWarnings++
				}
			}
			if layerWarnings != tt.layers {
				t.Errorf("%d warnings about layers by ARN, want %d: %q", layerWarnings, tt.layers, tmpl.Warnings)
			}
			if !fn.Runnable() {
				t.Errorf("not runnable: %s", fn.NotRunnable)
			}
		})
	}
}

// intrinsicsTemplate holds one function whose environment variable V is the
// expression under test.
const intrinsicsTemplate = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env:
    Type: String
    Default: dev
  Port:
    Type: Number
    Default: 8080
  Zones:
    Type: CommaDelimitedList
    Default: "a, b, c"
  Secret:
    Type: String
Mappings:
  Stages:
    dev:
      Bucket: dev-bucket
    prod:
      Bucket: prod-bucket
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd:
    Fn::Equals: [{Ref: Env}, prod]
  NotProd: !Not [!Condition IsProd]
  DevAndNotProd: !And [!Condition IsDev, !Condition NotProd]
  ProdOrDev:
    Fn::Or: [{Condition: IsProd}, {Condition: IsDev}]
  HasSecret: !Not [!Equals [!Ref Secret, ""]]
Resources:
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: other-fn
      CodeUri: src/
      Runtime: nodejs20.x
      Handler: index.handler
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: fn
      CodeUri: src/
      Runtime: nodejs20.x
      Handler: index.handler
      Environment:
        Variables:
          V: EXPR
`

func TestIntrinsics(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string
	}{
		{"Ref parameter", `!Ref Env`, "dev"},
		{"Ref parameter long", `{"Ref": "Env"}`, "dev"},
		{"Ref number parameter", `!Ref Port`, "8080"},
		{"Ref region", `!Ref AWS::Region`, "us-east-1"},
		{"Ref account", `{Ref: "AWS::AccountId"}`, "123456789012"},
		{"Ref partition", `!Ref AWS::Partition`, "aws"},
		{"Ref url suffix", `!Ref AWS::URLSuffix`, "amazonaws.com"},
		{"Ref stack name", `!Ref AWS::StackName`, "lambdadeck"},
		{"Ref function", `!Ref Other`, "other-fn"},
		{"Sub", `!Sub "${Env}-${AWS::Region}-${Other}"`, "dev-us-east-1-other-fn"},
		{"Sub long", `{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Env}"}`, "arn:aws:s3:::dev"},
		{"Sub literal", `!Sub "${!Literal}-${Env}"`, "${Literal}-dev"},
		{"Sub with variables", `!Sub ["${Name}.${Env}", {Name: !Ref AWS::StackName}]`, "lambdadeck.dev"},
		{"Sub with variables long", `{"Fn::Sub": ["x-${A}", {"A": {"Ref": "Port"}}]}`, "x-8080"},
		{"Join", `!Join ["-", [a, !Ref Env, 3]]`, "a-dev-3"},
		{"Join long", `{"Fn::Join": [",", ["x", {"Ref": "Env"}]]}`, "x,dev"},
		{"Join list parameter", `!Join [":", !Ref Zones]`, "a:b:c"},
		{"Select", `!Select [1, [x, y, z]]`, "y"},
		{"Select long string index", `{"Fn::Select": ["2", {"Ref": "Zones"}]}`, "c"},
		{"Split then Select", `!Select [0, !Split [".", "first.second"]]`, "first"},
		{"Split long", `{"Fn::Join": ["+", {"Fn::Split": ["/", "a/b"]}]}`, "a+b"},
		{"FindInMap", `!FindInMap [Stages, !Ref Env, Bucket]`, "dev-bucket"},
		{"FindInMap long", `{"Fn::FindInMap": ["Stages", "prod", "Bucket"]}`, "prod-bucket"},
		{"FindInMap default", `!FindInMap [Stages, test, Bucket, {DefaultValue: fallback}]`, "fallback"},
		{"Base64", `!Base64 hello`, "aGVsbG8="},
		{"Base64 long", `{"Fn::Base64": {"Fn::Sub": "${Env}"}}`, "ZGV2"},
		{"If", `!If [IsDev, yes-dev, no-dev]`, "yes-dev"},
		{"If long", `{"Fn::If": ["IsProd", "prod", "not-prod"]}`, "not-prod"},
		{"If branch not taken is not resolved", `!If [IsDev, ok, !GetAtt Table.Arn]`, "ok"},
		{"If Not", `!If [NotProd, a, b]`, "a"},
		{"If And", `!If [DevAndNotProd, a, b]`, "a"},
		{"If Or", `!If [ProdOrDev, a, b]`, "a"},
		{"Equals", `!Equals [!Ref Env, dev]`, "true"},
		{"Equals long", `{"Fn::Equals": ["a", "b"]}`, "false"},
		{"Not", `!Not [!Equals [a, b]]`, "true"},
		{"And", `!And [!Condition IsDev, !Equals [x, y]]`, "false"},
		{"Or", `{"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [1, 1]}]}`, "true"},
		{"nested", `!Sub ["${A}", {A: !Join ["", [!Select [0, !Split [",", !Sub "${Env},x"]], "!"]]}]`, "dev!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := load(t, strings.Replace(intrinsicsTemplate, "EXPR", tt.expr, 1), "src")
			fn := function(t, tmpl, "fn")
			if got := fn.Environment["V"]; got != tt.want {
				t.Errorf("V = %q, want %q", got, tt.want)
			}
			if len(tmpl.Warnings) != 0 {
				t.Errorf("unexpected warnings: %q", tmpl.Warnings)
			}
		})
	}
}

func TestUnresolvedKeptLiterally(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		want    string
		warning string // the expression the single warning names
	}{
		{"GetAtt", `!GetAtt Table.Arn`, "!GetAtt Table.Arn", "!GetAtt Table.Arn"},
		{"GetAtt long", `{"Fn::GetAtt": ["Table", "StreamArn"]}`, "!GetAtt Table.StreamArn", "!GetAtt Table.StreamArn"},
		{"GetAtt nested attribute", `!GetAtt Stack.Outputs.Url`, "!GetAtt Stack.Outputs.Url", "!GetAtt Stack.Outputs.Url"},
		{"Ref resource", `!Ref Table`, "!Ref Table", "!Ref Table"},
		{"Ref parameter without default", `!Ref Secret`, "!Ref Secret", "!Ref Secret"},
		{"Sub with GetAtt", `!Sub "${Table.Arn}/index/*"`, "${Table.Arn}/index/*", "${Table.Arn}"},
		{"Sub with resource", `!Sub "${Env}:${Table}"`, "dev:${Table}", "${Table}"},
		{"ImportValue", `!ImportValue shared-vpc`, "!ImportValue shared-vpc", "!ImportValue shared-vpc"},
		{"ImportValue of Sub", `{"Fn::ImportValue": {"Fn::Sub": "${Env}-vpc"}}`, "!ImportValue dev-vpc", "!ImportValue dev-vpc"},
		{"GetAZs", `!Select [0, !GetAZs ""]`, `!Select [0, !GetAZs ""]`, `!GetAZs ""`},
		{"Cidr", `!Cidr [10.0.0.0/16, 4, 8]`, "!Cidr [10.0.0.0/16, 4, 8]", "!Cidr [10.0.0.0/16, 4, 8]"},
		{"Transform", `!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}`,
			"!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}", "!Transform"},
		{"If on unknown condition", `!If [HasSecret, a, b]`, "!If [HasSecret, a, b]", "!If [HasSecret, a, b]"},
		{"Join with GetAtt", `!Join ["", [!GetAtt Table.Arn, "/x"]]`, "!GetAtt Table.Arn/x", "!GetAtt Table.Arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The same expression in two variables of one function and in
			// Other gives one warning naming both places.
			template := strings.Replace(intrinsicsTemplate, "V: EXPR", "V: EXPR\n          W: EXPR", 1)
			template = strings.Replace(template, "      Handler: index.handler\n  Fn:",
				"      Handler: index.handler\n      Environment: {Variables: {O: EXPR}}\n  Fn:", 1)
			tmpl := load(t, strings.ReplaceAll(template, "EXPR", tt.expr), "src")
			fn := function(t, tmpl, "fn")
			if fn.Environment["V"] != tt.want || fn.Environment["W"] != tt.want {
				t.Errorf("V = %q, W = %q, want %q", fn.Environment["V"], fn.Environment["W"], tt.want)
			}
			if got := function(t, tmpl, "other-fn").Environment["O"]; got != tt.want {
				t.Errorf("O = %q, want %q", got, tt.want)
			}
			if len(tmpl.Warnings) != 1 {
				t.Fatalf("want one warning, got %q", tmpl.Warnings)
			}
			w := tmpl.Warnings[0]
			for _, part := range []string{tt.warning, "fn (Environment.Variables.V)", "fn (Environment.Variables.W)", "other-fn (Environment.Variables.O)", "literal"} {
				if !strings.Contains(w, part) {
					t.Errorf("warning %q does not mention %q", w, part)
				}
			}
		})
	}
}

func TestNoValueAndConditions(t *testing.T) {
	tmpl := load(t, `
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Timeout: !If [IsProd, 30, !Ref AWS::NoValue]
      Description: !Sub "runs in ${Env}"
      Environment:
        Variables:
          KEEP: "1"
          DROP: !If [IsProd, x, !Ref AWS::NoValue]
          EMPTY: ""
      ReservedConcurrentExecutions: 2
`)
	if len(tmpl.Functions) != 1 {
		t.Fatalf("functions = %+v, want only Fn (ProdOnly's condition is false)", tmpl.Functions)
	}
	fn := function(t, tmpl, "Fn")
	want := map[string]string{"KEEP": "1", "EMPTY": ""}
	if !reflect.DeepEqual(fn.Environment, want) {
		t.Errorf("environment = %v, want %v", fn.Environment, want)
	}
	if fn.Timeout != lambdadeck.DefaultTimeout || fn.Description != "runs in dev" || fn.Concurrency != 2 {
		t.Errorf("timeout %v description %q concurrency %d", fn.Timeout, fn.Description, fn.Concurrency)
	}
	if len(tmpl.Warnings) != 1 || !strings.Contains(tmpl.Warnings[0], "ProdOnly") {
		t.Errorf("warnings = %q, want one about ProdOnly being left out", tmpl.Warnings)
	}
}

func TestNotRunnable(t *testing.T) {
	tests := []struct {
		name       string
		resource   string
		wantReason string
	}{
		{"image package", `
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:latest}
    Metadata: {Dockerfile: Dockerfile}`,
			"container image functions are not supported: lambdadeck runs handlers as local processes"},
		{"lambda image", `
    Type: AWS::Lambda::Function
    Properties: {PackageType: Image, Code: {ImageUri: repo/fn:1}}`,
			"container image functions are not supported"},
		{"s3 uri", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: s3://b/k, Runtime: nodejs20.x, Handler: index.handler}`,
			"code is in S3 (s3://b/k): point CodeUri at a local folder"},
		{"s3 object", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: {Bucket: b, Key: code.zip}, Runtime: nodejs20.x, Handler: index.handler}`,
			"code is in S3 (s3://b/code.zip): point CodeUri at a local folder"},
		{"lambda s3", `
    Type: AWS::Lambda::Function
    Properties: {Code: {S3Bucket: b, S3Key: k.zip}, Runtime: nodejs20.x, Handler: index.handler}`,
			"code is in S3 (s3://b/k.zip): point Code at a local folder"},
		{"inline code", `
    Type: AWS::Serverless::Function
    Properties: {InlineCode: "exports.handler = async () => 1", Runtime: nodejs20.x, Handler: index.handler}`,
			"inline code (InlineCode) is not supported"},
		{"zip file", `
    Type: AWS::Lambda::Function
    Properties: {Code: {ZipFile: "def handler(e, c): pass"}, Runtime: python3.12, Handler: index.handler}`,
			"inline code (Code.ZipFile) is not supported"},
		{"missing folder", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ./x, Runtime: nodejs20.x, Handler: index.handler}`,
			"CodeUri ./x does not exist"},
		{"zip archive", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: code.zip, Runtime: nodejs20.x, Handler: index.handler}`,
			"CodeUri code.zip is a zip archive"},
		{"no runtime", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: index.handler}`,
			"no Runtime"},
		{"no handler", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Runtime: python3.12}`,
			"no Handler"},
		{"handler not a string", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Runtime: python3.12, Handler: [app, handler]}`,
			"its Handler is not a string"},
		{"properties not a map", `
    Type: AWS::Serverless::Function
    Properties: [CodeUri, src]`,
			"its Properties is not a map"},
		{"throttled", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Runtime: nodejs20.x, Handler: index.handler, ReservedConcurrentExecutions: 0}`,
			"ReservedConcurrentExecutions is 0"},
		{"code uri unresolved", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: !GetAtt Bucket.Path, Runtime: nodejs20.x, Handler: index.handler}`,
			"CodeUri !GetAtt Bucket.Path cannot be resolved locally"},
		{"code uri partly unresolved", `
    Type: AWS::Serverless::Function
    Properties: {CodeUri: !Sub "${Missing}/src", Runtime: nodejs20.x, Handler: index.handler}`,
			"CodeUri ${Missing}/src cannot be resolved locally"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeProject(t, "Resources:\n  Fn:"+tt.resource+"\n", "src")
			if err := os.WriteFile(filepath.Join(filepath.Dir(path), "code.zip"), []byte("PK"), 0o644); err != nil {
				t.Fatal(err)
			}
			tmpl, err := sam.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			fn := function(t, tmpl, "Fn")
			if fn.Runnable() || !strings.Contains(fn.NotRunnable, tt.wantReason) {
				t.Errorf("NotRunnable = %q, want it to contain %q", fn.NotRunnable, tt.wantReason)
			}
			if image := strings.Contains(tt.name, "image"); image != (fn.PackageType == "Image") {
				t.Errorf("PackageType = %q", fn.PackageType)
			}
		})
	}
}

func TestCodeDir(t *testing.T) {
	tests := []struct {
		name    string
		codeURI string // "" for none
		want    string // relative to the template's folder
	}{
		{"missing is the template folder", "", "."},
		{"relative with slash", "src/fn/", "src/fn"},
		{"dot relative", "./src/fn", "src/fn"},
		{"uncleaned", "src/../src/./fn", "src/fn"},
		{"Lambda Code path", "lambda:src", "src"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := "Runtime: nodejs20.x, Handler: index.handler"
			typ := "AWS::Serverless::Function"
			switch {
			case strings.HasPrefix(tt.codeURI, "lambda:"):
				typ = "AWS::Lambda::Function"
				props += ", Code: " + strings.TrimPrefix(tt.codeURI, "lambda:")
			case tt.codeURI != "":
				props += ", CodeUri: " + tt.codeURI
			}
			path := writeProject(t, "Resources:\n  Fn:\n    Type: "+typ+"\n    Properties: {"+props+"}\n", "src/fn")
			tmpl, err := sam.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			fn := function(t, tmpl, "Fn")
			want := filepath.Join(filepath.Dir(path), tt.want)
			if fn.CodeDir != want || !filepath.IsAbs(fn.CodeDir) {
				t.Errorf("CodeDir = %q, want %q", fn.CodeDir, want)
			}
			if !fn.Runnable() {
				t.Errorf("not runnable: %s", fn.NotRunnable)
			}
		})
	}
}

func TestSettingsAndDefaults(t *testing.T) {
	tests := []struct {
		name     string
		props    string
		check    func(lambdadeck.Function) bool
		warnings int
	}{
		{"defaults", "", func(f lambdadeck.Function) bool {
			return f.Timeout == 3*time.Second && f.MemoryMB == 128 && f.Architecture == "x86_64" &&
				f.Concurrency == lambdadeck.DefaultConcurrency && f.LogFormat == "" && f.LogLevel == "" && f.Environment == nil
		}, 0},
		{"timeout string", `Timeout: "30"`, func(f lambdadeck.Function) bool { return f.Timeout == 30*time.Second }, 0},
		{"timeout too long", `Timeout: 901`, func(f lambdadeck.Function) bool { return f.Timeout == 3*time.Second }, 1},
		{"timeout zero", `Timeout: 0`, func(f lambdadeck.Function) bool { return f.Timeout == 3*time.Second }, 1},
		{"timeout not a number", `Timeout: soon`, func(f lambdadeck.Function) bool { return f.Timeout == 3*time.Second }, 1},
		{"memory", `MemorySize: 1024`, func(f lambdadeck.Function) bool { return f.MemoryMB == 1024 }, 0},
		{"memory too small", `MemorySize: 64`, func(f lambdadeck.Function) bool { return f.MemoryMB == 128 }, 1},
		{"memory too large", `MemorySize: 10241`, func(f lambdadeck.Function) bool { return f.MemoryMB == 128 }, 1},
		{"arm64", `Architectures: [arm64]`, func(f lambdadeck.Function) bool { return f.Architecture == "arm64" }, 0},
		{"logging", `LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: DEBUG}`,
			func(f lambdadeck.Function) bool { return f.LogFormat == "JSON" && f.LogLevel == "DEBUG" }, 0},
		{"concurrency", `ReservedConcurrentExecutions: 1`, func(f lambdadeck.Function) bool { return f.Concurrency == 1 }, 0},
		{"negative concurrency", `ReservedConcurrentExecutions: -1`,
			func(f lambdadeck.Function) bool { return f.Concurrency == lambdadeck.DefaultConcurrency }, 1},
		{"description", `Description: Says hello`, func(f lambdadeck.Function) bool { return f.Description == "Says hello" }, 0},
		{"environment scalars", `Environment: {Variables: {N: 42, F: 1.5, W: 2.0, T: true, F2: false, S: " x ", Z: null}}`,
			func(f lambdadeck.Function) bool {
				return reflect.DeepEqual(f.Environment, map[string]string{"N": "42", "F": "1.5", "W": "2.0", "T": "true", "F2": "false", "S": " x ", "Z": ""})
			}, 0},
		{"environment list", `Environment: {Variables: {L: [1, 2]}}`,
			func(f lambdadeck.Function) bool { return f.Environment["L"] == "" }, 1},
		{"function name", `FunctionName: !Sub "${AWS::StackName}-fn"`, func(f lambdadeck.Function) bool {
			return f.Name == "lambdadeck-fn" && f.LogicalID == "Fn"
		}, 0},
		{"function name unresolved", `FunctionName: !GetAtt X.Name`, func(f lambdadeck.Function) bool {
			return f.Name == "Fn"
		}, 2},
		{"function name partly unresolved", `FunctionName: !Sub "${Missing}-fn"`, func(f lambdadeck.Function) bool {
			return f.Name == "Fn"
		}, 2},
		{"function name from Join", `FunctionName: !Join ["-", [!Ref AWS::StackName, fn]]`, func(f lambdadeck.Function) bool {
			return f.Name == "lambdadeck-fn"
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			template := "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: makefile\n" +
				"    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      " + tt.props + "\n"
			tmpl := load(t, template)
			if len(tmpl.Functions) != 1 {
				t.Fatalf("functions = %+v", tmpl.Functions)
			}
			fn := tmpl.Functions[0]
			if !tt.check(fn) {
				t.Errorf("unexpected function %+v", fn)
			}
			if fn.BuildMethod != "makefile" {
				t.Errorf("BuildMethod = %q", fn.BuildMethod)
			}
			if len(tmpl.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", tmpl.Warnings, tt.warnings)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     string
	}{
		{"syntax error", "Resources:\n  Fn:\n    Type: a: b\n", "line 3: mapping values are not allowed"},
		{"tab indentation", "Resources:\n\tFn: {}\n", "line 2"},
		{"empty", "", "is empty"},
		{"comment only", "# nothing\n", "is empty"},
		{"not a map", "- a\n- b\n", "top level is not a map"},
		{"no resources", "Transform: AWS::Serverless-2016-10-31\n", "has no Resources"},
		{"resources not a map", "Resources: [a]\n", "has no Resources"},
		{"duplicate names", `
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: same, Runtime: nodejs20.x, Handler: index.handler}
  B:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: same, Runtime: nodejs20.x, Handler: index.handler}
`, `functions A and B are both named "same"`},
		{"name clashes with logical id", `
Resources:
  hello:
    Type: AWS::Serverless::Function
    Properties: {Runtime: nodejs20.x, Handler: index.handler}
  Other:
    Type: AWS::Serverless::Function
    Properties: {FunctionName: hello, Runtime: nodejs20.x, Handler: index.handler}
`, "both named"},
		{"alias bomb", `
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
Resources: {}
`, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sam.Load(writeProject(t, tt.template))
			if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(lambdadeck.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v (code %q), want EINVALID containing %q", err, lambdadeck.ErrorCode(err), tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := sam.Load(filepath.Join(t.TempDir(), "template.yaml"))
		if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("file name in message", func(t *testing.T) {
		path := writeProject(t, "Resources: [\n")
		_, err := sam.Load(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want it to name %s", err, path)
		}
	})
}

func TestJSONTemplate(t *testing.T) {
	tmpl := load(t, `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Transform": "AWS::Serverless-2016-10-31",
  "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
  "Globals": {"Function": {"Timeout": 15}},
  "Resources": {
    "Api": {
      "Type": "AWS::Serverless::Function",
      "Properties": {
        "FunctionName": {"Fn::Join": ["-", ["api", {"Ref": "Env"}]]},
        "CodeUri": "api/",
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "MemorySize": 512,
        "Environment": {"Variables": {"TABLE": {"Fn::GetAtt": ["Table", "Arn"]}}}
      }
    },
    "Table": {"Type": "AWS::DynamoDB::Table"}
  }
}`, "api")
	fn := function(t, tmpl, "api-dev")
	if fn.Runtime != "python3.12" || fn.Timeout != 15*time.Second || fn.MemoryMB != 512 || !fn.Runnable() ||
		fn.Environment["TABLE"] != "arn:aws:dynamodb:us-east-1:123456789012:table/Table" || fn.CodeDir != filepath.Join(tmpl.Dir, "api") {
		t.Errorf("unexpected function %+v", fn)
	}
	if len(tmpl.Warnings) != 1 {
		t.Errorf("warnings = %q, want one for the GetAtt", tmpl.Warnings)
	}
}

// A realistic SAM application: API events, policies, a table, outputs with
// !GetAtt. Only what lambdadeck uses is resolved, so it loads without
// warnings.
func TestRealisticTemplate(t *testing.T) {
	tmpl := load(t, `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: >
  orders-api

  Sample SAM Template for orders-api

Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev

Globals:
  Function:
    Timeout: 10
    MemorySize: 256
    Runtime: nodejs20.x
    Architectures:
      - arm64
    Tracing: Active
    LoggingConfig:
      LogFormat: JSON
    Environment:
      Variables:
        STAGE: !Ref Stage
        POWERTOOLS_SERVICE_NAME: orders
  Api:
    Cors:
      AllowOrigin: "'*'"

Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH

  CreateOrderFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Minify: true
        Target: es2020
        EntryPoints:
          - app.ts
    Properties:
      CodeUri: orders/
      Handler: app.createHandler
      Description: Creates an order
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref OrdersTable
        - Statement:
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt OrdersQueue.Arn
      Events:
        CreateOrder:
          Type: Api
          Properties:
            Path: /orders
            Method: post
      Environment:
        Variables:
          FOLLOW_UP: !Ref GetOrderFunction

  GetOrderFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub orders-get-${Stage}
      CodeUri: orders/
      Handler: app.getHandler
      Runtime: python3.12
      Events:
        GetOrder:
          Type: Api
          Properties:
            Path: /orders/{id}
            Method: get
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref OrdersTable

  OrdersQueue:
    Type: AWS::SQS::Queue

Outputs:
  OrdersApi:
    Description: API Gateway endpoint URL for Prod stage
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/orders/"
  CreateOrderFunctionArn:
    Value: !GetAtt CreateOrderFunction.Arn
  CreateOrderFunctionIamRole:
    Value: !GetAtt CreateOrderFunctionRole.Arn
`, "orders")
	if len(tmpl.Warnings) != 0 {
		t.Errorf("warnings: %q", tmpl.Warnings)
	}
	var names []string
	for _, fn := range tmpl.Functions {
		names = append(names, fn.Name)
	}
	if want := []string{"CreateOrderFunction", "orders-get-dev"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("functions = %v, want %v", names, want)
	}
	create := function(t, tmpl, "CreateOrderFunction")
	want := lambdadeck.Function{
		Name:            "CreateOrderFunction",
		LogicalID:       "CreateOrderFunction",
		Runtime:         "nodejs20.x",
		Handler:         "app.createHandler",
		CodeDir:         filepath.Join(tmpl.Dir, "orders"),
		Environment:     map[string]string{"STAGE": "dev", "POWERTOOLS_SERVICE_NAME": "orders", "FOLLOW_UP": "orders-get-dev"},
		Timeout:         10 * time.Second,
		MemoryMB:        256,
		Architecture:    "arm64",
		LogFormat:       "JSON",
		BuildMethod:     "esbuild",
		BuildProperties: map[string]any{"Minify": true, "Target": "es2020", "EntryPoints": []any{"app.ts"}},
		Concurrency:     lambdadeck.DefaultConcurrency,
		Description:     "Creates an order",
	}
	if !reflect.DeepEqual(create, want) {
		t.Errorf("CreateOrderFunction =\n%+v\nwant\n%+v", create, want)
	}
	if get := function(t, tmpl, "orders-get-dev"); get.LogicalID != "GetOrderFunction" || get.Runtime != "python3.12" {
		t.Errorf("GetOrderFunction = %+v", get)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"yaml", []string{"template.yaml"}, "template.yaml"},
		{"yml", []string{"template.yml"}, "template.yml"},
		{"yaml first", []string{"template.yml", "template.yaml"}, "template.yaml"},
		{"none", []string{"samconfig.toml"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("Resources: {}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path, ok := sam.Find(dir)
			if tt.want == "" {
				if ok {
					t.Errorf("Find = %q, want nothing", path)
				}
				return
			}
			if !ok || path != filepath.Join(dir, tt.want) {
				t.Errorf("Find = %q, %v, want %s", path, ok, tt.want)
			}
		})
	}
}

func TestParseUsesDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	tmpl, err := sam.Parse([]byte("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src, Runtime: nodejs20.x, Handler: index.handler}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Path != "" || tmpl.Dir != dir || tmpl.Functions[0].CodeDir != filepath.Join(dir, "src") {
		t.Errorf("template = %+v", tmpl)
	}
	if _, err := tmpl.Function("nope"); lambdadeck.ErrorCode(err) != lambdadeck.ENOTFOUND {
		t.Errorf("Function(nope) err = %v, want ENOTFOUND", err)
	}
}

// TestBuildProperties: Metadata.BuildProperties reaches the function with
// intrinsics resolved; one that is not a mapping is a warning.
func TestBuildProperties(t *testing.T) {
	tmpl := load(t, `Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Ts:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: [app.ts]
        Sourcemap: true
        Define:
          - !Sub "STAGE='${Stage}'"
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
  Bad:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties: [not, a, map]
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
`)
	ts := function(t, tmpl, "Ts")
	want := map[string]any{"EntryPoints": []any{"app.ts"}, "Sourcemap": true, "Define": []any{"STAGE='dev'"}}
	if !reflect.DeepEqual(ts.BuildProperties, want) {
		t.Errorf("BuildProperties = %#v", ts.BuildProperties)
	}
	if bad := function(t, tmpl, "Bad"); bad.BuildProperties != nil {
		t.Errorf("Bad BuildProperties = %#v", bad.BuildProperties)
	}
	if len(tmpl.Warnings) != 1 || !strings.Contains(tmpl.Warnings[0], "Metadata.BuildProperties is not a mapping") {
		t.Errorf("warnings = %q", tmpl.Warnings)
	}
}
