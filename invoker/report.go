package invoker

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// The platform's own log lines, in Lambda's plain-text or JSON log format
// (reference §6.2).

const formatJSON = "JSON"

// logFormat is the function's log format, which a per-invocation override of
// AWS_LAMBDA_LOG_FORMAT may change; anything but JSON is text.
func logFormat(fn lambdadeck.Function, overrides map[string]string) string {
	f := fn.LogFormat
	if v, ok := fn.Environment["AWS_LAMBDA_LOG_FORMAT"]; ok && f == "" {
		f = v
	}
	if v, ok := overrides["AWS_LAMBDA_LOG_FORMAT"]; ok {
		f = v
	}
	if strings.EqualFold(f, formatJSON) {
		return formatJSON
	}
	return "Text"
}

func platformRecord(typ string, record any) string {
	b, _ := json.Marshal(struct {
		Time   string `json:"time"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), typ, record})
	return string(b)
}

func startLine(format, id string) string {
	if format == formatJSON {
		return platformRecord("platform.start", map[string]string{"requestId": id, "version": lambdadeck.LatestVersion}) + "\n"
	}
	return "START RequestId: " + id + " Version: " + lambdadeck.LatestVersion + "\n"
}

func timeoutLine(format, id string, timeout time.Duration) string {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
	if format == formatJSON {
		b, _ := json.Marshal(map[string]string{"timestamp": ts, "level": "ERROR", "requestId": id, "message": msg})
		return string(b)
	}
	return ts + " " + id + " " + msg
}

// initReportLine is INIT_REPORT; phase is "init", or "invoke" for an init
// retried inside an invocation.
func initReportLine(format string, d time.Duration, phase, status, errType string) string {
	if format == formatJSON {
		rec := map[string]any{"initializationType": "on-demand", "phase": phase, "status": status,
			"metrics": map[string]any{"durationMs": ms(d)}}
		if errType != "" {
			rec["errorType"] = errType
		}
		return platformRecord("platform.initReport", rec)
	}
	line := fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: %s\tStatus: %s", ms(d), phase, status)
	if errType != "" {
		line += "\tError Type: " + errType
	}
	return line
}

// endLines are END and REPORT, exactly as Lambda prints them.
func endLines(format string, inv *lambdadeck.Invocation) string {
	if format == formatJSON {
		metrics := map[string]any{
			"durationMs":       ms(inv.Duration),
			"billedDurationMs": inv.BilledDuration.Milliseconds(),
			"memorySizeMB":     inv.MemorySizeMB,
			"maxMemoryUsedMB":  inv.MaxMemoryUsedMB,
		}
		if inv.InitDuration > 0 {
			metrics["initDurationMs"] = ms(inv.InitDuration)
		}
		rec := map[string]any{"requestId": inv.LambdaRequestID(), "metrics": metrics, "status": reportStatus(inv)}
		if inv.Error != nil && inv.Status != lambdadeck.StatusSucceeded && inv.Status != lambdadeck.StatusFailed {
			rec["errorType"] = inv.Error.Type
		}
		return platformRecord("platform.runtimeDone", map[string]any{"requestId": inv.LambdaRequestID(), "status": reportStatus(inv)}) + "\n" +
			platformRecord("platform.report", rec) + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "END RequestId: %s\n", inv.LambdaRequestID())
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		inv.LambdaRequestID(), ms(inv.Duration), inv.BilledDuration.Milliseconds(), inv.MemorySizeMB, inv.MaxMemoryUsedMB)
	if inv.InitDuration > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", ms(inv.InitDuration))
	}
	b.WriteString("\n")
	return b.String()
}

func reportStatus(inv *lambdadeck.Invocation) string {
	switch inv.Status {
	case lambdadeck.StatusSucceeded, lambdadeck.StatusFailed:
		return "success" // a handler error is a successful invoke for the platform
	case lambdadeck.StatusTimedOut:
		return "timeout"
	case lambdadeck.StatusCrashed:
		return "error"
	}
	return "failure"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
