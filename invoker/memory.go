package invoker

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

var pageSize = int64(os.Getpagesize())

// groupRSS returns the resident memory in bytes of pid and its descendants,
// read from /proc. Processes that vanish while it reads count as zero.
func groupRSS(pid int) int64 {
	var total int64
	seen := 0
	stack := []int{pid}
	for len(stack) > 0 && seen < 256 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		seen++
		total += processRSS(p)
		stack = append(stack, childPIDs(p)...)
	}
	return total
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

// peakRSS reads the high-water mark of resident memory (VmHWM) of one
// process: the exact peak over its life, which catches spikes shorter than
// the sampling interval.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			kb, _ := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
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
