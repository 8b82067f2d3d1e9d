// Package invoker runs Lambda handlers as AWS Lambda does: each function
// instance is a real process speaking the Runtime API to a listener of
// lambdadeck's, with Lambda's environment, timeouts, memory limit, warm reuse
// and START/END/REPORT log lines. Every invocation is recorded through a
// lambdadeck.InvocationRecorder before its event is delivered.
package invoker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
	"github.com/lambdadeck/lambdadeck/invoker/runtimes"
)

// Config configures an Invoker.
type Config struct {
	Functions []lambdadeck.Function
	// Recorder keeps every invocation (the store); nil records nothing.
	Recorder lambdadeck.InvocationRecorder
	// StateDir is where lambdadeck writes its bootstraps (.lambdadeck).
	StateDir string
	// CacheDir is lambdadeck's cache shared by every project: tools it
	// installs once, such as the pinned esbuild (see build.InstallNPMPackages).
	CacheDir string
	Logger   *slog.Logger
	// IdleTimeout stops instances idle for this long (default 10 minutes).
	IdleTimeout time.Duration
	// QueueSize bounds how many invocations may wait per function when all
	// its instances are busy (default 100).
	QueueSize int
	// InitTimeout is Lambda's 10 s limit on the init phase.
	InitTimeout time.Duration
	// NoBuild runs every function's code as it is: nothing is built or
	// installed before a cold start (lambdadeck --no-build).
	NoBuild bool
	// OnBuild, if set, receives every build step as it happens, once
	// however many invocations wait for the build (the CLI prints them).
	OnBuild build.Progress
	// StreamLimit is the largest response a response streaming handler may
	// stream (default DefaultStreamLimit); buffered responses keep
	// Lambda's 6 MB.
	StreamLimit int64
	// TemplatePath is the template the functions came from; Watch reports
	// its changes to OnTemplateChange (watch.go).
	TemplatePath     string
	OnTemplateChange func()
	// AWS gives each new instance its AWS variables (awsenv.Env:
	// credentials, Region, endpoints); nil passes lambdadeck's own AWS_*
	// variables through instead.
	AWS AWSEnvironment
	// InstallNPM installs the runtime-provided AWS SDK for JavaScript into
	// CacheDir when a function first needs it (sdk.go); nil is
	// build.InstallNPMPackages.
	InstallNPM NPMInstaller
	// Queue keeps Event invocations durably (the store) and, when set,
	// the invoker runs a dispatcher over it (async.go). Without one,
	// Event invocations are refused. Only one process should dispatch a
	// database's queue: the server, not a CLI beside it.
	Queue AsyncQueue
	// RetryDelay is the wait before the first retry of an Event
	// invocation whose attempt ended in a function error; the second
	// waits twice as long. Default DefaultRetryDelay (1 minute, as on
	// Lambda); tests shorten it.
	RetryDelay time.Duration
}

// AWSEnvironment hands out the AWS variables of a new instance. It is
// asked at every cold start, so that new instances get fresh credentials.
type AWSEnvironment interface {
	Variables(ctx context.Context) map[string]string
}

// Invoker runs functions. It is safe for concurrent use.
type Invoker struct {
	cfg      Config
	log      *slog.Logger
	dirs     runtimes.Dirs
	interp   *interpreters
	builder  *build.Builder
	cat      atomic.Pointer[catalog] // the functions now; swapped whole by Reload
	reloadMu sync.Mutex              // one Reload at a time
	reaper   *time.Ticker
	procs    *reaper // no process of an instance outlives lambdadeck (reaper.go)
	done     chan struct{}
	inflight sync.WaitGroup // running and queued invocations
	busyMu   sync.Mutex
	busy     map[*instance]struct{}
	closing  bool
	liveMu   sync.Mutex
	live     map[string]*liveInvocation // running invocations by request id
	reloads  reloadLog                  // when Watch last retired each function
	sdk      sdkCache                   // the runtime-provided AWS SDK for JavaScript
	codes    codeVersions               // the version of each code folder (codeversion.go)

	wake           chan struct{} // wakes the dispatcher (async.go)
	asyncWaiting   atomic.Bool   // the dispatcher's latest look found events queued
	asyncLooked    atomic.Int64  // when it looked (unix ns)
	dispatcherDone chan struct{} // closed when the dispatcher has stopped

	// Writes the store refused, kept to retry (async_store.go).
	pendingMu    sync.Mutex
	pending      []pendingWrite
	pendingErr   error
	pendingSince time.Time
	retrying     bool
	flushMu      sync.Mutex
}

