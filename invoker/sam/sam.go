// Package sam loads the functions of an AWS SAM template (or a plain
// CloudFormation one): every AWS::Serverless::Function and
// AWS::Lambda::Function, with Globals applied the way SAM applies them and
// intrinsic functions resolved as far as they can be without a deployed
// stack. What cannot be resolved is kept as literal text and reported as a
// warning; functions lambdadeck cannot run locally (container images, code
// in S3, inline code) are listed with the reason.
package sam

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"gopkg.in/yaml.v3"
)

// Resource types lambdadeck loads as functions.
const (
	serverlessFunction = "AWS::Serverless::Function"
	lambdaFunction     = "AWS::Lambda::Function"
)

// Lambda's limits on a function's configuration.
const (
	minTimeoutSeconds = 1
	maxTimeoutSeconds = 900
	minMemoryMB       = 128
	maxMemoryMB       = 10240
)

// Template is a loaded template.
type Template struct {
	Path      string                // absolute path of the template file; empty after Parse
	Dir       string                // absolute folder relative code paths start from
	Functions []lambdadeck.Function // sorted by Name
	// Warnings lists what lambdadeck ignored or could not resolve, in words
	// for the user.
	Warnings []string
	// HTTP is the template's API Gateway APIs, Api and HttpApi events and
	// Function URLs (http.go), for the HTTP front door.
	HTTP HTTP
}

// Function returns the function called name.
func (t *Template) Function(name string) (lambdadeck.Function, error) {
	for _, fn := range t.Functions {
		if fn.Name == name {
			return fn, nil
		}
	}
	return lambdadeck.Function{}, lambdadeck.Errorf(lambdadeck.ENOTFOUND, "function %q is not in the template", name)
}

// Find returns the SAM template in dir: template.yaml, else template.yml.
func Find(dir string) (string, bool) {
	for _, name := range []string{"template.yaml", "template.yml"} {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			return path, true
		}
	}
	return "", false
}

// Options are what the command line adds to a template.
type Options struct {
	// Region is the AWS Region that AWS::Region and fake ARNs name, and
	// that functions run in; empty is lambdadeck.DefaultRegion.
	Region string
	// Parameters override the template's Parameters (SAM's
	// --parameter-overrides), and stand in for values only a deployed
	// stack has: "Table" for !Ref Table, "Table.Arn" for !GetAtt Table.Arn.
	Parameters map[string]string
	// LayerDirs supplies layers the template cannot: a layer's ARN, or a
	// LayerVersion's logical ID, to an absolute local folder.
	LayerDirs map[string]string
	// Mounts maps a FileSystemConfigs LocalMountPath (/mnt/data) to an
	// absolute local folder that serves it.
	Mounts map[string]string
	// EnvVars are the variables of an --env-vars file.
	EnvVars EnvVars
}

// Load reads and parses the template at path; relative code paths are
// resolved from the template's folder.
func Load(path string) (*Template, error) {
	return LoadWith(path, Options{})
}

// LoadWith is Load with the command line's options.
func LoadWith(path string, opts Options) (*Template, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "template %s: %v", path, err)
	}
	data, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "template %s does not exist", path)
	case err != nil:
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read template %s: %v", path, unwrapPathError(err))
	}
	t, err := parse(data, filepath.Dir(abs), path, opts)
	if err != nil {
		return nil, err
	}
	t.Path = abs
	return t, nil
}

// Parse parses a template's contents; relative code paths are resolved from
// dir.
func Parse(data []byte, dir string) (*Template, error) {
	return parse(data, dir, "template", Options{})
}

// parse does the work of Load and Parse; name is how errors refer to the
// template.
func parse(data []byte, dir, name string, opts Options) (*Template, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "template folder %s: %v", dir, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var d decoder
	root, err := d.value(&doc, 0)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %v", name, err)
	}
	if root == nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s is empty", name)
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s is not a SAM or CloudFormation template: its top level is not a map", name)
	}
	resources, ok := top["Resources"].(map[string]any)
	if !ok || len(resources) == 0 {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s has no Resources", name)
	}

	l := &loader{
		dir:        absDir,
		opts:       opts,
		resolver:   newResolver(top, opts),
		resources:  resources,
		names:      map[string]string{},
		naming:     map[string]bool{},
		layers:     map[string]*lambdadeck.Layer{},
		usedLayers: map[string]bool{},
		usedMounts: map[string]bool{},
	}
	l.resolver.functionName = l.functionName
	if globals, ok := top["Globals"].(map[string]any); ok {
		l.allGlobals = globals
		switch fn := globals["Function"].(type) {
		case map[string]any:
			l.globals = fn
		case nil:
		default:
			l.warn("Globals.Function is not a map; ignored")
		}
	}
	return l.load(name)
}

