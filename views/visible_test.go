package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestControlCharactersAreShownVisibly: what a handler or an HTTP client
// sent is shown with its control characters as visible symbols (NUL as ␀,
// ESC as ␛), never as raw bytes that could move a terminal's cursor when
// the page is copied, or hide text, on every view that shows such text.
func TestControlCharactersAreShownVisibly(t *testing.T) {
	const raw = "before\x00\x1b[31mred\x7fafter"
	cases := map[string]func() (string, error){
		"HTTP exchange": func() (string, error) {
			var b bytes.Buffer
			err := HTTPExchange("POST", "/orders", "/orders", "HttpApi", 200, "POST /orders HTTP/1.1\r\n\r\n"+raw, "HTTP/1.1 200 OK\r\n\r\n"+raw).Render(context.Background(), &b)
			return b.String(), err
		},
		"test run outcomes": func() (string, error) {
			var b bytes.Buffer
			err := TestRunProgress(TestRun{ID: "r1", Finished: true, Failed: 1, Rows: []TestOutcomeRow{{
				FixtureID: 1, Name: "n", Function: "f", State: "failed", Message: raw, Failures: []string{"response: got " + raw},
			}}}).Render(context.Background(), &b)
			return b.String(), err
		},
	}
	for name, render := range cases {
		html, err := render()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.ContainsAny(html, "\x00\x1b\x7f") {
			t.Errorf("%s: raw control characters reach the HTML:\n%q", name, html)
		}
		if !strings.Contains(html, "before␀␛[31mred␡after") {
			t.Errorf("%s: the control characters are not shown as symbols:\n%s", name, html)
		}
	}
}
