package invoker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// outcome is how an invocation ended on its instance.
type outcome struct {
	pool         *pool     // the function's pool the instance belongs to
	in           *instance // the instance that served it (a retried init replaces the first)
	healthy      bool      // the instance can serve the next invocation
	cold         bool
	initDuration time.Duration // reported only for a non-suppressed cold start
	duration     time.Duration
	maxMemory    int64
	outOfMemory  bool
	platform     []string // lines lambdadeck adds to the log before END
	diedIdle     bool     // a warm instance was dead before the event reached it
}

// run executes inv on in, then releases the instance and records the result.
func (iv *Invoker) run(ctx context.Context, p *pool, spec launchSpec, in *instance, fn lambdadeck.Function, inv *lambdadeck.Invocation, req lambdadeck.InvokeRequest) error {
	iv.setBusy(in, true)
	o := iv.execute(p, spec, in, fn, inv, req)
	for tries := 0; o.diedIdle && tries < 3; tries++ {
		// The warm instance died before it took the event (it exited
		// while frozen, or as it was thawed): as on Lambda, the event goes
		// to a new environment, and the caller never sees the old one.
		iv.setBusy(in, false)
		go in.stop()
		in = p.replacement(spec)
		iv.setBusy(in, true)
		o = iv.execute(p, spec, in, fn, inv, req)
	}
	iv.setBusy(in, false)
	if o.in != in {
		iv.setBusy(o.in, false)
	}
	if !o.healthy {
		o.in.kill()
	}
	p.release(o.in, o.healthy && len(req.Env) == 0, spec)

	inv.EndedAt = time.Now().UTC()
	if iv.isClosing() && (inv.Status == lambdadeck.StatusCrashed || inv.Status == lambdadeck.StatusTimedOut) {
		// lambdadeck killed it on the way down: not the handler's fault.
		inv.Status = lambdadeck.StatusInterrupted
	}
	iv.wakeForSlot() // a slot is free for a queued event
	// The handler ran: its outcome reaches the caller even if the store
	// cannot take it now; the write is kept and retried (async_store.go).
	if iv.cfg.Recorder != nil {
		final := *inv
		iv.persist("finish invocation "+inv.RequestID, func(ctx context.Context) error {
			return iv.record(ctx, &final, false)
		})
	}
	return nil
}

func (iv *Invoker) setBusy(in *instance, busy bool) {
	iv.busyMu.Lock()
	if busy {
		iv.busy[in] = struct{}{}
	} else {
		delete(iv.busy, in)
	}
	iv.busyMu.Unlock()
}

