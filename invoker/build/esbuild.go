package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/lambdadeck/lambdadeck"
)

// EsbuildPackage is the esbuild lambdadeck installs into its cache when a
// project has none of its own (node_modules/.bin/esbuild).
const EsbuildPackage = "esbuild@0.28.2"

// snakeCase turns a BuildProperties key as templates write it
// (MainFields) into aws-lambda-builders' option name (main_fields), as SAM
// CLI does before handing the properties over.
func snakeCase(key string) string {
	var b strings.Builder
	for i, r := range key {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// esbuildConfig is the function's BuildProperties as aws-lambda-builders
// reads them (snake_case keys). As SAM CLI does, --enable-source-maps in
// NODE_OPTIONS turns Sourcemap on when the template does not say.
func esbuildConfig(fn lambdadeck.Function) map[string]any {
	cfg := map[string]any{}
	for k, v := range fn.BuildProperties {
		cfg[snakeCase(k)] = v
	}
	if _, set := cfg["sourcemap"]; !set && strings.Contains(fn.Environment["NODE_OPTIONS"], "--enable-source-maps") {
		cfg["sourcemap"] = true
	}
	return cfg
}

// SourceMaps reports whether fn's esbuild bundle carries source maps, so
// Node must run with --enable-source-maps for its stack traces to name the
// original (TypeScript) lines.
func SourceMaps(fn lambdadeck.Function) bool {
	if KindOf(fn) != Esbuild {
		return false
	}
	switch v := esbuildConfig(fn)["sourcemap"].(type) {
	case bool:
		return v
	case string:
		return v != "" && v != "false"
	}
	return false
}

// Options aws-lambda-builders sets itself, and options of its own that are
// not esbuild's (esbuild.py: NON_CONFIGURABLE_VALUES, ESBUILD_IGNORE_VALUES).
var (
	esbuildFixed   = []string{"bundle", "platform", "outdir"}
	esbuildIgnored = []string{"use_npm_ci", "entry_points"}
)

// esbuildArgs maps the build properties to esbuild's command line exactly
// as aws-lambda-builders' EsbuildCommandBuilder does: the entry points,
// then --bundle --platform=node --outdir and the defaults for what is not
// set (--target=es2020 --format=cjs --minify), then each property: a true
// boolean as --key, a string as --key=value, a list as --key:item per
// item, with keys in kebab-case. With "./node_modules/*" in External every
// dependency in package.json is external instead.
func esbuildArgs(cfg map[string]any, workDir, outDir string, deps []string) ([]string, error) {
	raw, ok := cfg["entry_points"]
	if !ok {
		return nil, errors.New("BuildProperties.EntryPoints is not set: esbuild needs the files to bundle")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errors.New("BuildProperties.EntryPoints must be a list")
	}
	if len(list) == 0 {
		return nil, errors.New("BuildProperties.EntryPoints must not be empty")
	}
	var args []string
	for _, e := range list {
		entry, ok := e.(string)
		if !ok || entry == "" {
			return nil, fmt.Errorf("BuildProperties.EntryPoints: %v is not a file name", e)
		}
		resolved, err := explicitFileType(entry, workDir)
		if err != nil {
			return nil, err
		}
		args = append(args, resolved)
	}
	args = append(args, "--bundle", "--platform=node", "--outdir="+outDir)
	if _, ok := cfg["target"]; !ok {
		args = append(args, "--target=es2020")
	}
	if _, ok := cfg["format"]; !ok {
		args = append(args, "--format=cjs")
	}
	if _, ok := cfg["minify"]; !ok {
		args = append(args, "--minify")
	}
	allExternal := false
	if ext, ok := cfg["external"].([]any); ok && slices.Contains(ext, any("./node_modules/*")) {
		allExternal = true
		for _, d := range deps {
			args = append(args, "--external:"+d)
		}
	}
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(esbuildFixed, k) || slices.Contains(esbuildIgnored, k) || (k == "external" && allExternal) {
			continue
		}
		flag := "--" + strings.ReplaceAll(k, "_", "-")
		switch v := cfg[k].(type) {
		case bool:
			if v {
				args = append(args, flag)
			}
		case string:
			args = append(args, flag+"="+v)
		case []any:
			for _, item := range v {
				s, ok := item.(string)
				if !ok {
					return nil, fmt.Errorf("BuildProperties: %v in %s is not a string", item, k)
				}
				args = append(args, flag+":"+s)
			}
		default:
			return nil, fmt.Errorf("BuildProperties: %s is %v, which is neither a boolean, a string nor a list", k, v)
		}
	}
	return args, nil
}

// explicitFileType gives an entry point without an extension the .ts or .js
// of the file that exists, as aws-lambda-builders does.
func explicitFileType(entry, dir string) (string, error) {
	path := filepath.Join(dir, entry)
	if filepath.Ext(entry) != "" {
		if exists(path) {
			return entry, nil
		}
		return "", fmt.Errorf("entry point %s does not exist", path)
	}
	for _, ext := range []string{".ts", ".js"} {
		if exists(path + ext) {
			return entry + ext, nil
		}
	}
	return "", fmt.Errorf("entry point %s does not exist", path)
}

// esbuildTool returns the project's own esbuild (node_modules/.bin/esbuild
// in the code folder), else the pinned one from lambdadeck's cache,
// installing it there the first time.
func (b *Builder) esbuildTool(ctx context.Context, fn lambdadeck.Function, progress Progress) (string, error) {
	own := filepath.Join(fn.CodeDir, "node_modules", ".bin", "esbuild")
	if st, err := os.Stat(own); err == nil && !st.IsDir() {
		return own, nil
	}
	if b.cacheDir == "" {
		return "", b.fail(fn.Name, "installing "+EsbuildPackage, "", errors.New("the project has no node_modules/.bin/esbuild and lambdadeck has no cache folder to install esbuild into (set LAMBDADECK_CACHE_DIR)"), progress)
	}
	dir, err := b.installNPMPackages(ctx, []string{EsbuildPackage}, b.tee(progress))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "node_modules", ".bin", "esbuild"), nil
}

