package invoker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Benchmarks of the invocation path with no recorder, to isolate the
// invoker: warm invocations on one instance, cold starts, and the bare start
// of each interpreter, so that cold-start overhead can be stated as
// ColdStart minus BareStart. Run them with
//
//	go test -run x -bench . -benchtime 200x ./invoker/

const benchEvent = `{"key":"value","n":1}`

// benchFunction returns an echo handler of the runtime family (Go's greet
// handler ignores the event's unknown fields).
func benchFunction(b *testing.B, family string) lambdadeck.Function {
	b.Helper()
	fn := lambdadeck.Function{Name: "bench-" + family, Timeout: 10 * time.Second, MemoryMB: 512, Concurrency: 1}
	need := map[string][]string{"node": {"node"}, "python": {"python3"}, "custom": {"bash", "curl"}, "go": {"go"}}[family]
	for _, tool := range need {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not on PATH", tool)
		}
	}
	switch family {
	case "node":
		fn.Runtime, fn.Handler, fn.CodeDir = "nodejs20.x", "index.handler", b.TempDir()
		writeBenchFile(b, filepath.Join(fn.CodeDir, "index.js"), "exports.handler = async (event) => event;\n")
	case "python":
		fn.Runtime, fn.Handler, fn.CodeDir = "python3.12", "app.handler", b.TempDir()
		writeBenchFile(b, filepath.Join(fn.CodeDir, "app.py"), "def handler(event, context):\n    return event\n")
	case "custom":
		fn.Runtime, fn.Handler = "provided.al2023", "unused"
		fn.CodeDir = absTestdata(b, "custom", "echo")
	case "go":
		fn.Runtime, fn.Handler = "provided.al2023", "bootstrap"
		fn.CodeDir = absTestdata(b, "go", "greet")
	}
	return fn
}

func writeBenchFile(b *testing.B, path, content string) {
	b.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}

func absTestdata(b *testing.B, parts ...string) string {
	b.Helper()
	dir, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

func benchInvoker(b *testing.B, fn lambdadeck.Function) *Invoker {
	b.Helper()
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { iv.Close() })
	if got, _ := iv.Function(fn.Name); !got.Runnable() {
		b.Skipf("%s cannot run here: %s", fn.Name, got.NotRunnable)
	}
	return iv
}

func benchInvoke(b *testing.B, iv *Invoker, name string) *lambdadeck.Invocation {
	inv, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: name, Event: []byte(benchEvent)})
	if err != nil {
		b.Fatal(err)
	}
	if inv.Status != lambdadeck.StatusSucceeded {
		b.Fatalf("status %s payload %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	return inv
}

// BenchmarkWarmInvoke measures one invocation on a warm instance: the whole
// Invoke path, the Runtime API round trip and the handler.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, family := range []string{"node", "python", "custom", "go"} {
		b.Run(family, func(b *testing.B) {
			fn := benchFunction(b, family)
			iv := benchInvoker(b, fn)
			benchInvoke(b, iv, fn.Name) // cold start (and Go build) outside the timing
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				benchInvoke(b, iv, fn.Name)
			}
		})
	}
}

// BenchmarkColdStart measures an invocation that starts a new instance:
// process start, runtime bootstrap, handler import, first event. The time
// spent stopping the previous instance is left out.
func BenchmarkColdStart(b *testing.B) {
	for _, family := range []string{"node", "python"} {
		b.Run(family, func(b *testing.B) {
			fn := benchFunction(b, family)
			iv := benchInvoker(b, fn)
			var init time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				iv.Retire(fn.Name)
				b.StartTimer()
				inv := benchInvoke(b, iv, fn.Name)
				if !inv.Cold {
					b.Fatal("a retired function's invocation was warm")
				}
				init += inv.InitDuration
				n++
			}
			b.ReportMetric(float64(init.Microseconds())/1000/float64(n), "init-ms/op")
		})
	}
}

// BenchmarkBareStart measures starting and ending the interpreter with
// nothing to run (node -e ”, python3 -c ”), with the same executable the
// invoker resolved: the floor under BenchmarkColdStart.
func BenchmarkBareStart(b *testing.B) {
	for _, family := range []string{"node", "python"} {
		b.Run(family, func(b *testing.B) {
			fn := benchFunction(b, family)
			iv := benchInvoker(b, fn)
			it := iv.Interpreter(fn)
			if it == nil || it.Err != nil {
				b.Skipf("no interpreter for %s", fn.Runtime)
			}
			flag := map[string]string{"node": "-e", "python": "-c"}[family]
			for b.Loop() {
				if err := exec.Command(it.Path, flag, "").Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