// execute delivers the event and waits for the runtime's answer, enforcing
// the init limit, the timeout and the memory size; it fills inv's outcome.
func (iv *Invoker) execute(p *pool, spec launchSpec, in *instance, fn lambdadeck.Function, inv *lambdadeck.Invocation, req lambdadeck.InvokeRequest) outcome {
	o := outcome{in: in, pool: p}
	// id is the record's (live progress is found by it); rid is the one the
	// handler sees, in its logs and context: for a retried Event invocation
	// that is the first attempt's, as on Lambda.
	id, rid := inv.RequestID, inv.LambdaRequestID()
	format := logFormat(fn, req.Env)
	callStart := time.Now()
	var logs *logBuffer

	if in.cmd == nil {
		o.cold = true
		// The code is built (or found built) before the process starts; the
		// build's time is not the invocation's.
		progress := iv.buildProgress(id)
		err := spec.runBuild(context.Background(), progress)
		if err == nil {
			fn, err = iv.buildLayers(context.Background(), fn, progress)
			in.fn.Layers = fn.Layers
		}
		iv.liveFor(id).endBuild()
		if err != nil {
			logs = in.beginLog(startLine(format, rid))
			return iv.fail(&o, inv, fn, logs, format, lambdadeck.StatusFailed, BuildErrorType,
				"RequestId: "+rid+" Error: "+err.Error(), callStart)
		}
		if spec.codeDir != "" {
			// It runs from its build folder, as `sam build` artifacts do.
			fn.CodeDir = spec.codeDir
			in.fn.CodeDir = spec.codeDir
		}
		env := environment(fn, iv.dirs, req.Env, iv.extras(fn, in))
		in.launch = spec
		callStart = time.Now()
		if err := checkEntrypoint(spec); err != nil {
			logs = in.beginLog(startLine(format, rid))
			return iv.fail(&o, inv, fn, logs, format, lambdadeck.StatusFailed, "Runtime.InvalidEntrypoint",
				"RequestId: "+rid+" Error: "+err.Error(), callStart)
		}
		// The shared Node.js/Python bootstrap must be lambdadeck's own, as
		// installed: a handler may have rewritten it (runtimes.Dirs.Verify).
		if f := runtimeFamily(fn.Runtime); f == "node" || f == "python" {
			if err := iv.dirs.Verify(); err != nil {
				logs = in.beginLog(startLine(format, rid))
				return iv.fail(&o, inv, fn, logs, format, lambdadeck.StatusFailed, "Runtime.Unknown",
					"RequestId: "+rid+" Error: "+err.Error(), callStart)
			}
		}
		if in.suppressed {
			logs = in.beginLog(startLine(format, rid))
		}
		if format == formatJSON && !in.suppressed {
			in.noteLog(platformRecord("platform.initStart", map[string]string{
				"initializationType": "on-demand", "phase": "init", "runtimeVersion": fn.Runtime, "functionName": fn.Name,
				"functionVersion": lambdadeck.LatestVersion}))
		}
		if err := in.start(env); err != nil {
			if logs == nil {
				logs = in.beginLog(startLine(format, rid))
			}
			return iv.fail(&o, inv, fn, logs, format, lambdadeck.StatusFailed, "Runtime.InvalidEntrypoint",
				"RequestId: "+rid+" Error: "+err.Error(), callStart)
		}
		iv.setBusy(in, true)
		if !in.suppressed {
			switch iv.awaitInit(in) {
			case nil:
				o.initDuration = in.initDone.Sub(in.started)
				if format == formatJSON {
					in.flush() // the init's own output comes first
					in.noteLog(platformRecord("platform.initRuntimeDone", map[string]string{
						"initializationType": "on-demand", "phase": "init", "status": "success"}))
				}
			case errInitTimeout:
				// Lambda retries an init that overran 10 s inside the
				// invocation, under the function's timeout (reference §6.3).
				d := time.Since(in.started)
				in.stop()
				retry := newInstance(fn, spec, true, in.generation)
				retry.reaper = in.reaper
				retry.between.Write([]byte(in.between.String()))
				retry.between.WritePlatform(initReportLine(format, d, "init", "timeout", "") + "\n")
				o.in, in = retry, retry
				callStart = time.Now()
				logs = in.beginLog(startLine(format, rid))
				if err := in.start(env); err != nil {
					return iv.fail(&o, inv, fn, logs, format, lambdadeck.StatusFailed, "Runtime.InvalidEntrypoint",
						"RequestId: "+rid+" Error: "+err.Error(), callStart)
				}
				iv.setBusy(in, true)
			default:
				// The runtime reported an init error or died during init.
				logs = in.beginLog("")
				return iv.initFailure(&o, inv, fn, logs, format, callStart)
			}
		}
	}
	if logs == nil {
		logs = in.beginLog(startLine(format, rid))
	}

	// The deadline counts from here, or from the start of a suppressed init
	// that runs inside this invocation.
	deadline := time.Now().Add(fn.Timeout)
	if in.suppressed && o.cold {
		deadline = callStart.Add(fn.Timeout)
	}
	pi := &pendingInvoke{
		requestID:     rid,
		event:         req.Event,
		deadline:      deadline,
		functionARN:   fn.ARN(),
		traceID:       newTraceID(),
		clientContext: req.ClientContext,
		identity:      inv.Identity,
		done:          make(chan struct{}),
		ended:         make(chan struct{}),
		streamLimit:   iv.cfg.StreamLimit,
	}
	inv.Context = contextRecord(fn, in, pi)
	iv.liveFor(id).attach(in, logs, pi)

	var oom atomic.Bool
	var peak atomic.Int64
	stopSampler := iv.sampleMemory(in, fn, &oom, &peak)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()

	finish := func(status lambdadeck.Status) outcome {
		stopSampler()
		start := callStart
		if !(in.suppressed && o.cold) {
			in.mu.Lock()
			if !pi.delivered.IsZero() {
				start = pi.delivered
			}
			in.mu.Unlock()
		}
		o.duration = time.Since(start)
		o.maxMemory = max(peak.Load(), in.peak.read())
		if oom.Load() {
			o.outOfMemory = true
			o.maxMemory = int64(fn.MemoryMB) * 1024 * 1024
		}
		iv.complete(&o, inv, fn, logs, format, status)
		return o
	}

	// Deliver the event at the runtime's next /next.
	select {
	case in.deliver <- pi:
	case <-in.initFailed:
		stopSampler()
		return iv.initFailure(&o, inv, fn, logs, format, callStart)
	case <-in.exited:
		if !o.cold {
			stopSampler()
			in.endLog()
			o.diedIdle = true
			return o
		}
		return iv.crashed(&o, inv, fn, pi, &oom, finish)
	case <-timer.C:
		return iv.timedOut(&o, inv, fn, format, finish)
	}

	// Wait for /response or /error.
	select {
	case <-pi.done:
	case <-in.exited:
		select {
		case <-pi.done: // it answered, then exited (Node exits 129 after an uncaught error)
		default:
			return iv.crashed(&o, inv, fn, pi, &oom, finish)
		}
	case <-timer.C:
		return iv.timedOut(&o, inv, fn, format, finish)
	}
	inv.Payload = pi.payload
	inv.ContentType = pi.contentType
	in.mu.Lock()
	if pi.streamed {
		inv.Chunks = append([]lambdadeck.Chunk{}, pi.chunks...)
	}
	in.mu.Unlock()
	status := lambdadeck.StatusSucceeded
	if pi.isError {
		status = lambdadeck.StatusFailed
		inv.Error = parseFunctionError(pi.payload, pi.errorType)
	}
	// The invocation lasts until the runtime asks for the next event
	// (reference §1.9): time spent after the response is billed too.
	select {
	case <-pi.ended:
		o.healthy = true
	case <-in.exited:
		// It answered, then died (Node exits after an uncaught error, Go
		// after a panic): the next invocation re-initialises inside itself.
		o.pool.markReset()
	case <-timer.C:
		o.platform = append(o.platform, timeoutLine(format, rid, fn.Timeout))
		o.pool.markReset()
	}
	return finish(status)
}

