package invoker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/runtimes"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
)

// launchSpec is the command that starts a function's runtime process. It is
// derived from the template on disk only: nothing a caller sends can change
// which command runs.
type launchSpec struct {
	path string
	args []string
	// build, for code that is built before it runs (build.go), produces
	// the bootstrap path then names and the folder codeDir then names; nil
	// for code that runs as it is.
	build *functionBuild
	// codeDir, once a build ran, is the build folder the function runs
	// from (its LAMBDA_TASK_ROOT); empty: the function's CodeDir.
	codeDir string
}

// Interpreter is a local executable that serves a declared runtime.
type Interpreter struct {
	Path    string // the real executable, not a version-manager shim
	Version string // e.g. v20.20.2, 3.11.7
	Err     error  // why it is unavailable
}

// interpreters finds and remembers the local executables for each runtime.
// It prefers one of the declared version: on PATH (python3.12), else one a
// version manager installed without putting it first on PATH (pyenv, nvm,
// asdf); else the default node or python3. A version-manager shim on PATH
// costs tens of milliseconds on every start, so each is resolved once to
// the real executable.
type interpreters struct {
	// home and getenv locate version managers' trees; lookPath searches
	// PATH. Zero values mean the process's own.
	home     string
	getenv   func(string) string
	lookPath func(string) (string, error)

	// cacheFile, if set, keeps probe results between processes (see
	// probeCache); empty probes every time.
	cacheFile string

	mu    sync.Mutex
	found map[string]*probe
}

// probe is one interpreter's lookup, done once however many ask at once.
type probe struct {
	once   sync.Once
	result Interpreter
}

// lookup probes the executable at path (or named, on PATH), once.
func (c *interpreters) lookup(path string, args []string) *Interpreter {
	c.mu.Lock()
	if c.found == nil {
		c.found = map[string]*probe{}
	}
	p, ok := c.found[path]
	if !ok {
		p = &probe{}
		c.found[path] = p
	}
	c.mu.Unlock()
	p.once.Do(func() { p.result = c.cachedProbe(path, args) })
	return &p.result
}

// probeKey identifies an interpreter executable on disk: a probe's result
// is reused while the file it resolves to is the same file, unchanged.
type probeKey struct {
	Path  string    `json:"path"`
	Args  []string  `json:"args"`
	Real  string    `json:"real"`
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
}

type probeEntry struct {
	Key     probeKey `json:"key"`
	Exec    string   `json:"exec"`
	Version string   `json:"version"`
}

// cachedProbe is runProbe through cacheFile: a probe runs the interpreter
// (100 ms for node here, a second through a pyenv shim), which a single
// CLI invocation would pay on every run. Only an interpreter that names
// itself as its executable (no shim or wrapper script, whose choice can
// change with the folder or a .python-version file) is kept, keyed by its
// real path, size and modification time.
func (c *interpreters) cachedProbe(path string, args []string) Interpreter {
	if c.cacheFile == "" {
		return runProbe(path, args)
	}
	key, ok := probeKeyOf(path, args)
	if !ok {
		return runProbe(path, args)
	}
	var entries []probeEntry
	if b, err := os.ReadFile(c.cacheFile); err == nil {
		_ = json.Unmarshal(b, &entries) // a damaged cache is probed again
	}
	for _, e := range entries {
		if reflect.DeepEqual(e.Key, key) {
			return Interpreter{Path: e.Exec, Version: e.Version}
		}
	}
	it := runProbe(path, args)
	if it.Err != nil || it.Path != key.Real {
		return it
	}
	entries = slices.DeleteFunc(entries, func(e probeEntry) bool { return e.Key.Path == path && slices.Equal(e.Key.Args, args) })
	entries = append(entries, probeEntry{Key: key, Exec: it.Path, Version: it.Version})
	if b, err := json.Marshal(entries); err == nil {
		// Written whole then renamed, so a reader never sees half of it.
		tmp := c.cacheFile + ".tmp" + strconv.Itoa(os.Getpid())
		if os.WriteFile(tmp, b, 0o600) == nil {
			if os.Rename(tmp, c.cacheFile) != nil {
				os.Remove(tmp)
			}
		}
	}
	return it
}

