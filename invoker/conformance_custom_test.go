package invoker

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// Custom runtimes from testdata/custom: bash bootstraps that speak the
// Runtime API with curl. These rows cover the init phase (reference §1.5,
// §6.1, §6.3); invoker_test.go covers the invocation phase.

func customFixture(t *testing.T, name string) lambdadeck.Function {
	t.Helper()
	requireTools(t, "bash", "curl")
	dir, err := filepath.Abs(filepath.Join("testdata", "custom", name))
	if err != nil {
		t.Fatal(err)
	}
	return lambdadeck.Function{Name: name, Runtime: "provided.al2023", Handler: "unused", CodeDir: dir,
		Timeout: 3 * time.Second, MemoryMB: 128, Concurrency: 10}
}

func TestCustomRuntimeInit(t *testing.T) {
	tests := []struct {
		name    string
		status  lambdadeck.Status
		payload string // %ID% stands for the request id
		errType string
		logs    []*regexp.Regexp // in this order
	}{
		{
			name: "echo", status: lambdadeck.StatusSucceeded, payload: `{"hello":"world"}`,
			logs: []*regexp.Regexp{
				regexp.MustCompile(`START RequestId: %ID% Version: \$LATEST\n`),
				regexp.MustCompile(`\tInit Duration: \d+\.\d\d ms\t\n$`),
			},
		},
		{
			// The body posted to /init/error is the invocation's error,
			// unchanged; the runtime's init output comes before START.
			name: "init-error", status: lambdadeck.StatusFailed,
			payload: `{"errorMessage":"CONFIG_PATH is not set","errorType":"Runtime.ConfigInvalid","stackTrace":["bootstrap: line 7"]}`,
			errType: "Runtime.ConfigInvalid",
			logs: []*regexp.Regexp{
				regexp.MustCompile(`loading configuration\n`),
				regexp.MustCompile(`START RequestId: %ID% Version: \$LATEST\n`),
				regexp.MustCompile(`INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime.ConfigInvalid\n`),
				regexp.MustCompile(`END RequestId: %ID%\n`),
			},
		},
		{
			// A bootstrap that exits before its first /next, without a
			// word to the Runtime API, is Runtime.ExitError.
			name: "init-exit", status: lambdadeck.StatusCrashed,
			payload: `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: %ID% Error: Runtime exited with error: exit status 2"}`,
			errType: "Runtime.ExitError",
			logs: []*regexp.Regexp{
				regexp.MustCompile(`cannot find the handler binary\n`),
				regexp.MustCompile(`START RequestId: %ID% Version: \$LATEST\n`),
				regexp.MustCompile(`INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n`),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv := newTestInvoker(t, nil, customFixture(t, tt.name))
			// A failed init leaves no instance: each attempt inits afresh.
			for attempt := 1; attempt <= 2; attempt++ {
				inv := invoke(t, iv, tt.name, `{"hello":"world"}`)
				want := strings.ReplaceAll(tt.payload, "%ID%", inv.RequestID)
				if inv.Status != tt.status || string(inv.Payload) != want {
					t.Fatalf("attempt %d: status %s payload %s\nwant %s %s\nlogs:\n%s", attempt, inv.Status, inv.Payload, tt.status, want, inv.Logs)
				}
				if tt.errType != "" && (inv.Error == nil || inv.Error.Type != tt.errType) {
					t.Errorf("attempt %d: error = %+v, want type %s", attempt, inv.Error, tt.errType)
				}
				if attempt == 2 {
					// After a failed init the next one runs inside the
					// invocation (suppressed init): no Init Duration.
					report := inv.Logs[strings.LastIndex(inv.Logs, "REPORT "):]
					if strings.Contains(report, "Init Duration") || strings.Count(inv.Logs, "START RequestId") != 1 {
						t.Errorf("attempt 2: want one START and no Init Duration in REPORT:\n%s", inv.Logs)
					}
				}
				rest := inv.Logs
				for _, re := range tt.logs {
					if attempt == 2 {
						break
					}
					re = regexp.MustCompile(strings.ReplaceAll(re.String(), "%ID%", regexp.QuoteMeta(inv.RequestID)))
					loc := re.FindStringIndex(rest)
					if loc == nil {
						t.Errorf("attempt %d: logs lack %q after the earlier lines:\n%s", attempt, re, inv.Logs)
						break
					}
					rest = rest[loc[1]:]
				}
				if tt.status == lambdadeck.StatusSucceeded {
					break // the second run would be warm; invoker_test.go covers that
				}
				if !inv.Cold {
					t.Errorf("attempt %d was not a cold start", attempt)
				}
			}
			if tt.status != lambdadeck.StatusSucceeded {
				if live, _, _ := iv.PoolStats(tt.name); live != 0 {
					t.Errorf("a failed init left %d instances", live)
				}
			}
		})
	}
}