// awaitInit waits for the runtime's first /next, an init error, its exit, or
// Lambda's init time limit.
func (iv *Invoker) awaitInit(in *instance) error {
	t := time.NewTimer(iv.cfg.InitTimeout)
	defer t.Stop()
	select {
	case <-in.ready:
		return nil
	case <-in.initFailed:
		return fmt.Errorf("init error")
	case <-in.exited:
		return fmt.Errorf("exited")
	case <-t.C:
		return errInitTimeout
	}
}

// initFailure reports an init that failed: the body the runtime posted to
// /init/error is the invocation's error, or Runtime.ExitError if it died
// without one.
func (iv *Invoker) initFailure(o *outcome, inv *lambdadeck.Invocation, fn lambdadeck.Function, logs *logBuffer, format string, start time.Time) outcome {
	in := o.in
	// Read the peak memory while the process may still be there: it exits
	// right after /init/error.
	peak := in.peak.read()
	// Wait briefly for that exit, so its last words are in the log.
	select {
	case <-in.exited:
	case <-time.After(time.Second):
	}
	in.mu.Lock()
	body, errType := in.initErr, in.initErrType
	in.mu.Unlock()
	status := lambdadeck.StatusFailed
	if body == nil {
		status = lambdadeck.StatusCrashed
		errType = "Runtime.ExitError"
		body = platformError(errType, "RequestId: "+inv.LambdaRequestID()+" Error: "+in.exitDescription())
	}
	inv.Payload = body
	inv.ContentType = "application/json"
	inv.Error = parseFunctionError(body, errType)
	if errType == "" {
		errType = inv.Error.Type
	}
	o.duration = time.Since(start)
	o.maxMemory = max(peak, in.peak.read())
	phase := "init"
	if in.suppressed {
		phase = "invoke"
	}
	o.platform = append(o.platform, initReportLine(format, time.Since(in.started), phase, "error", errType))
	o.pool.markReset()
	// The START line comes after the init output, as on Lambda; a
	// suppressed init runs inside the invocation, whose log began with it.
	if !in.suppressed {
		in.logMu.Lock() // the output reader may still be writing here
		logs.WritePlatform(startLine(format, inv.LambdaRequestID()))
		in.logMu.Unlock()
	}
	iv.complete(o, inv, fn, logs, format, status)
	return *o
}