func probeKeyOf(path string, args []string) (probeKey, bool) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return probeKey{}, false
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return probeKey{}, false
	}
	return probeKey{Path: path, Args: args, Real: real, Size: st.Size(), MTime: st.ModTime().UTC()}, true
}

// runProbe asks an interpreter for its real executable and version.
func runProbe(path string, args []string) Interpreter {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	if err != nil {
		return Interpreter{Err: fmt.Errorf("%s does not run: %v", path, err)}
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return Interpreter{Err: fmt.Errorf("%s: unexpected version output %q", path, out)}
	}
	return Interpreter{Path: strings.TrimSpace(lines[0]), Version: strings.TrimSpace(lines[1])}
}

func (c *interpreters) env(name string) string {
	if c.getenv != nil {
		return c.getenv(name)
	}
	return os.Getenv(name)
}

func (c *interpreters) homeDir() string {
	if c.home != "" {
		return c.home
	}
	home, _ := os.UserHomeDir()
	return home
}

func (c *interpreters) onPath(name string) (string, bool) {
	look := c.lookPath
	if look == nil {
		look = exec.LookPath
	}
	path, err := look(name)
	return path, err == nil
}

const (
	nodeProbe   = "console.log(process.execPath); console.log(process.version)"
	pythonProbe = "import sys, platform; print(sys.executable); print(platform.python_version())"
)

// node finds Node.js for a nodejsNN.x runtime.
func (c *interpreters) node(runtime string) *Interpreter {
	args := []string{"-e", nodeProbe}
	major := declaredVersion(runtime)
	var fallback *Interpreter
	if path, ok := c.onPath("node"); ok {
		it := c.lookup(path, args)
		if it.Err == nil && (major == "" || localVersion("node", it.Version) == major) {
			return it
		}
		fallback = it
	}
	if major != "" {
		home := c.homeDir()
		nvm := c.env("NVM_DIR")
		if nvm == "" && home != "" {
			nvm = filepath.Join(home, ".nvm")
		}
		var patterns []string
		if nvm != "" {
			patterns = append(patterns, filepath.Join(nvm, "versions", "node", "v"+major+".*", "bin", "node"))
		}
		for _, asdf := range c.asdfDirs() {
			patterns = append(patterns, filepath.Join(asdf, "installs", "nodejs", major+".*", "bin", "node"))
		}
		if it := c.newest(patterns, args, "node", major); it != nil {
			return it
		}
	}
	if fallback != nil {
		return fallback
	}
	return &Interpreter{Err: fmt.Errorf("node is not on PATH")}
}

// python finds Python for a pythonX.Y runtime.
func (c *interpreters) python(runtime string) *Interpreter {
	args := []string{"-c", pythonProbe}
	version := declaredVersion(runtime)
	if version != "" {
		if path, ok := c.onPath("python" + version); ok {
			if it := c.lookup(path, args); it.Err == nil && localVersion("python", it.Version) == version {
				return it
			}
		}
		home := c.homeDir()
		pyenv := c.env("PYENV_ROOT")
		if pyenv == "" && home != "" {
			pyenv = filepath.Join(home, ".pyenv")
		}
		var patterns []string
		if pyenv != "" {
			patterns = append(patterns, filepath.Join(pyenv, "versions", version+".*", "bin", "python"+version))
		}
		for _, asdf := range c.asdfDirs() {
			patterns = append(patterns, filepath.Join(asdf, "installs", "python", version+".*", "bin", "python"+version))
		}
		if it := c.newest(patterns, args, "python", version); it != nil {
			return it
		}
	}
	if path, ok := c.onPath("python3"); ok {
		return c.lookup(path, args)
	}
	return &Interpreter{Err: fmt.Errorf("python3 is not on PATH")}
}

// asdfDirs is where asdf keeps its installs.
func (c *interpreters) asdfDirs() []string {
	if d := c.env("ASDF_DATA_DIR"); d != "" {
		return []string{d}
	}
	if home := c.homeDir(); home != "" {
		return []string{filepath.Join(home, ".asdf")}
	}
	return nil
}

