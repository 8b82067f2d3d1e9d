package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck/store"
)

// TestServeRetentionFlags: --keep, --keep-invocations and --keep-bytes
// take any combination; a malformed one exits with a usage error naming
// the flag and an example.
func TestServeRetentionFlags(t *testing.T) {
	r, err := parseRetention("30d", "1_000_000", "5GB")
	if err != nil || r != (store.Retention{MaxAge: 30 * 24 * time.Hour, MaxInvocations: 1_000_000, MaxBytes: 5e9}) {
		t.Errorf("all three: %+v, %v", r, err)
	}
	if r, err := parseRetention("", "", "500MB"); err != nil || r != (store.Retention{MaxBytes: 500e6}) {
		t.Errorf("bytes alone: %+v, %v", r, err)
	}
	t.Chdir(t.TempDir())
	for _, c := range []struct{ flag, value, want string }{
		{"--keep", "30 days", `--keep: age "30 days": use a number and a unit, such as 30d`},
		{"--keep-invocations", "many", `--keep-invocations: invocation count "many": use a whole number`},
		{"--keep-bytes", "5", `--keep-bytes: size "5": use a number and a unit, such as 5GB`},
	} {
		code, _, stderr := run(t, "", "serve", "--addr", "127.0.0.1:0", c.flag, c.value)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s %q: exit %d, %s", c.flag, c.value, code, stderr)
		}
	}
}