func (iv *Invoker) crashed(o *outcome, inv *lambdadeck.Invocation, fn lambdadeck.Function, pi *pendingInvoke, oom *atomic.Bool, finish func(lambdadeck.Status) outcome) outcome {
	desc := o.in.exitDescription()
	if oom.Load() {
		desc = "Runtime exited with error: signal: killed"
	}
	msg := "RequestId: " + inv.LambdaRequestID() + " Error: " + desc
	inv.Payload = platformError("Runtime.ExitError", msg)
	inv.ContentType = "application/json"
	inv.Error = &lambdadeck.FunctionError{Type: "Runtime.ExitError", Message: msg}
	o.platform = append(o.platform, msg, "Runtime.ExitError")
	o.pool.markReset()
	return finish(lambdadeck.StatusCrashed)
}

func (iv *Invoker) timedOut(o *outcome, inv *lambdadeck.Invocation, fn lambdadeck.Function, format string, finish func(lambdadeck.Status) outcome) outcome {
	// Kill first: nothing the handler does after its deadline counts.
	o.in.kill()
	msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.LambdaRequestID(), fn.Timeout.Seconds())
	inv.Payload = platformError("Sandbox.Timedout", msg)
	inv.ContentType = "application/json"
	inv.Error = &lambdadeck.FunctionError{Type: "Sandbox.Timedout", Message: msg}
	o.platform = append(o.platform, timeoutLine(format, inv.LambdaRequestID(), fn.Timeout))
	o.pool.markReset()
	return finish(lambdadeck.StatusTimedOut)
}

// fail ends an invocation that never reached the runtime.
func (iv *Invoker) fail(o *outcome, inv *lambdadeck.Invocation, fn lambdadeck.Function, logs *logBuffer, format string, status lambdadeck.Status, errType, msg string, start time.Time) outcome {
	inv.Payload = platformError(errType, msg)
	inv.ContentType = "application/json"
	inv.Error = &lambdadeck.FunctionError{Type: errType, Message: msg}
	o.platform = append(o.platform, msg, errType)
	o.duration = time.Since(start)
	iv.complete(o, inv, fn, logs, format, status)
	return *o
}

// complete writes the figures and the END/REPORT lines into inv.
func (iv *Invoker) complete(o *outcome, inv *lambdadeck.Invocation, fn lambdadeck.Function, logs *logBuffer, format string, status lambdadeck.Status) {
	o.in.endLog()
	// A dependency the manifest names but that is not installed: say why.
	if hint := iv.dependencyHint(fn, o.in.launch, inv.Error); hint != "" {
		inv.Error.Message += "\n" + hint
		o.platform = append(o.platform, hint)
	}
	inv.Status = status
	inv.Cold = o.cold
	inv.InitDuration = o.initDuration
	inv.Duration = o.duration
	inv.BilledDuration = billed(o.duration, o.initDuration)
	inv.MaxMemoryUsedMB = megabytes(o.maxMemory)
	inv.OutOfMemory = o.outOfMemory
	// Live readers take the log under logMu while the invocation ends.
	o.in.logMu.Lock()
	for _, line := range o.platform {
		logs.WritePlatform(line + "\n")
	}
	logs.WritePlatform(endLines(format, inv))
	inv.Logs = logs.String()
	inv.LogsTruncated = logs.Truncated()
	o.in.logMu.Unlock()
	if o.in.alive() {
		o.in.invocations++
	}
}

