package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
)

// BenchmarkInvokeAPIGo is the warm path bench/speed measures, in one
// process so that it can be profiled: keep-alive clients post to the Invoke
// API of a Go handler (concurrency 16), each invocation recorded in a real
// SQLite file. Profile it with
//
//	go test -run '^$' -bench InvokeAPIGo -cpuprofile cpu.out ./web/
func BenchmarkInvokeAPIGo(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("go is not on PATH")
	}
	ctx := context.Background()
	dir := b.TempDir()
	code, err := filepath.Abs(filepath.Join("..", "invoker", "testdata", "go", "greet"))
	if err != nil {
		b.Fatal(err)
	}
	fn := lambdadeck.Function{Name: "greet", Runtime: "provided.al2023", Handler: "bootstrap", CodeDir: code,
		Timeout: 30 * time.Second, MemoryMB: 512, Concurrency: 16}
	db, err := store.Open(ctx, filepath.Join(dir, "lambdadeck.db"))
	if err != nil {
		b.Fatal(err)
	}
	iv, err := invoker.New(invoker.Config{Functions: []lambdadeck.Function{fn}, Recorder: db, Queue: db, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Invoker: iv, Store: db, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.LambdaAPI())
	b.Cleanup(func() { db.Close() })
	b.Cleanup(func() { iv.Close() })
	b.Cleanup(ts.Close)
	url := ts.URL + "/2015-03-31/functions/greet/invocations"
	body := []byte(`{"name":"speed","times":2}`)
	post := func(client *http.Client) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte("Hello, speed!")) {
			return fmt.Errorf("%d %s %v", resp.StatusCode, got, err)
		}
		return nil
	}
	for _, clients := range []int{1, 4, 16} {
		b.Run(fmt.Sprint(clients, " clients"), func(b *testing.B) {
			transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
			defer transport.CloseIdleConnections()
			client := &http.Client{Transport: transport}
			var wg sync.WaitGroup
			for range clients { // instances started outside the timing
				wg.Add(1)
				go func() { defer wg.Done(); post(client) }()
			}
			wg.Wait()
			work := make(chan struct{})
			errs := make(chan error, clients)
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if err := post(client); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
		})
	}
}