// New prepares the functions: it writes the bootstraps, finds the local
// interpreters, and marks functions that cannot run here with the reason.
// No process starts until the first invocation.
func New(cfg Config) (*Invoker, error) {
	if cfg.StateDir == "" {
		return nil, fmt.Errorf("invoker: no state directory")
	}
	// Runtimes start in their function's folder, so every path handed to
	// them must be absolute.
	stateDir, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("invoker: %w", err)
	}
	cfg.StateDir = stateDir
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 100
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	if cfg.StreamLimit <= 0 {
		cfg.StreamLimit = DefaultStreamLimit
	}
	dirs, err := runtimes.Install(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	builder, err := build.New(build.Config{StateDir: cfg.StateDir, CacheDir: cfg.CacheDir, OnEvent: cfg.OnBuild})
	if err != nil {
		return nil, err
	}
	procs, err := newReaper(cfg.StateDir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	iv := &Invoker{
		builder: builder,
		procs:   procs,
		cfg:     cfg,
		log:     cfg.Logger,
		dirs:    dirs,
		interp:  &interpreters{cacheFile: filepath.Join(cfg.StateDir, "interpreters.json")},
		done:    make(chan struct{}),
		busy:    map[*instance]struct{}{},
		live:    map[string]*liveInvocation{},
		wake:    make(chan struct{}, 1),
	}
	iv.codes.unwatchedTTL = time.Second
	cat, _, err := iv.buildCatalog(cfg.Functions, nil)
	if err != nil {
		procs.close()
		return nil, err
	}
	iv.cat.Store(cat)
	iv.reaper = time.NewTicker(min(cfg.IdleTimeout/2, 30*time.Second))
	go iv.reapLoop()
	if cfg.Queue != nil {
		iv.dispatcherDone = make(chan struct{})
		go iv.dispatchLoop()
	}
	return iv, nil
}

// catalog is the set of functions with how to launch each and its pool.
// It is never changed once built: Reload builds a new one and swaps it in,
// so the warm path reads it without a lock.
type catalog struct {
	names   []string
	aliases map[string]string // logical ID → name, where they differ
	funcs   map[string]lambdadeck.Function
	specs   map[string]launchSpec
	pools   map[string]*pool
}

// buildCatalog prepares fns: defaults, interpreters, launch specs. A
// function unchanged from old keeps its pool (and its warm instances); the
// pools of changed and removed functions are returned to be retired.
func (iv *Invoker) buildCatalog(fns []lambdadeck.Function, old *catalog) (*catalog, []*pool, error) {
	cat := &catalog{
		aliases: map[string]string{},
		funcs:   map[string]lambdadeck.Function{},
		specs:   map[string]launchSpec{},
		pools:   map[string]*pool{},
	}
	iv.probeInterpreters(fns)
	for _, fn := range fns {
		if _, dup := cat.funcs[fn.Name]; dup {
			return nil, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "two functions are named %q", fn.Name)
		}
		fn = withDefaults(fn)
		if fn.Runnable() {
			spec, err := resolveLaunch(fn, iv.dirs, iv.interp)
			if err == nil {
				spec, err = iv.withBuild(fn, spec)
			}
			if err != nil {
				fn.NotRunnable = err.Error()
			} else {
				cat.specs[fn.Name] = spec
			}
		}
		cat.funcs[fn.Name] = fn
		cat.names = append(cat.names, fn.Name)
		if fn.LogicalID != "" && fn.LogicalID != fn.Name {
			cat.aliases[fn.LogicalID] = fn.Name
		}
		if old != nil && reflect.DeepEqual(old.funcs[fn.Name], fn) {
			cat.pools[fn.Name] = old.pools[fn.Name]
		} else {
			cat.pools[fn.Name] = newPool(fn, iv.cfg.QueueSize)
			cat.pools[fn.Name].reaper = iv.procs
		}
	}
	sort.Strings(cat.names)
	for id := range cat.aliases {
		if _, taken := cat.funcs[id]; taken {
			delete(cat.aliases, id) // a function's name wins over another's logical ID
		}
	}
	var retired []*pool
	if old != nil {
		for name, p := range old.pools {
			if cat.pools[name] != p {
				retired = append(retired, p)
			}
		}
	}
	return cat, retired, nil
}

