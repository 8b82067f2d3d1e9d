package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/store"
	"github.com/lambdadeck/lambdadeck/web"
)

// startTeamServer runs a lambdadeck server that checks signatures (team
// mode) on its own database, with the project's two functions, and
// returns its URL and database path.
func startTeamServer(t *testing.T, project string) (string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "lambdadeck.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	functions := []lambdadeck.Function{
		{Name: "greeter", Runtime: "nodejs20.x", Handler: "app.handler", CodeDir: filepath.Join(project, "src"), Timeout: 10 * time.Second, MemoryMB: 128, Concurrency: 2,
			Environment: map[string]string{"STAGE": "team"}},
		{Name: "Failer", Runtime: "python3.12", Handler: "fail.handler", CodeDir: filepath.Join(project, "py"), Timeout: 10 * time.Second, MemoryMB: 128, Concurrency: 2},
	}
	iv, err := invoker.New(invoker.Config{Functions: functions, Recorder: db, Queue: db, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{Invoker: iv, Store: db, Version: "test", Auth: web.AuthConfig{Mode: web.AuthLocal},
		Secrets: store.NewSecrets(filepath.Join(dir, store.SecretsFile))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { db.Close() })
	t.Cleanup(func() { iv.Close() })
	t.Cleanup(ts.Close)
	for name, role := range map[string]lambdadeck.Role{"alice": lambdadeck.RoleRunner, "vera": lambdadeck.RoleViewer} {
		u := lambdadeck.User{Name: name, Role: role}
		if err := db.CreateUser(ctx, &u, ""); err != nil {
			t.Fatal(err)
		}
	}
	return ts.URL, dbPath
}

// createKey runs lambdadeck keys create and reads the credentials lines
// it prints.
func createKey(t *testing.T, dbPath, user string) (id, secret string) {
	t.Helper()
	code, stdout, stderr := run(t, "", "keys", "create", "--user", user, "--name", "cli-test", "--db", dbPath)
	if code != exitOK {
		t.Fatalf("keys create: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`(?m)^\[lambdadeck\]\naws_access_key_id = (LDAK\S+)\naws_secret_access_key = (\S+)\n$`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("keys create printed %q", stdout)
	}
	if !strings.Contains(stderr, "shown only now") {
		t.Errorf("keys create did not say the secret is shown once: %s", stderr)
	}
	return m[1], m[2]
}

func TestInvokeServer(t *testing.T) {
	requireRuntimes(t)
	project := writeProject(t)
	url, dbPath := startTeamServer(t, project)
	id, secret := createKey(t, dbPath, "alice")
	viewerID, viewerSecret := createKey(t, dbPath, "vera")
	// Nothing of the user's own AWS setup is read.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "credentials"))
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	t.Run("with flags, as a local invoke prints", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "invoke", "greeter", "--server", url, "--event", "event.json",
			"--access-key-id", id, "--secret-access-key", secret)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if stdout != `{"greeting":"hello Ada","stage":"team","extra":null}` {
			t.Errorf("stdout = %q", stdout)
		}
		for _, want := range []string{"START RequestId: ", "\tINFO\tgreeting Ada\n", "END RequestId: ", "REPORT RequestId: "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
	})

	t.Run("from LAMBDADECK_ACCESS_KEY_ID and a function error exits 1", func(t *testing.T) {
		t.Setenv("LAMBDADECK_ACCESS_KEY_ID", id)
		t.Setenv("LAMBDADECK_SECRET_ACCESS_KEY", secret)
		code, stdout, stderr := run(t, `{"what":"luck"}`, "invoke", "Failer", "--server", url, "--event", "-", "--quiet")
		if code != exitFunction || !strings.Contains(stdout, "ValueError") || !strings.Contains(stdout, "no luck") {
			t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		if strings.Contains(stderr, "START RequestId") {
			t.Errorf("--quiet printed the log:\n%s", stderr)
		}
	})

	t.Run("from an AWS profile", func(t *testing.T) {
		creds := "[team]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
		if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, "", "functions", "--server", url, "--profile", "team")
		if code != exitOK || !strings.Contains(stdout, "greeter") || !strings.Contains(stdout, "nodejs20.x") || !strings.Contains(stdout, "Failer") {
			t.Fatalf("functions --server: exit %d\n%s\n%s", code, stdout, stderr)
		}
		code, stdout, stderr = run(t, `{"name":"Grace"}`, "invoke", "greeter", "--server", url, "--profile", "team", "-e", "-")
		if code != exitOK || !strings.Contains(stdout, "hello Grace") {
			t.Fatalf("invoke with --profile: exit %d %q\n%s", code, stdout, stderr)
		}
	})

	refusals := []struct {
		name, keyID, secret, want string
		args                      []string
	}{
		{"wrong secret", id, strings.Repeat("A", 40), "InvalidSignatureException", nil},
		{"viewer", viewerID, viewerSecret, "AccessDeniedException", nil},
		{"unknown function", id, secret, "ResourceNotFoundException", nil},
		{"flag that needs the local project", id, secret, "--env cannot be used with --server", []string{"--env", "A=b"}},
		{"bad server URL", id, secret, "is not a URL", []string{"--server", "ftp://x"}},
	}
	for _, r := range refusals {
		t.Run("refused: "+r.name, func(t *testing.T) {
			fn := "greeter"
			if r.name == "unknown function" {
				fn = "nope"
			}
			args := append([]string{"invoke", fn, "--server", url, "--access-key-id", r.keyID, "--secret-access-key", r.secret}, r.args...)
			code, stdout, stderr := run(t, "", args...)
			if code != exitUsage || !strings.Contains(stderr, r.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant %q", code, stdout, stderr, r.want)
			}
		})
	}

	t.Run("keys list and revoke", func(t *testing.T) {
		code, stdout, stderr := run(t, "", "keys", "list", "--user", "alice", "--db", dbPath)
		if code != exitOK || !strings.Contains(stdout, id) || strings.Contains(stdout, viewerID) || strings.Contains(stdout, secret) {
			t.Fatalf("keys list: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if !regexp.MustCompile(id + `\s+alice\s+cli-test\s+\S+ \S+ UTC\s+\S+ \S+ UTC\s+active`).MatchString(stdout) {
			t.Errorf("keys list row (used, active):\n%s", stdout)
		}
		if code, _, stderr := run(t, "", "keys", "revoke", id, "--db", dbPath); code != exitOK {
			t.Fatalf("keys revoke: exit %d %s", code, stderr)
		}
		code, _, stderr = run(t, "", "invoke", "greeter", "--server", url, "--access-key-id", id, "--secret-access-key", secret)
		if code != exitUsage || !strings.Contains(stderr, "UnrecognizedClientException") {
			t.Fatalf("a revoked key: exit %d\n%s", code, stderr)
		}
		if code, stdout, _ := run(t, "", "keys", "list", "--db", dbPath); code != exitOK || !strings.Contains(stdout, "revoked ") || !strings.Contains(stdout, viewerID) {
			t.Errorf("keys list after revoke:\n%s", stdout)
		}
		db, err := store.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		entries, err := db.AuditEntries(context.Background(), store.AuditFilter{Target: id})
		if err != nil || len(entries) != 2 || entries[0].Action != store.AuditKeyRevoke || entries[1].Action != store.AuditKeyCreate || entries[0].Actor != "local" {
			t.Errorf("audit entries of the key: %+v, %v", entries, err)
		}
	})

	t.Run("keys commands refuse bad input", func(t *testing.T) {
		for _, args := range [][]string{
			{"keys", "create", "--user", "nobody", "--db", dbPath},
			{"keys", "create", "--user", "alice", "--name", strings.Repeat("x", 65), "--db", dbPath},
			{"keys", "create", "extra", "--user", "alice", "--db", dbPath},
			{"keys", "revoke", "--db", dbPath},
			{"keys", "revoke", "LDAKAAAAAAAAAAAAAAAA", "--db", dbPath},
			{"keys", "frobnicate"},
		} {
			if code, stdout, stderr := run(t, "", args...); code != exitUsage || stdout != "" || stderr == "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
			}
		}
	})
}
