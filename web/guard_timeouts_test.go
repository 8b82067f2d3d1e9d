package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// shortLimits are timeouts short enough for a test; a 5 s invocation
// outlasts every one of them.
var shortLimits = Limits{ReadHeaderTimeout: 700 * time.Millisecond, BodyIdleTimeout: 700 * time.Millisecond,
	BodyTimeout: 2 * time.Second, IdleTimeout: 700 * time.Millisecond}

// serveWired serves handler as serve does: HTTPServer on Listener.
func serveWired(t *testing.T, srv *Server, handler http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer(handler)
	go hs.Serve(srv.Listener(ln))
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// TestSlowClientsAreCut: many half-sent requests (headers never finished,
// bodies never finished, idle kept-alive connections) are closed by the
// server after the timeouts, on the dashboard's listener and the API's.
func TestSlowClientsAreCut(t *testing.T) {
	e := newTestEnv(t)
	srv, err := New(Config{Invoker: e.invoker, Store: e.db, Version: "test", Limits: shortLimits})
	if err != nil {
		t.Fatal(err)
	}
	dash, api := serveWired(t, srv, srv), serveWired(t, srv, srv.LambdaAPI())
	starts := map[string]string{
		"half headers": "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
		"half form body": "POST /functions/hello/invoke HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: 100000\r\n\r\nevent=%%7B",
		"half chunked body": "POST /functions/hello/invoke HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n5\r\nevent\r\n",
		"half API payload": "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: %s\r\nContent-Length: 5000\r\n\r\n{\"a\":",
		"idle keep-alive":  "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n",
	}
	const perKind = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perKind*len(starts))
	for _, addr := range []string{dash, api} {
		for kind, start := range starts {
			if addr == api && strings.Contains(start, "/functions/hello/invoke ") {
				continue
			}
			if strings.Contains(start, "%s") {
				start = fmt.Sprintf(start, addr)
			}
			for range perKind {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", addr)
					if err != nil {
						errs <- fmt.Errorf("%s: dial: %v", kind, err)
						return
					}
					defer c.Close()
					if _, err := io.WriteString(c, start); err != nil {
						errs <- fmt.Errorf("%s: write: %v", kind, err)
						return
					}
					// Generous: the server must close long before.
					c.SetReadDeadline(time.Now().Add(30 * time.Second))
					_, err = io.Copy(io.Discard, c)
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						errs <- fmt.Errorf("%s on %s: the server kept the connection open", kind, addr)
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := e.invoker.callCount(); n != 0 {
		t.Errorf("%d invocations ran from half-sent requests", n)
	}
}

// TestLongInvocationOutlastsTimeouts: a real 5 s invocation answers through
// the dashboard's form and the Lambda API although it outlasts every
// connection timeout.
func TestLongInvocationOutlastsTimeouts(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	fn := lambdadeck.Function{Name: "slow", Runtime: "nodejs20.x", Handler: "index.handler", CodeDir: filepath.Join(dir, "slow"),
		Timeout: 20 * time.Second, MemoryMB: 128, Architecture: "x86_64", Concurrency: 2}
	if err := os.MkdirAll(fn.CodeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `exports.handler = async (event) => { await new Promise(r => setTimeout(r, 5000)); return {slept: event.n}; };`
	if err := os.WriteFile(filepath.Join(fn.CodeDir, "index.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	iv, err := invoker.New(invoker.Config{Functions: []lambdadeck.Function{fn}, Recorder: db, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	srv, err := New(Config{Invoker: iv, Store: db, Version: "test", Limits: shortLimits})
	if err != nil {
		t.Fatal(err)
	}
	dash, api := serveWired(t, srv, srv), serveWired(t, srv, srv.LambdaAPI())

	var wg sync.WaitGroup
	for _, addr := range []string{dash, api} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			// The body arrives in pieces, each within the idle timeout.
			body := `{"n": 7}`
			fmt.Fprintf(c, "POST /2015-03-31/functions/slow/invocations HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, len(body))
			for _, piece := range []string{body[:3], body[3:]} {
				time.Sleep(300 * time.Millisecond)
				io.WriteString(c, piece)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Errorf("%s: %v", addr, err)
				return
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(got) != `{"slept":7}` {
				t.Errorf("%s: %d %s", addr, resp.StatusCode, got)
			}
		}()
	}
	wg.Wait()
}