// sampleMemory watches the instance's resident memory while it runs and
// kills it when it passes the function's memory size, as Lambda does.
func (iv *Invoker) sampleMemory(in *instance, fn lambdadeck.Function, oom *atomic.Bool, peak *atomic.Int64) (stop func()) {
	limit := int64(fn.MemoryMB) * 1024 * 1024
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		// The first sample waits for the first tick: most warm invocations
		// are over by then, and the process's own peak (VmHWM, read at the
		// end) covers them without taking CPU from the handler.
		select {
		case <-done:
			return
		case <-in.exited:
			return
		case <-t.C:
		}
		for {
			rss, found := groupRSS(in.pid)
			in.observe(found)
			if rss > peak.Load() {
				peak.Store(rss)
			}
			if rss > limit {
				oom.Store(true)
				in.kill()
				return
			}
			select {
			case <-done:
				return
			case <-in.exited:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		select {
		case <-done:
		default:
			close(done)
		}
		<-finished
	}
}

// checkEntrypoint checks the executable before starting it, so a missing
// or non-executable bootstrap is Runtime.InvalidEntrypoint with Lambda's
// wording rather than an exec error.
func checkEntrypoint(spec launchSpec) error {
	st, err := os.Stat(spec.path)
	if err != nil {
		//lint:ignore ST1005 Lambda's exact message
		return fmt.Errorf("Couldn't find valid bootstrap(s): [%s]", spec.path)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("fork/exec %s: permission denied", spec.path)
	}
	return nil
}

// billed is Lambda's Billed Duration: whole milliseconds of the invocation
// plus, since the 2025 change to init billing, of the init phase.
func billed(duration, init time.Duration) time.Duration {
	ms := math.Ceil(float64(duration) / float64(time.Millisecond))
	if init > 0 {
		ms += math.Ceil(float64(init) / float64(time.Millisecond))
	}
	return time.Duration(ms) * time.Millisecond
}

func newTraceID() string {
	var b [24]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:20]))
}

// contextRecord is the context object as the handler sees it, kept with the
// invocation so its page can show exactly what was passed.
func contextRecord(fn lambdadeck.Function, in *instance, pi *pendingInvoke) json.RawMessage {
	rec := map[string]any{
		"functionName":       fn.Name,
		"functionVersion":    lambdadeck.LatestVersion,
		"invokedFunctionArn": pi.functionARN,
		"memoryLimitInMB":    strconv.Itoa(fn.MemoryMB),
		"awsRequestId":       pi.requestID,
		"logGroupName":       "/aws/lambda/" + fn.Name,
		"logStreamName":      in.logStream,
		"deadlineMs":         pi.deadline.UnixMilli(),
		"traceId":            pi.traceID,
	}
	if len(pi.identity) > 0 {
		rec["identity"] = json.RawMessage(pi.identity)
	}
	if len(pi.clientContext) > 0 {
		rec["clientContext"] = json.RawMessage(pi.clientContext)
	}
	b, _ := json.Marshal(rec)
	return b
}

// parseFunctionError reads the error payload a runtime posted: errorType,
// errorMessage and a stack under "trace" (Node), "stackTrace" (Python:
// strings; Go: frames).
func parseFunctionError(payload []byte, headerType string) *lambdadeck.FunctionError {
	var body struct {
		ErrorType    string          `json:"errorType"`
		ErrorMessage string          `json:"errorMessage"`
		Trace        json.RawMessage `json:"trace"`
		StackTrace   json.RawMessage `json:"stackTrace"`
	}
	fe := &lambdadeck.FunctionError{}
	if err := json.Unmarshal(payload, &body); err != nil {
		fe.Type = headerType
		fe.Message = strings.TrimSpace(string(payload))
	} else {
		fe.Type, fe.Message = body.ErrorType, body.ErrorMessage
		fe.Stack = stackLines(body.Trace)
		if fe.Stack == nil {
			fe.Stack = stackLines(body.StackTrace)
		}
	}
	if fe.Type == "" {
		fe.Type = headerType
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func stackLines(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return lines
	}
	// A failed Unmarshal still fills the slice with one empty string per
	// element; start over for Go's frame objects.
	lines = nil
	var frames []struct {
		Path  string `json:"path"`
		Line  int    `json:"line"`
		Label string `json:"label"`
	}
	if json.Unmarshal(raw, &frames) == nil {
		for _, f := range frames {
			lines = append(lines, fmt.Sprintf("%s (%s:%d)", f.Label, f.Path, f.Line))
		}
	}
	return lines
}
