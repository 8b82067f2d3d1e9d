package build

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// FormatEvent is one line for people to read about e, as the build logs on
// the function page show them.
func FormatEvent(e Event) string {
	switch e.Kind {
	case StepStarted:
		s := "build " + e.Target + ": " + e.Step
		if e.Command != "" {
			s += ": " + e.Command
		}
		if e.Dir != "" {
			s += " (in " + e.Dir + ")"
		}
		return s
	case StepOutput:
		return "  " + e.Line
	case StepFinished:
		return fmt.Sprintf("build %s: %s done in %s", e.Target, e.Step, roundDuration(e.Elapsed))
	case StepFailed:
		return fmt.Sprintf("build %s: %s failed after %s", e.Target, e.Step, roundDuration(e.Elapsed))
	case Waiting:
		return "build " + e.Target + ": " + e.Step
	}
	return ""
}

// Printer returns a Progress that prints one line per step to w, with the
// step's time once it ends: "build hello: npm ci (in /path) ... 3.2s". The
// tool's own output is not printed: a failed build's error carries its last
// lines.
func Printer(w io.Writer) Progress {
	var mu sync.Mutex
	open := "" // the step whose line awaits its time ("target\x00step")
	closeOpen := func() {
		if open != "" {
			fmt.Fprintln(w)
			open = ""
		}
	}
	end := func(e Event, result string) {
		if open == e.Target+"\x00"+e.Step {
			fmt.Fprintln(w, result)
		} else {
			closeOpen()
			fmt.Fprintf(w, "build %s: %s ... %s\n", e.Target, e.Step, result)
		}
		open = ""
	}
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case StepStarted:
			closeOpen()
			where := ""
			if e.Dir != "" {
				where = " (in " + e.Dir + ")"
			}
			fmt.Fprintf(w, "build %s: %s%s ... ", e.Target, e.Step, where)
			open = e.Target + "\x00" + e.Step
		case StepFinished:
			end(e, roundDuration(e.Elapsed).String())
		case StepFailed:
			end(e, "failed after "+roundDuration(e.Elapsed).String())
		case Waiting:
			closeOpen()
			fmt.Fprintln(w, FormatEvent(e))
		}
	}
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
