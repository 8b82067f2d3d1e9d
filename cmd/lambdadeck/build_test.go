package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeBuildProject writes a SAM project whose functions need builds (an
// npm dependency, a makefile target, a failing makefile target) and makes
// it the working directory.
func writeBuildProject(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	t.Setenv("LAMBDADECK_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	files := map[string]string{
		"template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  NodeDeps:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: node/
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.plain
      CodeUri: plain/
  Broken:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: make/
`,
		"node/package.json": `{"name":"node-deps","private":true,"dependencies":{"ms":"2.1.3"}}`,
		"node/index.js":     "const ms = require('ms');\nexports.handler = async () => ({ oneMinute: ms('1m') });\n",
		"plain/index.js":    "exports.plain = async () => 'plain';\n",
		"make/Makefile":     "build-Broken:\n\t@echo compiling\n\t@echo 'error: this target fails on purpose' >&2\n\t@exit 2\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// TestBuildCommand: lambdadeck build builds ahead of time with a line per
// step, invoke then reuses the build, a failed build names the command, the
// folder and the tool's last lines (and exits 1), and --no-build runs the
// code as it is, with a hint for the missing dependency.
func TestBuildCommand(t *testing.T) {
	dir := writeBuildProject(t)

	code, stdout, stderr := run(t, "", "build", "NodeDeps", "Plain")
	if code != exitOK {
		t.Fatalf("build: exit %d\n%s\n%s", code, stdout, stderr)
	}
	step := regexp.MustCompile(`(?m)^build NodeDeps: npm install \(in ` + regexp.QuoteMeta(filepath.Join(dir, ".lambdadeck", "build")) + `/\.tmp-NodeDeps@[0-9a-f]+\.\d+\) \.\.\. [0-9.]+m?s$`)
	if !step.MatchString(stderr) {
		t.Errorf("stderr lacks the npm install step line:\n%s", stderr)
	}
	if !regexp.MustCompile(`(?m)^NodeDeps: npm build in `+regexp.QuoteMeta(filepath.Join(dir, ".lambdadeck", "build", "NodeDeps-"))+`[0-9a-f]{16}$`).MatchString(stdout) ||
		!strings.Contains(stdout, "Plain: nothing to build (runs from its CodeUri)\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "node", "node_modules")); err == nil {
		t.Error("the build wrote into the code folder")
	}

	// invoke finds it built: no build step, the dependency is there.
	code, stdout, stderr = run(t, "", "invoke", "NodeDeps")
	if code != exitOK || stdout != `{"oneMinute":60000}` {
		t.Fatalf("invoke: exit %d stdout %q\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "build NodeDeps") {
		t.Errorf("invoke rebuilt:\n%s", stderr)
	}

	// --no-build runs the CodeUri as it is: ms is missing, and the error
	// says why.
	code, stdout, stderr = run(t, "", "invoke", "NodeDeps", "--no-build")
	if code != exitFunction || !strings.Contains(stderr, "lambdadeck: ms is named in package.json but not installed: lambdadeck's build did not run (--no-build).") {
		t.Errorf("--no-build: exit %d stdout %s\n%s", code, stdout, stderr)
	}

	// A failed build: lambdadeck build exits 1 with the command, the folder
	// and make's last lines.
	code, stdout, stderr = run(t, "", "build", "Broken")
	if code != exitFunction || !strings.Contains(stdout, "Broken: FAILED") {
		t.Errorf("failed build: exit %d stdout %q", code, stdout)
	}
	makeTool, _ := exec.LookPath("make")
	for _, want := range []string{"build Broken: make build-Broken (in ", "failed after", "`" + makeTool + " --makefile " + filepath.Join(dir, "make", "Makefile") + " build-Broken`",
		"error: this target fails on purpose", "compiling"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("failed build's stderr lacks %q:\n%s", want, stderr)
		}
	}
	// invoke reports it as the invocation's error, and exits 1.
	code, stdout, stderr = run(t, "", "invoke", "Broken")
	if code != exitFunction || !strings.Contains(stdout, "lambdadeck.BuildError") || !strings.Contains(stdout, "error: this target fails on purpose") {
		t.Errorf("invoke of a failing build: exit %d stdout %s\n%s", code, stdout, stderr)
	}

	// An unknown function is a usage error, before anything is built.
	if code, _, stderr = run(t, "", "build", "Nope"); code != exitUsage || !strings.Contains(stderr, "Function not found: Nope") {
		t.Errorf("unknown function: exit %d\n%s", code, stderr)
	}
}
