package invoker

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The reaper makes sure no process of an instance outlives the lambdadeck
// that started it, even one killed with SIGKILL, and even the handler's own
// children that left the runtime's process group (setsid, daemons):
//
//   - Every instance runs in a cgroup v2 of its own where the system lets
//     lambdadeck create one (root, or a delegated subtree): the kernel then
//     knows every descendant, and cgroup.kill ends them all at once.
//   - The runtime itself gets SIGKILL when lambdadeck dies (Pdeathsig).
//   - A watchdog (/bin/sh, one per Invoker) waits on a pipe that only
//     lambdadeck holds; when lambdadeck dies the pipe closes and the watchdog
//     kills what the records name: the instances' cgroups, and their
//     processes by pid and start time.
//   - The records (one file per instance under <state>/run/<owner>/, the
//     runtime's and its descendants' pids with their start times, field 22
//     of /proc/PID/stat) survive lambdadeck; the next start of the same
//     state folder kills what a dead owner left behind, never a process
//     whose start time differs (a recycled pid).
//
// A record file has one entry a line: "cgroup <path>" or "pid <pid> <start>".
//
// lambdadeck does not make itself a child subreaper (PR_SET_CHILD_SUBREAPER):
// adopted orphans would become its children, and reaping them needs a
// wait on pids that os/exec does not own, which races with every other
// exec.Cmd in the process (builds, probes) for their exit statuses. The
// cgroup finds those orphans without that.
type reaper struct {
	dir    string // this owner's records: <state>/run/<owner>
	cgroup string // this owner's cgroup folder; "" when cgroups are not available
	log    *slog.Logger

	mu       sync.Mutex
	seq      int
	noCgroup bool // a start into a cgroup failed once: do without

	watchdog *exec.Cmd
	wdPipe   *os.File // closing it (or lambdadeck dying) sets the watchdog off
}

// watchdogScript runs once its stdin reaches end of file: when lambdadeck
// closes the pipe on Close, or dies. It kills the cgroups and the processes
// of the records in $1 whose start time still matches.
const watchdogScript = `cat >/dev/null
# The cgroups first: one write each kills everything in them.
for f in "$1"/*.pids; do
  [ -f "$f" ] || continue
  while read -r kind a b; do
    [ "$kind" = cgroup ] && [ -f "$a/cgroup.kill" ] && echo 1 > "$a/cgroup.kill"
  done < "$f"
done 2>/dev/null
# Then the recorded processes whose start time (field 22) still matches,
# with builtins only.
for f in "$1"/*.pids; do
  [ -f "$f" ] || continue
  while read -r kind a b; do
    [ "$kind" = pid ] || continue
    read -r stat < "/proc/$a/stat" || continue
    set -- ${stat##*) }
    shift 19
    [ "$1" = "$b" ] && kill -9 "$a"
  done < "$f"
done 2>/dev/null
exit 0
`

// newReaper kills what earlier runs on stateDir left behind, then prepares
// this run's records, cgroup and watchdog.
func newReaper(stateDir string, log *slog.Logger) (*reaper, error) {
	runDir := filepath.Join(stateDir, "run")
	if n := reapLeftovers(runDir); n > 0 {
		log.Warn(fmt.Sprintf("killed %d processes that an earlier lambdadeck on this state folder left running", n))
	}
	self, _ := startTime(os.Getpid())
	var b [4]byte
	rand.Read(b[:])
	owner := fmt.Sprintf("%d-%d-%s", os.Getpid(), self, hex.EncodeToString(b[:]))
	r := &reaper{dir: filepath.Join(runDir, owner), log: log}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("invoker: process records: %w", err)
	}
	if parent := ownCgroup(); parent != "" {
		dir := filepath.Join(parent, "lambdadeck-"+owner)
		if err := os.Mkdir(dir, 0o755); err == nil {
			r.cgroup = dir
			if err := os.WriteFile(filepath.Join(r.dir, "cgroup"), []byte(dir+"\n"), 0o644); err != nil {
				os.Remove(dir)
				r.cgroup = ""
			}
		} else {
			log.Debug("instances run without a cgroup of their own", "err", err)
		}
	}
	r.startWatchdog()
	return r, nil
}

// startWatchdog starts the shell that cleans up if lambdadeck dies. Without
// /bin/sh the next start cleans up instead.
func (r *reaper) startWatchdog() {
	pr, pw, err := os.Pipe()
	if err != nil {
		return
	}
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "sh", r.dir)
	cmd.Stdin = pr
	// Its own group, so nothing aimed at lambdadeck's group reaches it; no
	// Pdeathsig: it must outlive lambdadeck.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		r.log.Debug("no watchdog: the next start cleans up after a crash", "err", err)
		return
	}
	pr.Close()
	r.watchdog, r.wdPipe = cmd, pw
}

