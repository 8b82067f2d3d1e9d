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

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/examples"
	"github.com/lambdadeck/lambdadeck/invoker"
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
	template string
	db       string
	stateDir string
	verbose  bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.template, "t", "", "the SAM `template` (default: template.yaml or template.yml here, else the built-in examples)")
	fs.StringVar(&c.template, "template", "", "same as -t")
	fs.StringVar(&c.db, "db", filepath.Join(".lambdadeck", "lambdadeck.db"), "the SQLite `file` that keeps invocations")
	fs.BoolVar(&c.verbose, "v", false, "log what lambdadeck does")
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
	tpl, err := sam.Load(path)
	if err != nil {
		return nil, err
	}
	return &project{templatePath: tpl.Path, builtIn: builtIn, functions: tpl.Functions, warnings: tpl.Warnings}, nil
}

// openParts opens the store and the invoker for p.
// onTemplateChange, if not nil, is called when the template file changes
// (once the invoker's Watch runs).
func (a *App) openParts(ctx context.Context, c *commonFlags, p *project, logger *slog.Logger, onTemplateChange func()) (*store.DB, *invoker.Invoker, error) {
	db, err := store.Open(ctx, c.db)
	if err != nil {
		return nil, nil, err
	}
	iv, err := invoker.New(invoker.Config{
		Functions:        p.functions,
		Recorder:         db,
		StateDir:         c.stateDirectory(),
		CacheDir:         cacheDirectory(),
		Logger:           logger,
		TemplatePath:     p.templatePath,
		OnTemplateChange: onTemplateChange,
	})
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
	case lambdadeck.EINVALID, lambdadeck.ENOTFOUND, lambdadeck.ETOOLARGE:
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
