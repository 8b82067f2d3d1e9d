package invoker

import (
	"bytes"
	"fmt"
)

// logBuffer keeps an invocation's output within a fixed size: the first head
// bytes and the last tail bytes, with a count of what was cut between them. A
// handler that prints a gigabyte costs lambdadeck at most head+tail bytes.
type logBuffer struct {
	head     []byte
	tail     []byte // ring buffer of the most recent bytes once head is full
	tailPos  int    // next write position in tail when it is full
	tailFull bool
	headMax  int
	tailMax  int
	cut      int64 // bytes dropped between head and tail
	last     byte  // the last byte written, 0 before any
}

func newLogBuffer(headMax, tailMax int) *logBuffer {
	return &logBuffer{headMax: headMax, tailMax: tailMax}
}

// Write appends p, never failing.
func (b *logBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if n > 0 {
		b.last = p[n-1]
	}
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		if !b.tailFull {
			room := b.tailMax - len(b.tail)
			k := min(room, len(p))
			b.tail = append(b.tail, p[:k]...)
			p = p[k:]
			if len(b.tail) == b.tailMax {
				b.tailFull = true
				b.tailPos = 0
			}
			continue
		}
		if len(p) >= b.tailMax {
			// Everything in the ring and the front of p are overwritten.
			b.cut += int64(b.tailMax) + int64(len(p)-b.tailMax)
			copy(b.tail, p[len(p)-b.tailMax:])
			b.tailPos = 0
			return n, nil
		}
		k := min(b.tailMax-b.tailPos, len(p))
		b.cut += int64(k)
		copy(b.tail[b.tailPos:], p[:k])
		b.tailPos = (b.tailPos + k) % b.tailMax
		p = p[k:]
	}
	return n, nil
}

// WritePlatform appends lambdadeck's own lines (START, END, REPORT...),
// first ending a partial line the function left (print without a newline):
// on Lambda the platform's records never share a line with the function's
// output.
func (b *logBuffer) WritePlatform(text string) {
	if text == "" {
		return
	}
	if b.last != 0 && b.last != '\n' {
		b.Write([]byte{'\n'})
	}
	b.Write([]byte(text))
}

// Truncated reports whether any output was dropped.
func (b *logBuffer) Truncated() bool { return b.cut > 0 }

// Len is the number of bytes String returns, without the cut mark.
func (b *logBuffer) Len() int { return len(b.head) + len(b.tail) }

// String returns head, a mark saying how much was cut (if anything), and tail.
func (b *logBuffer) String() string {
	var out bytes.Buffer
	out.Grow(len(b.head) + len(b.tail) + 96)
	out.Write(b.head)
	if b.cut > 0 {
		if out.Len() > 0 && out.Bytes()[out.Len()-1] != '\n' {
			out.WriteByte('\n')
		}
		fmt.Fprintf(&out, "[lambdadeck: %d bytes of log output cut here; the first %d and the last %d bytes are kept]\n", b.cut, b.headMax, b.tailMax)
	}
	if b.tailFull {
		out.Write(b.tail[b.tailPos:])
		out.Write(b.tail[:b.tailPos])
	} else {
		out.Write(b.tail)
	}
	return out.String()
}