// close ends the watchdog and removes this run's records and cgroup; the
// instances are stopped by then.
func (r *reaper) close() {
	if r == nil {
		return
	}
	if r.wdPipe != nil {
		r.wdPipe.Close()
		done := make(chan struct{})
		go func() { r.watchdog.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			r.watchdog.Process.Kill()
		}
	}
	if r.cgroup != "" {
		if entries, err := os.ReadDir(r.cgroup); err == nil {
			for _, e := range entries {
				if e.IsDir() {
					removeCgroup(filepath.Join(r.cgroup, e.Name()))
				}
			}
		}
		if os.Remove(r.cgroup) != nil {
			return // something still runs there: the next start finishes the job
		}
	}
	os.RemoveAll(r.dir)
}

// procRecord is the record of one instance's processes.
type procRecord struct {
	path   string
	cgroup string   // the instance's cgroup folder, "" for none
	cgfd   *os.File // open on cgroup while the process starts
	mu     sync.Mutex
	f      *os.File
}

// prepare makes the record of a new instance and, when cgroups are
// available, its cgroup.
func (r *reaper) prepare() *procRecord {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	r.seq++
	n := r.seq
	useCgroup := r.cgroup != "" && !r.noCgroup
	r.mu.Unlock()
	rec := &procRecord{path: filepath.Join(r.dir, strconv.Itoa(n)+".pids")}
	f, err := os.OpenFile(rec.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		r.log.Debug("instance record", "err", err)
		return rec
	}
	rec.f = f
	if useCgroup {
		dir := filepath.Join(r.cgroup, strconv.Itoa(n))
		if err := os.Mkdir(dir, 0o755); err == nil {
			if fd, err := os.Open(dir); err == nil {
				rec.cgroup, rec.cgfd = dir, fd
				fmt.Fprintf(f, "cgroup %s\n", dir)
			} else {
				os.Remove(dir)
			}
		}
	}
	return rec
}

// attrs returns the process attributes that put the runtime in the
// record's cgroup, if it has one.
func (rec *procRecord) attrs(base *syscall.SysProcAttr) *syscall.SysProcAttr {
	if rec != nil && rec.cgfd != nil {
		base.UseCgroupFD = true
		base.CgroupFD = int(rec.cgfd.Fd())
	}
	return base
}

// withoutCgroup drops the record's cgroup after a start into it failed (an
// old kernel, a cgroup the kernel refuses); later instances do without.
func (r *reaper) withoutCgroup(rec *procRecord, err error) {
	r.mu.Lock()
	r.noCgroup = true
	r.mu.Unlock()
	r.log.Debug("instances run without a cgroup of their own", "err", err)
	rec.startedCgroup()
	if rec.cgroup != "" {
		os.Remove(rec.cgroup)
		rec.cgroup = ""
	}
}

// startedCgroup releases the cgroup folder's descriptor once the process
// is in it.
func (rec *procRecord) startedCgroup() {
	if rec != nil && rec.cgfd != nil {
		rec.cgfd.Close()
		rec.cgfd = nil
	}
}

// add records processes with their start times.
func (rec *procRecord) add(pids ...int) {
	if rec == nil || rec.f == nil {
		return
	}
	var b strings.Builder
	for _, pid := range pids {
		if st, ok := startTime(pid); ok {
			fmt.Fprintf(&b, "pid %d %d\n", pid, st)
		}
	}
	rec.mu.Lock()
	rec.f.WriteString(b.String())
	rec.mu.Unlock()
}

// killCgroup kills every process in the record's cgroup.
func (rec *procRecord) killCgroup() {
	if rec != nil && rec.cgroup != "" {
		killCgroup(rec.cgroup)
	}
}

// remove deletes the record and its cgroup once the instance is gone. A
// cgroup that does not empty in time is left, with its record, for the
// next start.
func (rec *procRecord) remove() {
	if rec == nil {
		return
	}
	rec.startedCgroup()
	if rec.cgroup != "" && !removeCgroup(rec.cgroup) {
		return
	}
	rec.mu.Lock()
	if rec.f != nil {
		rec.f.Close()
		rec.f = nil
	}
	rec.mu.Unlock()
	os.Remove(rec.path)
}

