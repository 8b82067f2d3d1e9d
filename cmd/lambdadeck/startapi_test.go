package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartAPI runs `lambdadeck start-api` on port 0: the template's
// HttpApi route answers through the front door, the dashboard's routes are
// not there, and an edit of the template adds a route with no restart.
func TestStartAPI(t *testing.T) {
	requireRuntimes(t)
	dir := writeProject(t)
	tplPath := filepath.Join(dir, "template.yaml")
	tpl := strings.Replace(readFile(t, tplPath), "      CodeUri: src/\n",
		"      CodeUri: src/\n      Events:\n        Hi: {Type: HttpApi, Properties: {Path: /hi, Method: POST}}\n", 1)
	os.WriteFile(tplPath, []byte(tpl), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"start-api", "--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	var front, dash string
	lines := bufio.NewScanner(pr)
	for dash == "" && lines.Scan() {
		line := lines.Text()
		if i := strings.Index(line, "HTTP front door"); i >= 0 {
			front = line[strings.LastIndex(line, " ")+1:]
		}
		if rest, ok := strings.CutPrefix(line, "Listening on "); ok {
			dash = rest
		}
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("start-api exited %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("start-api did not stop")
		}
	})
	if front == "" || dash == "" {
		t.Fatalf("front door %q, dashboard %q; stderr:\n%s", front, dash, stderr.String())
	}
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(front+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The 2.0 event's body is the request's; the handler greets event.name,
	// which a 2.0 event lacks, and a plain object is wrapped as a 200.
	if status, body := post("/hi", `{}`); status != 200 || !strings.Contains(body, `"greeting":"hello undefined"`) {
		t.Fatalf("POST /hi: %d %s", status, body)
	}
	if status, _ := post("/2015-03-31/functions/greeter/invocations", `{}`); status != 404 {
		t.Errorf("the Lambda API answers on the front door: %d", status)
	}
	if resp, err := http.Get(dash + "/routes"); err != nil || resp.StatusCode != 200 {
		t.Errorf("dashboard /routes: %v %v", err, resp)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), front) {
			t.Error("the routes page does not name the front door's address")
		}
	}

	os.WriteFile(tplPath, []byte(strings.Replace(tpl, "Path: /hi,", "Path: /hello,", 1)), 0o644)
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := post("/hello", `{}`)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reloaded route is not served: %d %s", status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status, _ := post("/hi", `{}`); status != 404 {
		t.Errorf("the removed route still answers: %d", status)
	}
}
