package invoker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/runtimes"
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

// interpreters finds and remembers the local executables for each runtime
// family. A version-manager shim on PATH (pyenv, nvm, asdf) costs tens of
// milliseconds on every start, so each is resolved once to the real binary.
type interpreters struct {
	mu    sync.Mutex
	found map[string]*probe
}

// probe is one interpreter's lookup, done once however many ask at once.
type probe struct {
	once   sync.Once
	result Interpreter
}

func (c *interpreters) lookup(name string, args []string) *Interpreter {
	c.mu.Lock()
	if c.found == nil {
		c.found = map[string]*probe{}
	}
	p, ok := c.found[name]
	if !ok {
		p = &probe{}
		c.found[name] = p
	}
	c.mu.Unlock()
	p.once.Do(func() { p.result = runProbe(name, args) })
	return &p.result
}

// runProbe asks the interpreter on PATH for its real executable and version.
func runProbe(name string, args []string) Interpreter {
	path, err := exec.LookPath(name)
	if err != nil {
		return Interpreter{Err: fmt.Errorf("%s is not on PATH", name)}
	}
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

func (c *interpreters) node() *Interpreter {
	return c.lookup("node", []string{"-e", "console.log(process.execPath); console.log(process.version)"})
}

// python prefers python3.X for a pythonX.Y runtime when the machine has it.
func (c *interpreters) python(runtime string) *Interpreter {
	probe := []string{"-c", "import sys, platform; print(sys.executable); print(platform.python_version())"}
	if v := strings.TrimPrefix(runtime, "python"); v != runtime && v != "" {
		if _, err := exec.LookPath("python" + v); err == nil {
			if it := c.lookup("python"+v, probe); it.Err == nil {
				return it
			}
		}
	}
	return c.lookup("python3", probe)
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
		it := interp.node()
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
// interpreters need to run, and the AWS credentials and profile so handlers
// can call AWS as they do under `sam local`.
var hostVariables = []string{
	"PATH", "HOME", "USER", "TMPDIR", "SYSTEMROOT",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
}

// environment builds a runtime process's variables (reference §2.1):
// host basics, then the function's variables, its logging configuration and
// per-invocation overrides, then Lambda's reserved variables, which a
// function cannot override.
func environment(fn lambdadeck.Function, dirs runtimes.Dirs, overrides map[string]string) []string {
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
	// LD_LIBRARY_PATH is left as the host has it: Lambda's points at the
	// code's lib/ folder, but libraries built for Amazon Linux there would
	// be loaded by the local node or python3 itself and could break it.
	switch runtimeFamily(fn.Runtime) {
	case "node":
		// Modules at the task root resolve from handlers in subfolders.
		vars["NODE_PATH"] = dirs.Node + ":" + fn.CodeDir
	case "python":
		vars["PYTHONPATH"] = dirs.Python
	}
	for _, k := range hostVariables {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
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
	reserved := map[string]string{
		"_HANDLER":                        fn.Handler,
		"AWS_REGION":                      lambdadeck.DefaultRegion,
		"AWS_DEFAULT_REGION":              lambdadeck.DefaultRegion,
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

// checkOverride refuses a per-invocation override that Lambda reserves (it
// would be silently ignored) or that changes what code the runtime loads:
// overrides come from the browser and the API, and nothing there may change
// what runs. The template on disk may still set these.
func checkOverride(name string) error {
	if name == "" || strings.ContainsAny(name, "=\x00") {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "invalid environment variable name %q", name)
	}
	if reservedVariable(name) {
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s is reserved by Lambda and cannot be overridden", name)
	}
	switch {
	case strings.HasPrefix(name, "LD_"), strings.HasPrefix(name, "DYLD_"):
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s changes what code runs and can only be set in the template", name)
	}
	switch name {
	case "PATH", "NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONEXECUTABLE",
		"BASH_ENV", "ENV", "AWS_LAMBDA_EXEC_WRAPPER":
		return lambdadeck.Errorf(lambdadeck.EINVALID, "%s changes what code runs and can only be set in the template", name)
	}
	return nil
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
func (iv *Invoker) LocalRuntime(fn lambdadeck.Function) (description, warning string) {
	switch runtimeFamily(fn.Runtime) {
	case "node", "python":
		it := iv.Interpreter(fn)
		if it.Err != nil {
			return "", it.Err.Error()
		}
		description = it.Version + " at " + it.Path
		if want, got := declaredVersion(fn.Runtime), localVersion(runtimeFamily(fn.Runtime), it.Version); want != "" && got != want {
			warning = fmt.Sprintf("%s is declared, but the local interpreter is %s: behaviour may differ from Lambda", fn.Runtime, it.Version)
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