// killCgroup kills every process in a cgroup: cgroup.kill where the kernel
// has it (5.14), else each pid of cgroup.procs.
func killCgroup(dir string) {
	if os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) == nil {
		return
	}
	for range 3 {
		pids := cgroupPIDs(dir)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cgroupPIDs lists the processes in a cgroup.
func cgroupPIDs(dir string) []int {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
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

// removeCgroup kills what is left in a cgroup and removes it, waiting up
// to two seconds for its processes to go; it reports whether it is gone.
func removeCgroup(dir string) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		killCgroup(dir)
		time.Sleep(20 * time.Millisecond)
	}
}

// reapLeftovers kills the processes recorded under runDir by owners that
// are no longer running, and removes their records and cgroups. It returns
// how many processes it killed.
func reapLeftovers(runDir string) int {
	entries, err := os.ReadDir(runDir)
	if err != nil {
		return 0
	}
	killed := 0
	for _, e := range entries {
		if !e.IsDir() || ownerAlive(e.Name()) {
			continue
		}
		dir := filepath.Join(runDir, e.Name())
		var cgroups []string
		var procs []recordedProc
		files, _ := filepath.Glob(filepath.Join(dir, "*.pids"))
		for _, f := range files {
			c, p := readRecord(f)
			cgroups = append(cgroups, c...)
			procs = append(procs, p...)
		}
		killed += killRecorded(procs)
		for _, c := range cgroups {
			killed += len(cgroupPIDs(c))
			removeCgroup(c)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
			if c := strings.TrimSpace(string(data)); isOwnerCgroup(c) {
				if subs, err := os.ReadDir(c); err == nil {
					for _, s := range subs {
						if s.IsDir() {
							removeCgroup(filepath.Join(c, s.Name()))
						}
					}
				}
				if err := os.Remove(c); err != nil && !errors.Is(err, os.ErrNotExist) {
					continue // keep the records: the next start tries again
				}
			}
		}
		os.RemoveAll(dir)
	}
	return killed
}

// isOwnerCgroup reports whether dir looks like a folder newReaper made, so
// a tampered record never makes lambdadeck remove another cgroup.
func isOwnerCgroup(dir string) bool {
	return filepath.IsAbs(dir) && strings.HasPrefix(filepath.Base(dir), "lambdadeck-")
}

// ownerAlive reports whether the owner named "<pid>-<start>-<random>" is
// a running process (this one included).
func ownerAlive(name string) bool {
	parts := strings.SplitN(name, "-", 3)
	if len(parts) < 2 {
		return false
	}
	pid, err1 := strconv.Atoi(parts[0])
	start, err2 := strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	now, ok := startTime(pid)
	return ok && now == start
}

type recordedProc struct {
	pid   int
	start uint64
}

// readRecord reads a record file: its cgroups and processes.
func readRecord(path string) (cgroups []string, procs []recordedProc) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "cgroup":
			// Only an instance's folder inside an owner's one.
			if filepath.IsAbs(rest) && isOwnerCgroup(filepath.Dir(rest)) {
				cgroups = append(cgroups, rest)
			}
		case "pid":
			a, b, _ := strings.Cut(rest, " ")
			pid, err1 := strconv.Atoi(a)
			start, err2 := strconv.ParseUint(b, 10, 64)
			if err1 == nil && err2 == nil && pid > 1 {
				procs = append(procs, recordedProc{pid, start})
			}
		}
	}
	return cgroups, procs
}

// killRecorded kills the recorded processes whose start times still match,
// then their descendants (found first, while they are still below them).
// It returns how many it killed.
func killRecorded(procs []recordedProc) int {
	seen := map[int]bool{}
	var targets []int
	for _, p := range procs {
		if now, ok := startTime(p.pid); !ok || now != p.start || seen[p.pid] {
			continue
		}
		seen[p.pid] = true
		targets = append(targets, p.pid)
	}
	// Stop them first so none forks while the tree is read.
	for _, pid := range targets {
		syscall.Kill(pid, syscall.SIGSTOP)
	}
	all := targets
	for _, pid := range targets {
		for _, d := range descendants(pid) {
			if !seen[d] {
				seen[d] = true
				all = append(all, d)
			}
		}
	}
	for _, pid := range all {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(all)
}

// ownCgroup is the folder of this process's cgroup v2, or "" when there is
// no cgroup v2 hierarchy mounted here.
func ownCgroup() string {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var rel string
	found := false
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			rel, found = p, true
			break
		}
	}
	if !found {
		return ""
	}
	mount := cgroup2Mount()
	if mount == "" {
		return ""
	}
	dir := filepath.Join(mount, rel)
	if st, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil || st.IsDir() {
		return ""
	}
	return dir
}

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup
// on a unified system, /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Mount() string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		// ... mount-point ... - fstype source options
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		f := strings.Fields(pre)
		if len(f) >= 5 {
			return f[4]
		}
	}
	return ""
}
