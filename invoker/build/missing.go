package build

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Dependency is a module a function's error says is missing, as its
// manifest names it.
type Dependency struct {
	Name     string // the package ("ms", "@scope/pkg", "requests")
	Manifest string // package.json or requirements.txt
	Dev      bool   // a devDependency, which builds leave out
}

var (
	nodeMissing   = regexp.MustCompile(`Cannot find (?:module|package) '([^']+)'`)
	pythonMissing = regexp.MustCompile(`No module named '([^']+)'`)
)

// MissingDependency reports whether message (a function's error) says a
// module cannot be found that the manifest in codeDir names as a
// dependency: package.json for Node.js runtimes, requirements.txt for
// Python ones.
func MissingDependency(codeDir, runtime, message string) (Dependency, bool) {
	switch {
	case strings.HasPrefix(runtime, "nodejs"):
		m := nodeMissing.FindStringSubmatch(message)
		if m == nil || strings.HasPrefix(m[1], ".") || strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "node:") {
			return Dependency{}, false
		}
		parts := strings.Split(m[1], "/")
		name := parts[0]
		if strings.HasPrefix(name, "@") && len(parts) > 1 {
			name += "/" + parts[1]
		}
		data, err := os.ReadFile(filepath.Join(codeDir, "package.json"))
		if err != nil {
			return Dependency{}, false
		}
		var pkg struct {
			Dependencies, DevDependencies, OptionalDependencies, PeerDependencies map[string]string
		}
		if json.Unmarshal(data, &pkg) != nil {
			return Dependency{}, false
		}
		d := Dependency{Name: name, Manifest: "package.json"}
		for _, deps := range []map[string]string{pkg.Dependencies, pkg.OptionalDependencies, pkg.PeerDependencies} {
			if _, ok := deps[name]; ok {
				return d, true
			}
		}
		if _, ok := pkg.DevDependencies[name]; ok {
			d.Dev = true
			return d, true
		}
	case strings.HasPrefix(runtime, "python"):
		m := pythonMissing.FindStringSubmatch(message)
		if m == nil {
			return Dependency{}, false
		}
		module := normalizePython(strings.Split(m[1], ".")[0])
		data, err := os.ReadFile(filepath.Join(codeDir, "requirements.txt"))
		if err != nil {
			return Dependency{}, false
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
				continue
			}
			if i := strings.IndexAny(line, "=<>!~[;@ \t"); i >= 0 {
				line = line[:i]
			}
			if normalizePython(line) == module {
				return Dependency{Name: strings.TrimSpace(line), Manifest: "requirements.txt"}, true
			}
		}
	}
	return Dependency{}, false
}

// normalizePython compares distribution and module names as pip does
// (PEP 503): case, '-', '_' and '.' do not matter.
func normalizePython(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(name))
}