// newest probes the executables matching patterns, newest version first,
// and returns the first that runs the wanted version.
func (c *interpreters) newest(patterns, args []string, family, want string) *Interpreter {
	var paths []string
	for _, p := range patterns {
		matches, _ := filepath.Glob(p)
		paths = append(paths, matches...)
	}
	sort.Slice(paths, func(i, j int) bool { return versionLess(versionDir(paths[j]), versionDir(paths[i])) })
	for _, path := range paths {
		if it := c.lookup(path, args); it.Err == nil && localVersion(family, it.Version) == want {
			return it
		}
	}
	return nil
}

// versionDir is the version folder of an installed interpreter
// (.../versions/3.12.1/bin/python3.12 → 3.12.1).
func versionDir(path string) string {
	return strings.TrimPrefix(filepath.Base(filepath.Dir(filepath.Dir(path))), "v")
}

// versionLess compares dotted versions number by number.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, xerr := strconv.Atoi(as[i])
		y, yerr := strconv.Atoi(bs[i])
		if xerr != nil || yerr != nil {
			if as[i] != bs[i] {
				return as[i] < bs[i]
			}
			continue
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// Runtime families lambdadeck knows.
func runtimeFamily(runtime string) string {
	switch {
	case strings.HasPrefix(runtime, "nodejs"):
		return "node"
	case strings.HasPrefix(runtime, "python"):
		return "python"
	case strings.HasPrefix(runtime, "provided"), runtime == "go1.x":
		return "provided"
	}
	return ""
}

// resolveLaunch returns how to start fn, or why it cannot be started here.
func resolveLaunch(fn lambdadeck.Function, dirs runtimes.Dirs, interp *interpreters) (launchSpec, error) {
	switch runtimeFamily(fn.Runtime) {
	case "node":
		it := interp.node(fn.Runtime)
		if it.Err != nil {
			return launchSpec{}, fmt.Errorf("runtime %s needs Node.js: %v", fn.Runtime, it.Err)
		}
		var args []string
		// Lambda's Node bootstrap sizes the V8 heap from the memory setting
		// unless NODE_OPTIONS already does.
		if !strings.Contains(fn.Environment["NODE_OPTIONS"], "max-old-space-size") {
			args = append(args, "--max-old-space-size="+strconv.Itoa(fn.MemoryMB*9/10))
		}
		args = append(args, dirs.NodeBootstrap())
		return launchSpec{path: it.Path, args: args}, nil
	case "python":
		it := interp.python(fn.Runtime)
		if it.Err != nil {
			return launchSpec{}, fmt.Errorf("runtime %s needs Python: %v", fn.Runtime, it.Err)
		}
		return launchSpec{path: it.Path, args: []string{dirs.PythonBootstrap()}}, nil
	case "provided":
		return launchSpec{path: filepath.Join(fn.CodeDir, "bootstrap")}, nil
	}
	return launchSpec{}, fmt.Errorf("runtime %q is not supported by lambdadeck", fn.Runtime)
}

// hostVariables are passed through from lambdadeck's own environment: what
// interpreters need to run.
var hostVariables = []string{"PATH", "HOME", "USER", "TMPDIR", "SYSTEMROOT"}

// hostAWSVariables are passed through too when lambdadeck resolves no AWS
// configuration itself (an Invoker without Config.AWS), so that handlers
// can call AWS as they do under sam local.
var hostAWSVariables = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
}

// instanceExtras are what one new instance gets beyond its function's
// configuration.
type instanceExtras struct {
	// aws holds the AWS variables (Config.AWS): credentials, Region,
	// endpoints; nil when lambdadeck resolves none.
	aws map[string]string
	// sdkModules is the node_modules folder of the runtime-provided AWS SDK
	// for JavaScript; empty when it is not installed.
	sdkModules string
}

// Internal variables lambdadeck's bootstraps read, then remove from the
// handler's environment.
const (
	// pythonLayerPathsVar lists the layers' Python folders, in sys.path
	// order, separated by the path list separator.
	pythonLayerPathsVar = "_LAMBDADECK_PYTHON_LAYERS"
	// mountsVar maps mount points to local folders, as a JSON object.
	mountsVar = "_LAMBDADECK_MOUNTS"
)