// Reload replaces the functions (the template changed): unchanged functions
// keep their warm instances; changed ones get a new pool with the new
// configuration, and their old instances stop once idle. It returns the
// names of the functions that changed, appeared or disappeared. A bad set
// (two functions with one name) is refused and the old one kept.
func (iv *Invoker) Reload(fns []lambdadeck.Function) ([]string, error) {
	iv.reloadMu.Lock()
	defer iv.reloadMu.Unlock()
	old := iv.cat.Load()
	cat, retired, err := iv.buildCatalog(fns, old)
	if err != nil {
		return nil, err
	}
	iv.cat.Store(cat)
	var changed []string
	for _, p := range retired {
		p.retire()
		changed = append(changed, p.fn.Name)
	}
	for _, name := range cat.names {
		if _, existed := old.funcs[name]; !existed {
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	now := time.Now().UTC()
	for _, name := range changed {
		iv.reloads.mark(name, now)
	}
	return slices.Compact(changed), nil
}

func withDefaults(fn lambdadeck.Function) lambdadeck.Function {
	if fn.Timeout <= 0 {
		fn.Timeout = lambdadeck.DefaultTimeout
	}
	if fn.MemoryMB <= 0 {
		fn.MemoryMB = lambdadeck.DefaultMemoryMB
	}
	if fn.Concurrency <= 0 {
		fn.Concurrency = lambdadeck.DefaultConcurrency
	}
	return fn
}

func (iv *Invoker) reapLoop() {
	for {
		select {
		case <-iv.done:
			return
		case <-iv.reaper.C:
			for _, p := range iv.cat.Load().pools {
				p.reapIdle(iv.cfg.IdleTimeout)
			}
		}
	}
}

// Functions returns every function, sorted by name.
func (iv *Invoker) Functions() []lambdadeck.Function {
	cat := iv.cat.Load()
	out := make([]lambdadeck.Function, 0, len(cat.names))
	for _, n := range cat.names {
		out = append(out, cat.funcs[n])
	}
	return out
}

// Function returns the function named name (its FunctionName, or its
// logical ID in the template), or ENOTFOUND naming the close names.
func (iv *Invoker) Function(name string) (lambdadeck.Function, error) {
	return iv.cat.Load().function(name)
}

// function finds a function by name or logical ID.
func (cat *catalog) function(name string) (lambdadeck.Function, error) {
	if fn, ok := cat.funcs[name]; ok {
		return fn, nil
	}
	if alias, ok := cat.aliases[name]; ok {
		return cat.funcs[alias], nil
	}
	msg := "Function not found: " + name
	if close := closeNames(name, cat.names, cat.aliases); len(close) > 0 {
		msg += " (did you mean " + strings.Join(close, ", ") + "?)"
	}
	return lambdadeck.Function{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "%s", msg)
}

// Interpreter reports which local executable serves fn's runtime.
func (iv *Invoker) Interpreter(fn lambdadeck.Function) *Interpreter {
	switch runtimeFamily(fn.Runtime) {
	case "node":
		return iv.interp.node(fn.Runtime)
	case "python":
		return iv.interp.python(fn.Runtime)
	}
	return nil
}

// PoolStats reports a function's live, idle and queued counts.
func (iv *Invoker) PoolStats(name string) (live, idle, queued int) {
	if p, ok := iv.cat.Load().pools[name]; ok {
		return p.stats()
	}
	return 0, 0, 0
}

// Retire stops the named function's warm instances so that the next
// invocation starts fresh (used when its code changes).
func (iv *Invoker) Retire(name string) {
	if p, ok := iv.cat.Load().pools[name]; ok {
		p.retire()
	}
}

// Invoke runs one invocation and returns it once it has finished and been
// recorded (or, for req.Async, once it has been queued). The function's
// outcome, including its errors, timeouts and crashes, is in the returned
// invocation; err reports bad requests (EINVALID, ENOTFOUND, ETOOLARGE),
// throttling (ETHROTTLED) and lambdadeck's own failures.
func (iv *Invoker) Invoke(ctx context.Context, req lambdadeck.InvokeRequest) (*lambdadeck.Invocation, error) {
	if req.Async {
		return iv.invokeAsync(ctx, req)
	}
	r, err := iv.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.Wait()
}

// Run is a synchronous invocation under way.
type Run struct {
	RequestID string
	done      chan struct{}
	inv       *lambdadeck.Invocation
	err       error
}

// Done is closed when the invocation has finished and been recorded.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait waits for the invocation to finish and returns it; err is set only
// when lambdadeck failed to record it.
func (r *Run) Wait() (*lambdadeck.Invocation, error) {
	<-r.done
	return r.inv, r.err
}

// Start begins a synchronous invocation and returns once the event is on
// its way: the request was checked, an instance taken (after waiting in the
// queue if all were busy; a full queue is ETHROTTLED) and the invocation
// recorded as running. Live shows it while it runs; Wait gives its outcome.
// The caller going away does not stop a running handler, as on Lambda; the
// outcome is still recorded.
func (iv *Invoker) Start(ctx context.Context, req lambdadeck.InvokeRequest) (*Run, error) {
	return iv.start(ctx, req, nil)
}

// StartStream is Start for a caller that forwards a streamed response as
// it arrives (InvokeWithResponseStream): each chunk the handler streams is
// sent on the returned channel, which is closed when the stream ends (at
// once, with nothing sent, for a handler that does not stream; Wait then
// has its whole response). The caller must read the channel until it is
// closed or Done is: a reader that stops holds the handler back, until
// its deadline.
func (iv *Invoker) StartStream(ctx context.Context, req lambdadeck.InvokeRequest) (*Run, <-chan []byte, error) {
	ch := make(chan []byte, 16)
	r, err := iv.start(ctx, req, ch)
	if err != nil {
		return nil, nil, err
	}
	return r, ch, nil
}

func (iv *Invoker) start(ctx context.Context, req lambdadeck.InvokeRequest, sub chan []byte) (*Run, error) {
	if req.Async {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "an Event invocation cannot be started synchronously")
	}
	fn, p, spec, inv, err := iv.prepare(&req)
	if err != nil {
		return nil, err
	}
	if !iv.enter() {
		return nil, lambdadeck.Errorf(lambdadeck.EINTERNAL, "lambdadeck is shutting down")
	}
	in, err := p.acquire(ctx, spec, len(req.Env) > 0)
	if err != nil {
		iv.inflight.Done()
		return nil, err
	}
	// The invocation is recorded as running before the event is delivered,
	// so nothing is lost if lambdadeck dies mid-run.
	inv.StartedAt = time.Now().UTC()
	if err := iv.record(ctx, inv, true); err != nil {
		p.release(in, len(req.Env) == 0 && in.cmd != nil, spec)
		iv.inflight.Done()
		if lambdadeck.ErrorCode(err) != lambdadeck.EINTERNAL {
			return nil, err
		}
		return nil, storeFailure(err, fn.Name+" was not run")
	}
	r := &Run{RequestID: inv.RequestID, done: make(chan struct{}), inv: inv}
	live := iv.trackLive(inv)
	live.sub = sub
	go func() {
		defer iv.inflight.Done()
		r.err = iv.run(context.WithoutCancel(ctx), p, spec, in, fn, inv, req)
		iv.untrackLive(live)
		close(r.done)
	}()
	return r, nil
}

// prepare checks a request and builds its invocation record; it returns
// the function with its pool and launch spec, all from one catalog.
func (iv *Invoker) prepare(req *lambdadeck.InvokeRequest) (lambdadeck.Function, *pool, launchSpec, *lambdadeck.Invocation, error) {
	cat := iv.cat.Load()
	fn, err := cat.function(req.Function)
	if err != nil {
		return fn, nil, launchSpec{}, nil, err
	}
	if !fn.Runnable() {
		return fn, nil, launchSpec{}, nil, lambdadeck.Errorf(lambdadeck.EINVALID, "function %s cannot run here: %s", fn.Name, fn.NotRunnable)
	}
	if err := validateRequest(fn, req); err != nil {
		return fn, nil, launchSpec{}, nil, err
	}
	inv := &lambdadeck.Invocation{
		RequestID:     uuid.NewString(),
		Function:      fn.Name,
		Source:        req.Source,
		UserAgent:     req.UserAgent,
		FixtureID:     req.FixtureID,
		Event:         json.RawMessage(req.Event),
		ClientContext: json.RawMessage(req.ClientContext),
		EnvOverrides:  req.Env,
		Status:        lambdadeck.StatusRunning,
		MemorySizeMB:  fn.MemoryMB,
		StartedAt:     time.Now().UTC(),
		Config:        iv.runSnapshot(fn),
		Code:          iv.codeVersion(fn),
	}
	if req.Identity != nil {
		inv.Identity, _ = json.Marshal(req.Identity)
	}
	return fn, cat.pools[fn.Name], cat.specs[fn.Name], inv, nil
}

// enter counts an invocation in, unless lambdadeck is shutting down.
func (iv *Invoker) enter() bool {
	iv.busyMu.Lock()
	defer iv.busyMu.Unlock()
	if iv.closing {
		return false
	}
	iv.inflight.Add(1)
	return true
}

func validateRequest(fn lambdadeck.Function, req *lambdadeck.InvokeRequest) error {
	if len(req.Event) == 0 {
		req.Event = []byte("{}")
	}
	limit := lambdadeck.MaxSyncPayload
	if req.Async {
		limit = lambdadeck.MaxAsyncPayload
	}
	if len(req.Event) > limit {
		return lambdadeck.Errorf(lambdadeck.ETOOLARGE, "the event is %d bytes; Lambda's limit for this invocation type is %d bytes", len(req.Event), limit)
	}
	// encoding/json lets invalid UTF-8 through inside strings; Lambda
	// refuses such a payload (InvalidRequestContentException).
	if i := invalidUTF8(req.Event); i >= 0 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the event is not valid UTF-8: byte 0x%02x at offset %d", req.Event[i], i)
	}
	if !json.Valid(req.Event) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the event is not valid JSON")
	}
	if i := invalidUTF8(req.ClientContext); i >= 0 {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the client context is not valid UTF-8: byte 0x%02x at offset %d", req.ClientContext[i], i)
	}
	if len(req.ClientContext) > 0 && !json.Valid(req.ClientContext) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the client context is not valid JSON")
	}
	if err := CheckOverrides(fn, req.Env); err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = lambdadeck.SourceCLI
	}
	return nil
}