// buildEsbuild bundles the function as aws-lambda-builders' esbuild
// workflow does: the code is copied (without node_modules) to a scratch
// folder, its production dependencies installed there, and esbuild bundles
// the entry points into the build folder. Without a package.json, esbuild
// bundles straight from the code folder.
func (b *Builder) buildEsbuild(ctx context.Context, fn lambdadeck.Function, progress Progress) (Result, error) {
	cfg := esbuildConfig(fn)
	hasManifest := exists(filepath.Join(fn.CodeDir, "package.json"))
	npm := ""
	if hasManifest {
		var err error
		if npm, err = exec.LookPath("npm"); err != nil {
			return Result{}, b.fail(fn.Name, "npm install", fn.CodeDir, errors.New("npm is not on PATH"), progress)
		}
	}
	esbuild, err := b.esbuildTool(ctx, fn, progress)
	if err != nil {
		return Result{}, err
	}
	props, _ := json.Marshal(cfg)
	hash, err := b.nodeHash(ctx, "esbuild", npm, fn, esbuild, b.toolVersion(ctx, esbuild, "--version"), string(props))
	if err != nil {
		return Result{}, b.fail(fn.Name, "reading the code", fn.CodeDir, err, progress)
	}
	final := filepath.Join(b.root, safeFileName(fn.Name)+"-"+hash)
	dir, err := b.once("function:"+fn.Name, hash, progress, func(progress Progress) (string, error) {
		return b.cached(ctx, b.root, fn.Name, hash, fn.Name, true, progress, func(ctx context.Context, tmp string) error {
			work := fn.CodeDir
			var deps []string
			if hasManifest {
				work = tmp + ".scratch"
				defer os.RemoveAll(work)
				if err := os.Mkdir(work, 0o755); err != nil {
					return fail(fn.Name, "copying the code", work, err, progress)
				}
				if err := copyTree(fn.CodeDir, work, b.sourceSkip); err != nil {
					return fail(fn.Name, "copying the code", fn.CodeDir, err, progress)
				}
				pkg, err := readPackageJSON(filepath.Join(work, "package.json"))
				if err != nil {
					return fail(fn.Name, "reading package.json", fn.CodeDir, err, progress)
				}
				for d := range pkg.Dependencies {
					deps = append(deps, d)
				}
				sort.Strings(deps)
				if err := b.npmInstall(ctx, fn.Name, npm, work, progress); err != nil {
					return err
				}
			}
			args, err := esbuildArgs(cfg, work, tmp, deps)
			if err != nil {
				return fail(fn.Name, "esbuild", fn.CodeDir, err, progress)
			}
			if err := b.run(ctx, fn.Name, step{name: "esbuild", argv: append([]string{esbuild}, args...), dir: work}, progress); err != nil {
				return err
			}
			if err := repointSourceMaps(tmp, final, work, fn.CodeDir); err != nil {
				return fail(fn.Name, "source maps", tmp, err, progress)
			}
			return nil
		})
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Kind: Esbuild, Dir: dir}, nil
}

// repointSourceMaps makes the source maps esbuild wrote in tmp name the
// user's own files: esbuild saw the sources in the scratch copy, which is
// gone once the build ends, and tmp is renamed to final.
func repointSourceMaps(tmp, final, work, codeDir string) error {
	return filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".map") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return nil // not a source map
		}
		sources, ok := m["sources"].([]any)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(tmp, filepath.Dir(path))
		finalDir := filepath.Join(final, rel)
		for i, s := range sources {
			src, ok := s.(string)
			if !ok || strings.Contains(src, ":") {
				continue
			}
			abs := filepath.Clean(filepath.Join(filepath.Dir(path), filepath.FromSlash(src)))
			if r, err := filepath.Rel(work, abs); err == nil && !strings.HasPrefix(r, "..") {
				abs = filepath.Join(codeDir, r)
			}
			if r, err := filepath.Rel(finalDir, abs); err == nil {
				sources[i] = filepath.ToSlash(r)
			}
		}
		out, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return os.WriteFile(path, out, 0o644)
	})
}