// layerFolders returns, for each layer from the last to the first (a layer
// extracted later overrides files of earlier ones in /opt), the folder
// sub joined to it, when that folder exists.
func layerFolders(layers []lambdadeck.Layer, sub ...string) []string {
	var out []string
	for i := len(layers) - 1; i >= 0; i-- {
		if layers[i].ContentDir == "" {
			continue
		}
		dir := filepath.Join(append([]string{layers[i].ContentDir}, sub...)...)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			out = append(out, dir)
		}
	}
	return out
}

// joinPaths joins the non-empty lists of paths with the list separator.
func joinPaths(lists ...[]string) string {
	var all []string
	for _, l := range lists {
		for _, p := range l {
			if p != "" {
				all = append(all, p)
			}
		}
	}
	return strings.Join(all, string(os.PathListSeparator))
}

// environment builds a runtime process's variables (reference §2.1):
// host basics, then the AWS credentials and endpoints, the function's
// variables, its logging configuration and per-invocation overrides, then
// Lambda's reserved variables, which a function cannot override.
func environment(fn lambdadeck.Function, dirs runtimes.Dirs, overrides map[string]string, extras instanceExtras) []string {
	// Lambda's unreserved defaults (reference §2.1); the function's own
	// variables override them. The X-Ray daemon address is Lambda's, so an
	// X-Ray SDK configures itself as it would there (and, with no daemon,
	// logs rather than fails: AWS_XRAY_CONTEXT_MISSING).
	vars := map[string]string{
		"LANG":                     "en_US.UTF-8",
		"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
		"AWS_XRAY_DAEMON_ADDRESS":  "169.254.79.129:2000",
		"_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
		"_AWS_XRAY_DAEMON_PORT":    "2000",
	}
	for _, k := range hostVariables {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	// Layers are found where Lambda extracts them into /opt: /opt/bin
	// ends PATH and /opt/lib ends LD_LIBRARY_PATH. LD_LIBRARY_PATH is
	// otherwise left as the host has it: Lambda's points at the code's
	// lib/ folder, but libraries built for Amazon Linux there would be
	// loaded by the local node or python3 itself and could break it.
	if bins := layerFolders(fn.Layers, "bin"); len(bins) > 0 {
		vars["PATH"] = joinPaths([]string{vars["PATH"]}, bins)
	}
	if libs := layerFolders(fn.Layers, "lib"); len(libs) > 0 {
		vars["LD_LIBRARY_PATH"] = joinPaths([]string{vars["LD_LIBRARY_PATH"]}, libs)
	}
	if vars["LD_LIBRARY_PATH"] == "" {
		delete(vars, "LD_LIBRARY_PATH")
	}
	switch runtimeFamily(fn.Runtime) {
	case "node":
		// Lambda's NODE_PATH: /opt/nodejs/nodeNN/node_modules,
		// /opt/nodejs/node_modules, /var/runtime/node_modules (the AWS
		// SDK), /var/runtime, /var/task (modules at the task root resolve
		// from handlers in subfolders).
		major := "node" + declaredVersion(fn.Runtime)
		vars["NODE_PATH"] = joinPaths(
			layerFolders(fn.Layers, "nodejs", major, "node_modules"),
			layerFolders(fn.Layers, "nodejs", "node_modules"),
			[]string{extras.sdkModules, dirs.Node, fn.CodeDir})
	case "python":
		vars["PYTHONPATH"] = dirs.Python
		// The bootstrap puts these right after the task root, as Lambda's
		// does with /opt/python/lib/pythonX.Y/site-packages and /opt/python.
		version := declaredVersion(fn.Runtime)
		if paths := joinPaths(
			layerFolders(fn.Layers, "python", "lib", "python"+version, "site-packages"),
			layerFolders(fn.Layers, "python")); paths != "" {
			vars[pythonLayerPathsVar] = paths
		}
	}
	if mounts := mountMap(fn.FileSystems); mounts != "" {
		vars[mountsVar] = mounts
	}
	if extras.aws != nil {
		for k, v := range extras.aws {
			vars[k] = v
		}
	} else {
		for _, k := range hostAWSVariables {
			if v, ok := os.LookupEnv(k); ok {
				vars[k] = v
			}
		}
		if vars["AWS_ACCESS_KEY_ID"] == "" && vars["AWS_PROFILE"] == "" {
			vars["AWS_EC2_METADATA_DISABLED"] = "true"
		}
	}
	for k, v := range fn.Environment {
		vars[k] = v
	}
	if fn.LogFormat != "" {
		vars["AWS_LAMBDA_LOG_FORMAT"] = fn.LogFormat
	}
	if fn.LogLevel != "" {
		vars["AWS_LAMBDA_LOG_LEVEL"] = fn.LogLevel
	}
	// An override asked for this invocation wins, as logFormat has it for
	// the platform's own lines: the function must log in the same format.
	for k, v := range overrides {
		vars[k] = v
	}
	region := fn.AWSRegion()
	reserved := map[string]string{
		"_HANDLER":                        fn.Handler,
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     lambdadeck.LatestVersion,
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + fn.Name,
		"LAMBDA_TASK_ROOT":                fn.CodeDir,
		"TZ":                              ":UTC",
	}
	switch runtimeFamily(fn.Runtime) {
	case "node":
		reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + fn.Runtime
		reserved["LAMBDA_RUNTIME_DIR"] = dirs.Node
	case "python":
		reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + fn.Runtime
		reserved["LAMBDA_RUNTIME_DIR"] = dirs.Python
	default:
		// OS-only runtimes have no AWS_EXECUTION_ENV (reference §2.1); the
		// retired go1.x had one.
		reserved["LAMBDA_RUNTIME_DIR"] = fn.CodeDir
		if fn.Runtime == "go1.x" {
			reserved["AWS_EXECUTION_ENV"] = "AWS_Lambda_go1.x"
		}
	}
	for k, v := range reserved {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

// mountMap is the JSON object of mount points and the folders that serve
// them, for the bootstraps; empty when none is mapped.
func mountMap(fss []lambdadeck.FileSystem) string {
	m := map[string]string{}
	for _, fs := range fss {
		if fs.LocalDir != "" {
			m[fs.LocalMountPath] = fs.LocalDir
		}
	}
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// CheckOverrides checks the per-invocation environment overrides env for
// fn, with one rule and one message wherever they come from: the invoke
// form, a fixture being saved (dashboard or fixtures import), a test run
// or the CLI. Overrides come from the browser and the API, and nothing
// there may change what code runs, so the rule is an allow-list: a name is
// allowed only if fn's template sets it (Environment.Variables) or it is
// one of HarmlessOverrides, and never if Lambda reserves it or it changes
// what code the runtime loads (PATH, NODE_OPTIONS, PYTHON*, LD_*...), even
// when the template sets it. A deny-list cannot work: every interpreter
// and shell has variables that run a command (PYTHONWARNINGS with
// BROWSER, SHELLOPTS with PS4...).
func CheckOverrides(fn lambdadeck.Function, env map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if err := checkOverride(fn, name, env[name]); err != nil {
			return err
		}
	}
	return nil
}

// CheckSharedOverrides checks the overrides of a shared fixture, which can
// run with any function: each must be allowed for every one of fns. The
// run still checks them against the function it runs with.
func CheckSharedOverrides(fns []lambdadeck.Function, env map[string]string) error {
	for _, fn := range fns {
		if err := CheckOverrides(fn, env); err != nil {
			return lambdadeck.Errorf(lambdadeck.EINVALID, "a shared fixture runs with any function: %s", lambdadeck.ErrorMessage(err))
		}
	}
	if len(fns) == 0 {
		return CheckOverrides(lambdadeck.Function{}, env)
	}
	return nil
}

// HarmlessOverrides are the variables any invocation may override, beside
// the function's own: they change only how the runtime formats and
// filters its log lines, never what runs.
func HarmlessOverrides() []string {
	return []string{"AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"}
}

// checkOverride applies CheckOverrides' rule to one variable.
func checkOverride(fn lambdadeck.Function, name, value string) error {
	if !lambdadeck.ValidVariableName(name) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "invalid environment variable name %q", name)
	}
	if strings.ContainsRune(value, 0) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "the value of %s contains a NUL byte", name)
	}
	if reservedVariable(name) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s is reserved by Lambda and cannot be overridden", name)
	}
	if loadsCode(name) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s changes what code runs and can only be set in the template", name)
	}
	if slices.Contains(HarmlessOverrides(), name) {
		return nil
	}
	if _, ok := fn.Environment[name]; ok {
		return nil
	}
	allowed := append(slices.Sorted(maps.Keys(fn.Environment)), HarmlessOverrides()...)
	allowed = slices.DeleteFunc(allowed, func(n string) bool { return reservedVariable(n) || loadsCode(n) })
	what := "function " + fn.Name
	if fn.Name == "" {
		what = "this function"
	}
	return lambdadeck.Errorf(lambdadeck.EINVALID,
		"%s cannot be overridden for %s: an invocation may override only the variables its template sets and the log settings (allowed: %s)",
		name, what, strings.Join(allowed, ", "))
}