// invalidUTF8 is the offset of the first byte of b that is not valid
// UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func (iv *Invoker) record(ctx context.Context, inv *lambdadeck.Invocation, begin bool) error {
	if iv.cfg.Recorder == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if begin {
		err = iv.cfg.Recorder.BeginInvocation(ctx, inv)
	} else {
		err = iv.cfg.Recorder.FinishInvocation(ctx, inv)
	}
	if err != nil {
		return fmt.Errorf("invoker: recording invocation %s: %w", inv.RequestID, err)
	}
	return nil
}

// Close stops every instance (killing its process group) and the
// dispatcher, and tries once more the writes the store refused.
// Invocations still running end as interrupted; their events, and every
// event still queued, stay in the durable queue for the next start.
func (iv *Invoker) Close() error {
	iv.busyMu.Lock()
	if iv.closing {
		iv.busyMu.Unlock()
		return nil
	}
	iv.closing = true
	busy := make([]*instance, 0, len(iv.busy))
	for in := range iv.busy {
		busy = append(busy, in)
	}
	iv.busyMu.Unlock()
	close(iv.done)
	iv.reaper.Stop()
	for _, p := range iv.cat.Load().pools {
		p.close()
	}
	for _, in := range busy {
		in.kill()
	}
	iv.inflight.Wait()
	if iv.dispatcherDone != nil {
		<-iv.dispatcherDone
	}
	for _, in := range busy {
		in.stop()
	}
	iv.flushOnClose()
	iv.procs.close()
	return nil
}

func (iv *Invoker) isClosing() bool {
	iv.busyMu.Lock()
	defer iv.busyMu.Unlock()
	return iv.closing
}

// probeInterpreters finds the interpreters the functions need, all at once:
// each probe runs the interpreter (through any version-manager shim), which
// can take a while, so they run in parallel rather than one after another.
func (iv *Invoker) probeInterpreters(fns []lambdadeck.Function) {
	var wg sync.WaitGroup
	seen := map[string]bool{}
	for _, fn := range fns {
		if !fn.Runnable() || seen[fn.Runtime] {
			continue
		}
		seen[fn.Runtime] = true
		if runtimeFamily(fn.Runtime) == "node" || runtimeFamily(fn.Runtime) == "python" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				iv.Interpreter(fn)
			}()
		}
	}
	wg.Wait()
}
