package build

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// TestEsbuildArgs: BuildProperties become esbuild's flags as
// aws-lambda-builders maps them.
func TestEsbuildArgs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.ts"), "")
	writeFile(t, filepath.Join(dir, "other.js"), "")
	tests := []struct {
		name  string
		props map[string]any
		deps  []string
		want  string
		err   string
	}{
		{"defaults", map[string]any{"EntryPoints": []any{"app.ts"}},
			nil, "app.ts --bundle --platform=node --outdir=OUT --target=es2020 --format=cjs --minify", ""},
		{"extension found", map[string]any{"EntryPoints": []any{"app", "other"}},
			nil, "app.ts other.js --bundle --platform=node --outdir=OUT --target=es2020 --format=cjs --minify", ""},
		{"everything", map[string]any{"EntryPoints": []any{"app.ts"}, "Format": "esm", "Target": "es2022", "Minify": false,
			"Sourcemap": true, "External": []any{"@aws-sdk/*"}, "Banner": "js=//hi", "Footer": "js=//bye",
			"MainFields": "module,main", "OutExtension": []any{".js=.mjs"}, "Loader": []any{".png=file"}, "Define": []any{"DEBUG=false"},
			"Platform": "browser", "Bundle": false, "UseNpmCi": true},
			nil, "app.ts --bundle --platform=node --outdir=OUT --banner=js=//hi --define:DEBUG=false --external:@aws-sdk/* --footer=js=//bye " +
				"--format=esm --loader:.png=file --main-fields=module,main --out-extension:.js=.mjs --sourcemap --target=es2022", ""},
		{"all dependencies external", map[string]any{"EntryPoints": []any{"app.ts"}, "External": []any{"./node_modules/*"}},
			[]string{"ms", "uuid"}, "app.ts --bundle --platform=node --outdir=OUT --target=es2020 --format=cjs --minify --external:ms --external:uuid", ""},
		{"no entry points", map[string]any{}, nil, "", "EntryPoints is not set"},
		{"entry points not a list", map[string]any{"EntryPoints": "app.ts"}, nil, "", "must be a list"},
		{"missing entry point", map[string]any{"EntryPoints": []any{"nope.ts"}}, nil, "", "nope.ts does not exist"},
		{"a number", map[string]any{"EntryPoints": []any{"app.ts"}, "LogLimit": 3}, nil, "", "neither a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := esbuildArgs(esbuildConfig(lambdadeck.Function{BuildProperties: tt.props}), dir, "OUT", tt.deps)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(args, " "); got != tt.want {
				t.Errorf("args\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestSourceMapsFromNodeOptions: --enable-source-maps in NODE_OPTIONS turns
// Sourcemap on, as SAM CLI does; Sourcemap false keeps it off.
func TestSourceMapsFromNodeOptions(t *testing.T) {
	dir := t.TempDir()
	fn := lambdadeck.Function{CodeDir: dir, BuildMethod: "esbuild", Environment: map[string]string{"NODE_OPTIONS": "--enable-source-maps"},
		BuildProperties: map[string]any{"EntryPoints": []any{"app.ts"}}}
	if !SourceMaps(fn) {
		t.Error("NODE_OPTIONS did not turn source maps on")
	}
	writeFile(t, filepath.Join(dir, "app.ts"), "")
	args, _ := esbuildArgs(esbuildConfig(fn), dir, "OUT", nil)
	if !slices.Contains(args, "--sourcemap") {
		t.Errorf("args %v", args)
	}
	fn.BuildProperties["Sourcemap"] = false
	if SourceMaps(fn) {
		t.Error("Sourcemap false is on")
	}
}
