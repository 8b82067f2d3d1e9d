package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/examples"
	"github.com/lambdadeck/lambdadeck/invoker"
	"github.com/lambdadeck/lambdadeck/invoker/awsenv"
	"github.com/lambdadeck/lambdadeck/invoker/build"
	"github.com/lambdadeck/lambdadeck/invoker/expect"
	"github.com/lambdadeck/lambdadeck/invoker/sam"
	"github.com/lambdadeck/lambdadeck/store"
)

// App holds one command's streams and the parts it opened.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// commonFlags are the flags every command that loads functions shares.
type commonFlags struct {
	template    string
	db          string
	stateDir    string
	verbose     bool
	busyTimeout time.Duration
	noBuild     bool
	aws         *awsFlags // nil for commands that run no function
	// streamLimitMB is the largest streamed response, in MB.
	streamLimitMB int
}

// awsFlags are the flags of commands that run functions: what the
// runtime and AWS look like to handlers.
type awsFlags struct {
	profile    string
	region     string
	endpoints  keyValueFlag
	envVars    string
	parameters listFlag
	layerDirs  keyValueFlag
	mounts     keyValueFlag
}

// registerAWS adds the flags of commands that run functions.
func (c *commonFlags) registerAWS(fs *flag.FlagSet) {
	c.aws = &awsFlags{endpoints: keyValueFlag{}, layerDirs: keyValueFlag{}, mounts: keyValueFlag{}}
	f := c.aws
	fs.StringVar(&f.profile, "profile", "", "the AWS `profile` whose credentials and Region handlers get (default: AWS_PROFILE, else default)")
	fs.StringVar(&f.region, "region", "", "the AWS `Region` handlers run in (default: the profile's, else "+lambdadeck.DefaultRegion+")")
	fs.Var(&f.endpoints, "aws-endpoint", "send a service's SDK calls to a local stand-in: `SERVICE=URL` (dynamodb=http://127.0.0.1:8000; repeatable)")
	fs.StringVar(&f.envVars, "env-vars", "", "function variables from a SAM-style JSON `file` ({\"FunctionLogicalIDOrName\": {\"KEY\": \"VALUE\"}, \"Parameters\": {...}})")
	fs.Var(&f.parameters, "parameter-overrides", "template parameters, or stand-ins for a deployed stack's values: `Key=Value` (Table=orders, Table.Arn=arn:...; repeatable)")
	fs.Var(&f.layerDirs, "layer-dir", "a local copy of a layer the template gives by ARN (or a LayerVersion's logical ID): `ARN=FOLDER` (repeatable)")
	fs.Var(&f.mounts, "mount", "serve a FileSystemConfigs mount from a local folder: `/mnt/PATH=FOLDER` (repeatable)")
}

// keyValueFlag collects repeated KEY=VALUE flags.
type keyValueFlag map[string]string

func (f keyValueFlag) String() string { return "" }

func (f keyValueFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if strings.HasPrefix(k, "http:") || strings.HasPrefix(k, "https:") {
		// --aws-endpoint URL alone, for every service
		f[""] = v
		return nil
	}
	f[k] = val
	return nil
}

// listFlag collects repeated flags.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, " ") }

func (f *listFlag) Set(v string) error {
	*f = append(*f, v)
	return nil
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.template, "t", "", "the SAM `template` (default: template.yaml or template.yml here, else the built-in examples)")
	fs.StringVar(&c.template, "template", "", "same as -t")
	fs.StringVar(&c.db, "db", filepath.Join(".lambdadeck", "lambdadeck.db"), "the SQLite `file` that keeps invocations")
	fs.BoolVar(&c.verbose, "v", false, "log what lambdadeck does")
	fs.IntVar(&c.streamLimitMB, "stream-limit", invoker.DefaultStreamLimit>>20,
		"the largest response a response streaming handler may stream, in `MB` (Lambda's 200 MB; buffered responses keep 6 MB)")
	fs.DurationVar(&c.busyTimeout, "db-busy-timeout", 10*time.Second, "how `long` a write waits for the database while another process holds its lock, before it fails")
}

// registerNoBuild adds --no-build, for the commands that run functions.
func (c *commonFlags) registerNoBuild(fs *flag.FlagSet) {
	fs.BoolVar(&c.noBuild, "no-build", false, "run each function's CodeUri as it is: install, bundle and compile nothing (see lambdadeck build)")
}