// loader builds the functions of one template.
type loader struct {
	dir       string
	opts      Options
	resolver  *resolver
	resources map[string]any
	globals   map[string]any
	names     map[string]string // logical ID → function name, once known
	naming    map[string]bool   // logical IDs whose name is being resolved
	warnings  []string

	layers     map[string]*lambdadeck.Layer // LayerVersion logical ID → layer, once built (nil: unusable)
	usedLayers map[string]bool              // LayerDirs keys that matched a layer
	usedMounts map[string]bool              // Mounts keys that matched a file system

	allGlobals map[string]any // the whole Globals section, for http.go
}

func (l *loader) warn(format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}

// load builds every function of the template.
func (l *loader) load(name string) (*Template, error) {
	var ids []string
	for id, res := range l.resources {
		m, ok := res.(map[string]any)
		if !ok {
			l.warn("resource %s is not a map; ignored", id)
			continue
		}
		if typ, _ := m["Type"].(string); typ == serverlessFunction || typ == lambdaFunction {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)

	t := &Template{Dir: l.dir}
	for _, id := range ids {
		res := l.resources[id].(map[string]any)
		if cond, ok := res["Condition"].(string); ok {
			if holds, known := l.resolver.namedCondition(cond); known && !holds {
				l.warn("%s is left out: its Condition %s is false with the parameters' defaults", id, cond)
				continue
			}
		}
		t.Functions = append(t.Functions, l.function(id, res))
	}
	l.eventInvokeResources(t.Functions)
	sort.Slice(t.Functions, func(i, j int) bool { return t.Functions[i].Name < t.Functions[j].Name })
	for i := 1; i < len(t.Functions); i++ {
		if a, b := t.Functions[i-1], t.Functions[i]; a.Name == b.Name {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: functions %s and %s are both named %q",
				name, a.LogicalID, b.LogicalID, a.Name)
		}
	}
	l.applyEnvVars(t.Functions)
	l.unusedOptions()
	loaded := map[string]string{}
	for _, fn := range t.Functions {
		loaded[fn.LogicalID] = fn.Name
	}
	t.HTTP = l.http(l.allGlobals, loaded)
	t.Warnings = append(l.warnings, l.resolver.warnings()...)
	return t, nil
}

// properties returns a function resource's Properties with Globals applied,
// or false when Properties is not a map.
func (l *loader) properties(res map[string]any) (map[string]any, bool) {
	props := map[string]any{}
	switch p := res["Properties"].(type) {
	case map[string]any:
		props = p
	case nil:
	default:
		return nil, false
	}
	if res["Type"] == serverlessFunction {
		props = mergeGlobals(l.globals, props)
	}
	return props, true
}

// functionName returns the name of the function with the given logical ID:
// its FunctionName when that resolves to a string, else the logical ID. It
// reports false when id is not a function.
func (l *loader) functionName(id string) (string, bool) {
	res, ok := l.resources[id].(map[string]any)
	if !ok {
		return "", false
	}
	if typ, _ := res["Type"].(string); typ != serverlessFunction && typ != lambdaFunction {
		return "", false
	}
	if name, ok := l.names[id]; ok {
		return name, true
	}
	if l.naming[id] {
		return id, true // a FunctionName that refers to itself
	}
	l.naming[id] = true
	defer delete(l.naming, id)

	name := id
	if props, ok := l.properties(res); ok {
		if raw, ok := props["FunctionName"]; ok {
			switch v := l.resolver.eval(raw, site{id, "FunctionName"}).(type) {
			case string:
				if v != "" {
					name = v
				}
			case noValue:
			default:
				l.warn("%s: FunctionName does not resolve to a plain string; using the logical ID", id)
			}
		}
	}
	l.names[id] = name
	return name, true
}

