package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// TestLayerBuilds: a package.json layer lands in nodejs/node_modules, a
// requirements.txt layer in python/, as Lambda extracts them to /opt; a
// layer with nothing to build is its content folder.
func TestLayerBuilds(t *testing.T) {
	needTool(t, "npm")
	python := mustLook(t, "python3")
	if exec.Command(python, "-m", "pip", "--version").Run() != nil {
		t.Skip("python3 has no pip")
	}
	b := newBuilder(t)
	ctx := context.Background()

	node := copyApp(t, "npm-nolock")
	dir, err := b.Layer(ctx, lambdadeck.Layer{LogicalID: "NodeLayer", ContentDir: node, BuildMethod: "nodejs20.x"}, "nodejs20.x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodejs", "node_modules", "ms", "package.json")); err != nil {
		t.Errorf("node layer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(node, "node_modules")); err == nil {
		t.Error("the layer build wrote into its content folder")
	}
	n := b.Commands()
	if again, err := b.Layer(ctx, lambdadeck.Layer{LogicalID: "NodeLayer", ContentDir: node, BuildMethod: "nodejs20.x"}, "nodejs20.x", nil); err != nil || again != dir || b.Commands() != n {
		t.Errorf("unchanged layer rebuilt: %s %v", again, err)
	}

	wheels := t.TempDir()
	writeWheel(t, wheels, "layerpkg", "from a layer")
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_FIND_LINKS", wheels)
	py := t.TempDir()
	writeFile(t, filepath.Join(py, "requirements.txt"), "layerpkg==1.0\n")
	writeFile(t, filepath.Join(py, "shared.py"), "X = 1\n")
	dir, err = b.Layer(ctx, lambdadeck.Layer{LogicalID: "PyLayer", ContentDir: py}, "python3.11", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"python/layerpkg/__init__.py", "python/shared.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("python layer lacks %s: %v", f, err)
		}
	}

	plain := t.TempDir()
	if dir, err := b.Layer(ctx, lambdadeck.Layer{Name: "plain", ContentDir: plain}, "nodejs20.x", nil); err != nil || dir != plain {
		t.Errorf("plain layer: %s %v", dir, err)
	}
	if _, err := b.Layer(ctx, lambdadeck.Layer{Name: "remote", ARN: "arn:aws:lambda:us-east-1:1:layer:x:1"}, "nodejs20.x", nil); err == nil {
		t.Error("a layer without content built")
	}
}
