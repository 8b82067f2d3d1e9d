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
	for len(logs) > 0 {
		line, rest, found := strings.Cut(logs, "\n")
		if found {
			line += "\n"
		}
		logs = rest
		body := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if strings.Contains(body, "\r") {
			out = append(out, logRecord{Text: strings.ReplaceAll(body, "\r", "\n"), Multi: true})
			continue
		}
		// Plain lines are merged, so the page stays one text node per run.
		if n := len(out); n > 0 && !out[n-1].Multi {
			out[n-1].Text += line
		} else {
			out = append(out, logRecord{Text: line})
		}
	}
	return out
}
