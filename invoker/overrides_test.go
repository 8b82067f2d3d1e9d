package invoker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdadeck/lambdadeck"
)

// TestOverridesCannotRunCommands replays the hostile tester's overrides,
// which ran a command through the old deny-list: PYTHONWARNINGS with
// BROWSER under the Python bootstrap (a warnings filter naming the
// antigravity module imports it, which opens $BROWSER, synchronously), and
// SHELLOPTS with PS4 under a bash bootstrap (xtrace expands PS4 before
// every command; bash ignores an inherited PS4 when run as root, so as root
// only the refusal is shown for that one). Both are refused before any
// process starts, and nothing runs.
func TestOverridesCannotRunCommands(t *testing.T) {
	requirePython(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	py := pythonFunction("py", "", "app.handler", pyWriteCode(t, map[string]string{"app.py": "def handler(event, context):\n    return 1\n"}))
	sh := customFunction(t, "sh", `while true; do next; respond '1'; done`)
	iv := newTestInvoker(t, nil, py, sh)
	attacks := []struct {
		function string
		env      map[string]string
	}{
		{"py", map[string]string{"PYTHONWARNINGS": "all:0:antigravity.x:0:0", "BROWSER": "/bin/sh -c 'touch " + marker + "' %s"}},
		{"sh", map[string]string{"SHELLOPTS": "xtrace", "PS4": "$(touch " + marker + ")"}},
	}
	for _, a := range attacks {
		_, err := iv.Invoke(context.Background(), lambdadeck.InvokeRequest{Function: a.function, Event: []byte(`{}`), Env: a.env})
		if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(lambdadeck.ErrorMessage(err), "changes what code runs") {
			t.Errorf("%s with %v: %v", a.function, a.env, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an override ran a command")
	}
}

// TestCheckOverrides: the allow-list. A function's own variables and the log
// settings may be overridden; anything else may not, nor reserved names,
// nor variables that change what code runs even when the template sets
// them. Shared fixtures must suit every function.
func TestCheckOverrides(t *testing.T) {
	fn := lambdadeck.Function{Name: "orders", Environment: map[string]string{"MODE": "fast", "TABLE": "t", "NODE_OPTIONS": "--enable-source-maps"}}
	allowed := []map[string]string{
		nil,
		{"MODE": "slow"},
		{"TABLE": "", "MODE": "x"},
		{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"},
	}
	for _, env := range allowed {
		if err := CheckOverrides(fn, env); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
	refused := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"EXTRA": "1"}, "EXTRA cannot be overridden for function orders: an invocation may override only the variables its template sets and the log settings (allowed: MODE, TABLE, AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL)"},
		{map[string]string{"PYTHONWARNINGS": "x", "BROWSER": "y"}, "BROWSER changes what code runs"},
		{map[string]string{"SHELLOPTS": "xtrace"}, "SHELLOPTS changes what code runs"},
		{map[string]string{"PS4": "$(x)"}, "PS4 changes what code runs"},
		{map[string]string{"NODE_OPTIONS": "--import=data:x"}, "NODE_OPTIONS changes what code runs and can only be set in the template"},
		{map[string]string{"LD_PRELOAD": "/x.so"}, "LD_PRELOAD changes what code runs"},
		{map[string]string{"_HANDLER": "x"}, "_HANDLER is reserved by Lambda"},
		{map[string]string{"1BAD": "x"}, `invalid environment variable name "1BAD"`},
		{map[string]string{"MODE": "a\x00b"}, "the value of MODE contains a NUL byte"},
	}
	for _, tc := range refused {
		err := CheckOverrides(fn, tc.env)
		if lambdadeck.ErrorCode(err) != lambdadeck.EINVALID || !strings.Contains(lambdadeck.ErrorMessage(err), tc.want) {
			t.Errorf("%v: %v, want %q", tc.env, err, tc.want)
		}
	}
	other := lambdadeck.Function{Name: "other", Environment: map[string]string{"TABLE": "u"}}
	if err := CheckSharedOverrides([]lambdadeck.Function{fn, other}, map[string]string{"TABLE": "x", "AWS_LAMBDA_LOG_LEVEL": "WARN"}); err != nil {
		t.Errorf("a variable every function sets: %v", err)
	}
	err := CheckSharedOverrides([]lambdadeck.Function{fn, other}, map[string]string{"MODE": "x"})
	if !strings.Contains(lambdadeck.ErrorMessage(err), "a shared fixture runs with any function: MODE cannot be overridden for function other") {
		t.Errorf("a variable only one function sets: %v", err)
	}
}
