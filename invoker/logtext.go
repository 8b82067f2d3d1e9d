package invoker

import "strings"

// TerminalLogs returns logs for a terminal: runtimes join the lines of one
// multi-line record with \r, as CloudWatch Logs keeps them, and a terminal
// would write each such line over the one before. A \r not followed by \n
// becomes a newline; \r\n stays as it is.
func TerminalLogs(logs string) string {
	if !strings.Contains(logs, "\r") {
		return logs
	}
	var b strings.Builder
	b.Grow(len(logs))
	for i := 0; i < len(logs); i++ {
		if logs[i] == '\r' && (i+1 == len(logs) || logs[i+1] != '\n') {
			b.WriteByte('\n')
			continue
		}
		b.WriteByte(logs[i])
	}
	return b.String()
}