// function builds one function from its resource.
func (l *loader) function(id string, res map[string]any) lambdadeck.Function {
	name, _ := l.functionName(id)
	fn := lambdadeck.Function{
		Name:         name,
		LogicalID:    id,
		Timeout:      lambdadeck.DefaultTimeout,
		MemoryMB:     lambdadeck.DefaultMemoryMB,
		Architecture: "x86_64",
		Concurrency:  lambdadeck.DefaultConcurrency,
		Region:       l.opts.Region,
		// LogFormat stays empty unless LoggingConfig sets it: Lambda then
		// logs as Text and sets no AWS_LAMBDA_LOG_FORMAT.
	}
	notRunnable := func(format string, args ...any) {
		if fn.NotRunnable == "" {
			fn.NotRunnable = fmt.Sprintf(format, args...)
		}
	}
	props, ok := l.properties(res)
	if !ok {
		notRunnable("its Properties is not a map")
		return fn
	}
	serverless := res["Type"] == serverlessFunction

	// get resolves one property; absent and AWS::NoValue both read as absent.
	get := func(key string) (any, bool) {
		raw, ok := props[key]
		if !ok {
			return nil, false
		}
		v := l.resolver.eval(raw, site{name, key})
		if _, ok := v.(noValue); ok || v == nil {
			return nil, false
		}
		return v, true
	}
	str := func(key string) string {
		v, ok := get(key)
		if !ok {
			return ""
		}
		s, ok := stringify(v)
		if !ok {
			l.warn("%s: %s is not a string; ignored", name, key)
		}
		return s
	}

	fn.Description = str("Description")
	if v, ok := get("Runtime"); ok {
		if s, ok := v.(string); ok {
			fn.Runtime = s
			if w := runtimeWarning(s); w != "" {
				l.warn("%s: %s", name, w)
			}
		} else {
			notRunnable("its Runtime is not a string")
		}
	}
	if v, ok := get("Handler"); ok {
		if s, ok := v.(string); ok {
			fn.Handler = s
		} else {
			notRunnable("its Handler is not a string")
		}
	}
	if meta, ok := res["Metadata"].(map[string]any); ok {
		if v, ok := l.resolver.eval(meta["BuildMethod"], site{name, "Metadata.BuildMethod"}).(string); ok {
			fn.BuildMethod = v
		}
		if raw, ok := meta["BuildProperties"]; ok {
			if v, ok := l.resolver.eval(raw, site{name, "Metadata.BuildProperties"}).(map[string]any); ok {
				fn.BuildProperties = v
			} else {
				l.warn("%s: Metadata.BuildProperties is not a mapping; it is ignored", name)
			}
		}
	}

	image := str("PackageType") == "Image"
	if serverless {
		if _, ok := get("ImageUri"); ok {
			image = true
		}
	} else if code, ok := props["Code"].(map[string]any); ok {
		if _, ok := code["ImageUri"]; ok {
			image = true
		}
	}
	if image {
		fn.PackageType = "Image"
		notRunnable("container image functions are not supported: lambdadeck runs handlers as local processes")
	} else {
		l.code(&fn, serverless, get, notRunnable)
		switch {
		case fn.Runtime == "":
			notRunnable("no Runtime: set Runtime (for example nodejs20.x or python3.12) on the function or in Globals")
		case fn.Handler == "" && !strings.HasPrefix(fn.Runtime, "provided"):
			notRunnable("no Handler: set Handler (for example index.handler) on the function or in Globals")
		}
	}

	if v, ok := get("Environment"); ok {
		fn.Environment = l.environment(name, v)
	}
	if v, ok := get("Timeout"); ok {
		if n, ok := wholeNumber(v); ok && n >= minTimeoutSeconds && n <= maxTimeoutSeconds {
			fn.Timeout = time.Duration(n) * time.Second
		} else {
			l.warn("%s: Timeout %s is not a whole number of seconds from %d to %d; using %d",
				name, renderArg(v), minTimeoutSeconds, maxTimeoutSeconds, int(lambdadeck.DefaultTimeout/time.Second))
		}
	}
	if v, ok := get("MemorySize"); ok {
		if n, ok := wholeNumber(v); ok && n >= minMemoryMB && n <= maxMemoryMB {
			fn.MemoryMB = int(n)
		} else {
			l.warn("%s: MemorySize %s is not a whole number of MB from %d to %d; using %d",
				name, renderArg(v), minMemoryMB, maxMemoryMB, lambdadeck.DefaultMemoryMB)
		}
	}
	if v, ok := get("Architectures"); ok {
		if list, ok := v.([]any); ok && len(list) > 0 {
			if s, ok := list[0].(string); ok && (s == "x86_64" || s == "arm64") {
				fn.Architecture = s
			} else {
				l.warn("%s: Architectures %s is not x86_64 or arm64; using x86_64", name, renderArg(v))
			}
		}
	}
	if v, ok := get("LoggingConfig"); ok {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["LogFormat"].(string); ok {
				fn.LogFormat = s
			}
			if s, ok := m["ApplicationLogLevel"].(string); ok {
				fn.LogLevel = s
			}
		}
	}
	if v, ok := get("ReservedConcurrentExecutions"); ok {
		switch n, ok := wholeNumber(v); {
		case ok && n == 0:
			notRunnable("ReservedConcurrentExecutions is 0: AWS throttles every invocation of this function")
			fn.Concurrency = 0
		case ok && n > 0 && n <= 1<<20:
			fn.Concurrency = int(n)
		default:
			l.warn("%s: ReservedConcurrentExecutions %s is not a whole number from 0; using %d",
				name, renderArg(v), lambdadeck.DefaultConcurrency)
		}
	}
	if raw, ok := props["EventInvokeConfig"]; ok && serverless {
		l.eventInvoke(name, raw, &fn.EventInvoke, "EventInvokeConfig")
	}
	for _, key := range []string{"DeadLetterQueue", "DeadLetterConfig"} {
		if raw, ok := props[key]; ok && (key == "DeadLetterQueue") == serverless {
			if d, ok := l.deadLetterQueue(name, raw, key); ok {
				fn.EventInvoke.DeadLetter = d
			}
		}
	}
	if raw, ok := props["Layers"]; ok {
		fn.Layers = l.functionLayers(name, fn.Runtime, raw)
	}
	if v, ok := get("FileSystemConfigs"); ok {
		fn.FileSystems = l.fileSystems(name, v)
	}
	return fn
}

