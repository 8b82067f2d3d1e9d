package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestServeRefusesNetworkWithoutAuth: a non-loopback address needs --auth,
// and the refusal comes before anything is written.
func TestServeRefusesNetworkWithoutAuth(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state", "lambdadeck.db")
	for _, args := range [][]string{
		{"serve", "--addr", "0.0.0.0:0", "--db", db},
		{"serve", "--addr", ":0", "--db", db},
		{"serve", "--api-addr", "0.0.0.0:0", "--db", db},
		{"serve", "--auth", "proxy", "--addr", "0.0.0.0:0", "--db", db},
		{"serve", "--auth", "proxy", "--auth-proxy-header", "X-Forwarded-Email", "--trusted-proxy", "10.0.0.0/33", "--db", db},
		{"serve", "--auth", "sso", "--db", db},
		{"serve", "--auth", "oidc", "--oidc-issuer", "https://id.example.com", "--db", db},
		{"serve", "--tls-cert", "x.pem", "--db", db},
	} {
		code, _, stderr := runCmd(t, "", args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
		if strings.Contains(strings.Join(args, " "), "0.0.0.0:0 --db") && len(args) == 5 && !strings.Contains(stderr, "add --auth local") {
			t.Errorf("%v: the refusal does not say what to add: %s", args, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
		t.Errorf("a refused serve left its state folder behind: %v", err)
	}
}

func TestUsersCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "lambdadeck.db")
	code, out, stderr := runCmd(t, "", "users", "add", "alice", "--role", "admin", "--db", db)
	if code != exitOK || !strings.Contains(out, "One-time password") {
		t.Fatalf("users add: %d %s %s", code, out, stderr)
	}
	password := strings.TrimSpace(out[strings.LastIndex(out, ": ")+2:])
	if len(password) < 20 {
		t.Fatalf("one-time password %q", password)
	}
	if code, _, stderr := runCmd(t, "short\n", "users", "add", "bob", "--role", "runner", "--password-stdin", "--db", db); code == exitOK ||
		!strings.Contains(stderr, "at least 10") {
		t.Errorf("short stdin password: %d %s", code, stderr)
	}
	if code, out, _ := runCmd(t, "a fine long password\n", "users", "add", "bob", "--role", "runner", "--password-stdin", "--db", db); code != exitOK ||
		strings.Contains(out, "a fine long password") {
		t.Errorf("stdin password: %d %s", code, out)
	}
	if code, _, stderr := runCmd(t, "", "users", "add", "carol", "--role", "boss", "--db", db); code == exitOK || !strings.Contains(stderr, "is not a role") {
		t.Errorf("bad role: %d %s", code, stderr)
	}
	if code, _, _ := runCmd(t, "", "users", "set-role", "bob", "editor", "--db", db); code != exitOK {
		t.Errorf("set-role: %d", code)
	}
	if code, _, _ := runCmd(t, "", "users", "disable", "bob", "--db", db); code != exitOK {
		t.Errorf("disable: %d", code)
	}
	code, out, _ = runCmd(t, "", "users", "list", "--db", db)
	if code != exitOK || !strings.Contains(out, "alice") || !regexpLine(out, "bob", "editor", "disabled") {
		t.Errorf("list: %s", out)
	}
	code, out, _ = runCmd(t, "", "audit", "--action", "user.", "--db", db)
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		actions = append(actions, e["action"].(string)+":"+e["target"].(string))
	}
	if code != exitOK || strings.Join(actions, " ") != "user.disable:bob user.role:bob user.create:bob user.create:alice" {
		t.Errorf("audit: %v", actions)
	}
	raw, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	if bytes.Contains(append(raw, wal...), []byte(password)) || bytes.Contains(append(raw, wal...), []byte("a fine long password")) {
		t.Errorf("a password is in the database in the clear")
	}
}

func regexpLine(out string, words ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return true
		}
	}
	return false
}
