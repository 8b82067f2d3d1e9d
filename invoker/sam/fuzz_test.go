package sam_test

import (
	"testing"

	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// FuzzParse checks that no template, however broken, makes Parse panic, and
// that every error it returns is a user-facing one.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"Resources: {}",
		"Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: nodejs20.x, Handler: index.handler}\n",
		intrinsicsTemplate,
		`{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}}}}}`,
		"Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Condition: A\n    Properties: {Timeout: !If [A, 1, 2]}\n",
		"Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {FunctionName: !Ref F, Environment: {Variables: {X: !Select [9, !Split ['', !Sub ['${', {}]]]}}}\n",
		"a: &a [x, *a]\nResources: {}\n",
		"Globals: {Function: [1]}\nResources: {F: {Type: AWS::Serverless::Function, Properties: {<<: {Timeout: x}}}}\n",
		"Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: {Bucket: !Ref X}, Layers: [!GetAtt], Environment: !Base64 [1]}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := sam.Parse(data, dir)
		if err != nil {
			if tmpl != nil {
				t.Errorf("Parse returned both a template and an error: %v", err)
			}
			return
		}
		for _, fn := range tmpl.Functions {
			if fn.Name == "" {
				t.Errorf("function without a name: %+v", fn)
			}
		}
	})
}
