package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// InstallNPMPackages installs pinned npm packages ("esbuild@0.28.2") once
// into cacheDir and returns the folder whose node_modules holds them (their
// commands are in node_modules/.bin). Later calls with the same packages,
// from this process or another, return the same folder without running npm;
// concurrent callers wait on a file lock for one install. npm is the user's,
// from PATH, with the user's configuration (registry, proxy, auth).
func InstallNPMPackages(ctx context.Context, cacheDir string, packages []string, progress Progress) (string, error) {
	if cacheDir == "" {
		return "", errors.New("build: no cache directory for npm packages")
	}
	if len(packages) == 0 {
		return "", errors.New("build: no npm packages to install")
	}
	for _, p := range packages {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n\x00") {
			return "", fmt.Errorf("build: invalid npm package %q", p)
		}
	}
	cache, err := filepath.Abs(cacheDir)
	if err != nil {
		return "", fmt.Errorf("build: cache directory: %w", err)
	}
	b := &Builder{cacheDir: cache, tools: map[string]string{}}
	return b.installNPMPackages(ctx, packages, progress)
}

func (b *Builder) installNPMPackages(ctx context.Context, packages []string, progress Progress) (string, error) {
	sorted := slices.Clone(packages)
	slices.Sort(sorted)
	target := "npm packages " + strings.Join(sorted, " ")
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", b.fail(target, "npm install", "", errors.New("npm is not on PATH"), progress)
	}
	h := newHasher("npm-packages")
	h.add(sorted...)
	name := safeFileName(strings.Join(sorted, "+"))
	if len(name) > 80 {
		name = name[:80]
	}
	return b.cached(ctx, filepath.Join(b.cacheDir, "npm"), name, h.sum(), target, false, progress, func(ctx context.Context, tmp string) error {
		manifest := []byte(`{"name":"lambdadeck-cache","private":true}` + "\n")
		if err := os.WriteFile(filepath.Join(tmp, "package.json"), manifest, 0o644); err != nil {
			return fail(target, "npm install", tmp, err, progress)
		}
		argv := append([]string{npm, "install", "--no-audit", "--no-fund", "--save-exact"}, sorted...)
		return b.run(ctx, target, step{name: "npm install", argv: argv, dir: tmp}, progress)
	})
}

// packageJSON is what a build reads from a package.json.
type packageJSON struct {
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

func readPackageJSON(path string) (packageJSON, error) {
	var p packageJSON
	data, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