// loadsCode reports whether a variable changes what code a runtime, an
// interpreter, the dynamic loader or a shell loads or runs. The allow-list
// is the rule; this keeps the worst out even when the template sets them.
func loadsCode(name string) bool {
	for _, prefix := range []string{"LD_", "DYLD_", "_LAMBDADECK_", "PYTHON", "BASH_", "PERL5", "RUBY"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	switch name {
	case "PATH", "HOME", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "BROWSER", "AWS_LAMBDA_EXEC_WRAPPER",
		"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "GCONV_PATH", "LOCPATH", "HOSTALIASES":
		return true
	}
	return false
}

// reservedVariable reports whether Lambda reserves the name.
func reservedVariable(name string) bool {
	switch name {
	case "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
		"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR":
		return true
	}
	return false
}

// LocalRuntime says which local executable serves fn's declared runtime
// ("node v20.20.2 at /usr/bin/node"), and warns when its version is not the
// declared one: a handler may then behave differently here than on Lambda.
//
// The warning also carries the note that AWS has deprecated the runtime,
// when it has (sam.DeprecationNote).
func (iv *Invoker) LocalRuntime(fn lambdadeck.Function) (description, warning string) {
	description, warning = iv.localRuntime(fn)
	if note := sam.DeprecationNote(fn.Runtime, time.Now()); note != "" {
		warning = strings.TrimSpace(warning + " " + note + ".")
	}
	return description, warning
}

func (iv *Invoker) localRuntime(fn lambdadeck.Function) (description, warning string) {
	switch runtimeFamily(fn.Runtime) {
	case "node", "python":
		it := iv.Interpreter(fn)
		if it.Err != nil {
			return "", it.Err.Error()
		}
		description = it.Version + " at " + it.Path
		if want, got := declaredVersion(fn.Runtime), localVersion(runtimeFamily(fn.Runtime), it.Version); want != "" && got != want {
			warning = fmt.Sprintf("%s is declared, but the local interpreter is %s (%s): behaviour may differ from Lambda.", fn.Runtime, it.Version, it.Path)
		}
		return description, warning
	case "provided":
		return "the bootstrap in " + fn.CodeDir, ""
	}
	return "", ""
}

// declaredVersion is the version a runtime name fixes: "22" for nodejs22.x,
// "3.12" for python3.12.
func declaredVersion(runtime string) string {
	if v, ok := strings.CutPrefix(runtime, "nodejs"); ok {
		return strings.TrimSuffix(v, ".x")
	}
	if v, ok := strings.CutPrefix(runtime, "python"); ok {
		return v
	}
	return ""
}

// localVersion cuts an interpreter's version to what a runtime name fixes:
// "v20.20.2" → "20" for Node, "3.11.7" → "3.11" for Python.
func localVersion(family, version string) string {
	parts := strings.Split(strings.TrimPrefix(version, "v"), ".")
	if family == "node" {
		return parts[0]
	}
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return version
}

// extras gathers what a new instance of fn gets beyond its configuration.
func (iv *Invoker) extras(fn lambdadeck.Function, in *instance) instanceExtras {
	var x instanceExtras
	if iv.cfg.AWS != nil {
		x.aws = iv.cfg.AWS.Variables(context.Background())
	}
	if runtimeFamily(fn.Runtime) == "node" {
		x.sdkModules = iv.nodeSDK(fn, in)
	}
	return x
}
