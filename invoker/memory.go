package invoker

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

var pageSize = int64(os.Getpagesize())

// groupRSS returns the resident memory in bytes of pid and its descendants,
// read from /proc, and the descendants it found. Processes that vanish while
// it reads count as zero.
func groupRSS(pid int) (total int64, found []int) {
	stack := []int{pid}
	for len(stack) > 0 && len(found) < 256 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p != pid {
			found = append(found, p)
		}
		total += processRSS(p)
		stack = append(stack, childPIDs(p)...)
	}
	return total, found
}

// startTime reads when a process started (field 22 of /proc/PID/stat, in
// clock ticks since boot): with the pid, it names one process, so a pid
// reused by another process is never mistaken for it.
func startTime(pid int) (uint64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(data[i+1:])
	if len(fields) < 20 {
		return 0, false
	}
	t, err := strconv.ParseUint(string(fields[19]), 10, 64)
	return t, err == nil
}

// processRSS reads the resident set size of one process from /proc/PID/statm.
func processRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * pageSize
}

// parseVmHWM reads the high-water mark of resident memory (VmHWM) from a
// /proc/PID/status file: the exact peak over the process's life, which
// catches spikes shorter than the sampling interval.
func parseVmHWM(status []byte) int64 {
	i := bytes.Index(status, []byte("VmHWM:"))
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(status[i+len("VmHWM:") : i+min(len(status)-i, 48)]))
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(f[0], 10, 64)
	return kb * 1024
}

// peakReader reads one process's VmHWM repeatedly through a file kept open:
// it runs once per invocation, on the warm path, where opening
// /proc/PID/status each time costs more than reading it.
type peakReader struct {
	f   *os.File
	buf []byte
}

func openPeakReader(pid int) *peakReader {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	return &peakReader{f: f, buf: make([]byte, 8192)}
}

// read returns the process's peak resident memory, or 0 once it is gone.
func (r *peakReader) read() int64 {
	if r == nil {
		return 0
	}
	n, err := r.f.ReadAt(r.buf, 0)
	if n == 0 && err != nil {
		return 0
	}
	return parseVmHWM(r.buf[:n])
}

func (r *peakReader) close() {
	if r != nil {
		r.f.Close()
	}
}

// descendants lists the processes below pid (children, their children...),
// read from /proc; at most 1024.
func descendants(pid int) []int {
	var found []int
	stack := childPIDs(pid)
	for len(stack) > 0 && len(found) < 1024 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		found = append(found, p)
		stack = append(stack, childPIDs(p)...)
	}
	return found
}

// childPIDs lists the children of pid's main thread (the kernel's
// /proc/PID/task/PID/children).
func childPIDs(pid int) []int {
	p := strconv.Itoa(pid)
	data, err := os.ReadFile("/proc/" + p + "/task/" + p + "/children")
	if err != nil || len(data) == 0 {
		return nil
	}
	var pids []int
	for _, f := range bytes.Fields(data) {
		if n, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// megabytes rounds bytes up to whole MB, as REPORT lines print them.
func megabytes(b int64) int {
	const mb = 1024 * 1024
	return int((b + mb - 1) / mb)
}