// code sets fn.CodeDir from CodeUri (Serverless) or Code (Lambda), or says
// why the code cannot be run locally.
func (l *loader) code(fn *lambdadeck.Function, serverless bool, get func(string) (any, bool), notRunnable func(string, ...any)) {
	property := "Code"
	if serverless {
		property = "CodeUri"
		if _, ok := get("InlineCode"); ok {
			notRunnable("inline code (InlineCode) is not supported: move the code into a folder and point CodeUri at it")
			return
		}
	}
	v, ok := get(property)
	if !ok {
		fn.CodeDir = l.dir
		l.checkCodeDir(fn, property, ".", notRunnable)
		return
	}
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "s3://") {
			notRunnable("code is in S3 (%s): point %s at a local folder", v, property)
			return
		}
		path := filepath.FromSlash(v)
		if !filepath.IsAbs(path) {
			path = filepath.Join(l.dir, path)
		}
		fn.CodeDir = filepath.Clean(path)
		l.checkCodeDir(fn, property, v, notRunnable)
	case unresolved:
		notRunnable("%s %s cannot be resolved locally: point %s at a local folder", property, v, property)
	case map[string]any:
		if serverless {
			bucket, _ := stringify(v["Bucket"])
			key, _ := stringify(v["Key"])
			notRunnable("code is in S3 (s3://%s/%s): point CodeUri at a local folder", bucket, key)
			return
		}
		if _, ok := v["ZipFile"]; ok {
			notRunnable("inline code (Code.ZipFile) is not supported: move the code into a folder and point Code at it")
			return
		}
		bucket, _ := stringify(v["S3Bucket"])
		key, _ := stringify(v["S3Key"])
		notRunnable("code is in S3 (s3://%s/%s): point Code at a local folder", bucket, key)
	default:
		notRunnable("%s is not a path to a folder", property)
	}
}

// checkCodeDir says why fn.CodeDir cannot hold a handler, if it cannot.
func (l *loader) checkCodeDir(fn *lambdadeck.Function, property, written string, notRunnable func(string, ...any)) {
	fi, err := os.Stat(fn.CodeDir)
	switch {
	case err != nil:
		notRunnable("%s %s does not exist", property, written)
	case !fi.IsDir() && strings.EqualFold(filepath.Ext(fn.CodeDir), ".zip"):
		notRunnable("%s %s is a zip archive: unpack it and point %s at the folder", property, written, property)
	case !fi.IsDir():
		notRunnable("%s %s is not a folder", property, written)
	}
}

// environment reads Environment.Variables, stringifying values as SAM does.
func (l *loader) environment(function string, v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		l.warn("%s: Environment is not a map; ignored", function)
		return nil
	}
	vars, ok := m["Variables"].(map[string]any)
	if !ok {
		if m["Variables"] != nil {
			l.warn("%s: Environment.Variables is not a map; ignored", function)
		}
		return nil
	}
	env := make(map[string]string, len(vars))
	for _, k := range sortedKeys(vars) {
		s, ok := stringify(vars[k])
		if !ok && vars[k] != nil {
			l.warn("%s: environment variable %s is not a string, number or boolean; set to an empty string", function, k)
		}
		env[k] = s
	}
	return env
}

// wholeNumber reads a whole number from an integer, a float without a
// fraction or a string holding one ("30").
func wholeNumber(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// unwrapPathError drops the path an *fs.PathError repeats.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