// newFlagSet returns a flag set that prints its usage to stderr and reports
// errors instead of exiting. The flag package's own error line is silenced:
// fail prints the error once, after the usage.
func (a *App) newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.SetOutput(a.Stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags that may come before or after positional arguments
// (lambdadeck invoke NAME --event x), returning the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// stateDir is where lambdadeck keeps its files: beside the database.
func (c *commonFlags) stateDirectory() string {
	if c.stateDir != "" {
		return c.stateDir
	}
	return filepath.Dir(c.db)
}

// project is what a command loaded: the template and its functions.
type project struct {
	templatePath string
	builtIn      bool
	functions    []lambdadeck.Function
	warnings     []string
	options      sam.Options // how the template is loaded, again on reload
	aws          *awsenv.Env // nil for commands that run no function
	http         sam.HTTP    // the template's APIs and Function URLs
}

// loadProject loads the template named by -t, the one in the working
// directory, or the built-in examples.
func (c *commonFlags) loadProject() (*project, error) {
	path, builtIn := c.template, false
	if path == "" {
		if p, ok := sam.Find("."); ok {
			path = p
		} else {
			var err error
			path, err = examples.WriteTo(filepath.Join(c.stateDirectory(), "examples"))
			if err != nil {
				return nil, fmt.Errorf("writing the built-in examples: %w", err)
			}
			builtIn = true
		}
	}
	p := &project{}
	if c.aws != nil {
		if err := c.aws.apply(p, path); err != nil {
			return nil, err
		}
	}
	tpl, err := sam.LoadWith(path, p.options)
	if err != nil {
		return nil, err
	}
	p.templatePath, p.builtIn, p.functions, p.warnings = tpl.Path, builtIn, tpl.Functions, tpl.Warnings
	p.http = tpl.HTTP
	return p, nil
}

// apply reads the AWS flags, and the "$aws" entry of lambdadeck.env.json
// beside the template, into p's template options and AWS environment.
func (f *awsFlags) apply(p *project, templatePath string) error {
	proj, err := awsenv.ReadProject(expect.EnvironmentFile(templatePath))
	if err != nil {
		return err
	}
	endpoints := map[string]string{}
	for k, v := range f.endpoints {
		service, url, err := awsenv.ParseEndpoint(k + "=" + v)
		if k == "" {
			service, url, err = awsenv.ParseEndpoint(v)
		}
		if err != nil {
			return err
		}
		endpoints[service] = url
	}
	opts := proj.Merge(awsenv.Options{Profile: f.profile, Region: f.region, Endpoints: endpoints})
	if p.aws, err = awsenv.New(context.Background(), opts); err != nil {
		return err
	}
	p.options.Region = p.aws.Region()
	if p.options.Parameters, err = sam.ParseParameterOverrides(f.parameters); err != nil {
		return err
	}
	if f.envVars != "" {
		if p.options.EnvVars, err = sam.ReadEnvVars(f.envVars); err != nil {
			return err
		}
	}
	if p.options.LayerDirs, err = absoluteFolders("--layer-dir", f.layerDirs); err != nil {
		return err
	}
	p.options.Mounts, err = absoluteFolders("--mount", f.mounts)
	return err
}

// absoluteFolders makes the folders of KEY=FOLDER flags absolute.
func absoluteFolders(flagName string, m map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range m {
		if v == "" {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s= names no folder", flagName, k)
		}
		abs, err := filepath.Abs(v)
		if err != nil {
			return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s %s=%s: %v", flagName, k, v, err)
		}
		out[k] = abs
	}
	return out, nil
}

// openStore opens the database named by --db.
func (c *commonFlags) openStore(ctx context.Context) (*store.DB, error) {
	if c.busyTimeout <= 0 {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "--db-busy-timeout must be positive, like 10s")
	}
	return store.OpenWith(ctx, c.db, store.Options{BusyTimeout: c.busyTimeout})
}

// tightenStateDir makes lambdadeck's own state folder (.lambdadeck, which
// holds the database, the bootstraps and the builds) private to the user,
// as the store creates it; an older lambdadeck made it world-readable. A
// folder of another name is the user's (--db elsewhere) and is left alone.
func tightenStateDir(dir string) error {
	if filepath.Base(dir) != ".lambdadeck" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() == 0o700 {
		return nil // a missing one is created private
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("cannot make the state folder %s private: %w", dir, err)
	}
	return nil
}

// openParts opens the store and the invoker for p.
// onTemplateChange, if not nil, is called when the template file changes
// (once the invoker's Watch runs). queue, for the server only, runs the
// durable async queue's dispatcher with that retry delay; zero leaves Event
// invocations to the server.
func (a *App) openParts(ctx context.Context, c *commonFlags, p *project, logger *slog.Logger, onTemplateChange func(), retryDelay time.Duration) (*store.DB, *invoker.Invoker, error) {
	if err := tightenStateDir(c.stateDirectory()); err != nil {
		return nil, nil, err
	}
	if c.streamLimitMB < 1 || c.streamLimitMB > 10240 {
		return nil, nil, usageError(fmt.Errorf("--stream-limit must be between 1 and 10240 MB, not %d", c.streamLimitMB))
	}
	db, err := c.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg := invoker.Config{
		StreamLimit:      int64(c.streamLimitMB) << 20,
		Functions:        p.functions,
		Recorder:         db,
		StateDir:         c.stateDirectory(),
		CacheDir:         cacheDirectory(),
		NoBuild:          c.noBuild,
		OnBuild:          build.Printer(a.Stderr),
		Logger:           logger,
		TemplatePath:     p.templatePath,
		OnTemplateChange: onTemplateChange,
	}
	if p.aws != nil {
		cfg.AWS = p.aws
	}
	if retryDelay > 0 {
		cfg.Queue, cfg.RetryDelay = db, retryDelay
	}
	iv, err := invoker.New(cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, iv, nil
}

// cacheDirectory is lambdadeck's cache shared by every project:
// $LAMBDADECK_CACHE_DIR, else the user's cache folder's lambdadeck/; empty
// when there is neither (builds that need the cache then say so).
func cacheDirectory() string {
	if dir := os.Getenv("LAMBDADECK_CACHE_DIR"); dir != "" {
		return dir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "lambdadeck")
}

func (a *App) logger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))
}

// fail prints err for the user and returns the exit status it calls for.
func (a *App) fail(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg := err.Error()
	var le *lambdadeck.Error
	if errors.As(err, &le) {
		msg = le.Message
	}
	fmt.Fprintf(a.Stderr, "lambdadeck: %s\n", strings.TrimSpace(msg))
	switch lambdadeck.ErrorCode(err) {
	case lambdadeck.EINVALID, lambdadeck.ENOTFOUND, lambdadeck.ETOOLARGE, lambdadeck.EUNAUTHORIZED, lambdadeck.EFORBIDDEN:
		return exitUsage
	}
	return exitInternal
}

func readFileOrStdin(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, lambdadeck.MaxSyncPayload+1))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read %s: %v", name, errors.Unwrap(err))
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, lambdadeck.MaxSyncPayload+1))
}
