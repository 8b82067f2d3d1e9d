package views

import "strings"

// logRecord is one record of an invocation's log: a line, or several lines
// of one record that the runtime joined with \r, as CloudWatch Logs keeps a
// multi-line message (a stack trace, pretty-printed JSON).
type logRecord struct {
	Text  string // the record, lines separated by \n; a plain run keeps its line breaks, a multi-line record (shown as a block) none at its end
	Multi bool   // the record spans several lines
}

// logRecords splits logs into records: each \n ends one; a \r not followed
// by \n separates the lines of one record.
func logRecords(logs string) []logRecord {
	var out []logRecord
	// Plain lines are merged, so the page stays one text node per run; a
	// run is a slice of logs, never built by appending (which copied the
	// whole run once per line: quadratic in a long log).
	run := -1 // where the current run of plain lines starts
	for pos := 0; pos < len(logs); {
		lineEnd, next := len(logs), len(logs)
		if i := strings.IndexByte(logs[pos:], '\n'); i >= 0 {
			lineEnd, next = pos+i, pos+i+1
		}
		body := strings.TrimSuffix(logs[pos:lineEnd], "\r")
		if strings.Contains(body, "\r") {
			if run >= 0 {
				out = append(out, logRecord{Text: logs[run:pos]})
				run = -1
			}
			out = append(out, logRecord{Text: strings.ReplaceAll(body, "\r", "\n"), Multi: true})
		} else if run < 0 {
			run = pos
		}
		pos = next
	}
	if run >= 0 {
		out = append(out, logRecord{Text: logs[run:]})
	}
	return out
}
