package sam

import (
	"encoding/json"
	"os"
	"sort"
	"strings"

	"github.com/lambdadeck/lambdadeck"
)

// EnvVars is SAM's --env-vars file: {"Parameters": {...}} sets variables of
// every function, {"FunctionLogicalIDOrName": {...}} of one, and wins over
// Parameters; both win over the template's Environment.Variables.
type EnvVars map[string]map[string]string

// ReadEnvVars reads an --env-vars file. String values are taken as they
// are; numbers and booleans as their JSON text; null as "".
func ReadEnvVars(path string) (EnvVars, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "cannot read --env-vars file %s: %v", path, unwrapPathError(err))
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s is not SAM's env-vars JSON ({\"FunctionName\": {\"KEY\": \"VALUE\"}, \"Parameters\": {...}}): %v", path, err)
	}
	out := EnvVars{}
	for section, vars := range doc {
		m := map[string]string{}
		for k, v := range vars {
			switch v := v.(type) {
			case string:
				m[k] = v
			case nil:
				m[k] = ""
			case map[string]any, []any:
				return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "%s: %s.%s must be a string, number or boolean", path, section, k)
			default:
				b, _ := json.Marshal(v)
				m[k] = string(b)
			}
		}
		out[section] = m
	}
	return out, nil
}

// applyEnvVars sets the variables of an --env-vars file on the functions,
// and warns about sections that match no function.
func (l *loader) applyEnvVars(fns []lambdadeck.Function) {
	if len(l.opts.EnvVars) == 0 {
		return
	}
	used := map[string]bool{"Parameters": true}
	for i := range fns {
		fn := &fns[i]
		sections := []string{"Parameters", fn.LogicalID}
		if fn.Name != fn.LogicalID {
			sections = append(sections, fn.Name) // the name wins over the logical ID
		}
		for _, section := range sections {
			vars, ok := l.opts.EnvVars[section]
			if !ok {
				continue
			}
			used[section] = true
			if fn.Environment == nil {
				fn.Environment = map[string]string{}
			}
			for k, v := range vars {
				fn.Environment[k] = v
			}
		}
	}
	var unused []string
	for section := range l.opts.EnvVars {
		if !used[section] {
			unused = append(unused, section)
		}
	}
	sort.Strings(unused)
	for _, section := range unused {
		l.warn("--env-vars: %q matches no function's logical ID or FunctionName; its variables are not used", section)
	}
}

// ParseParameterOverrides reads SAM's --parameter-overrides: items of the
// form Key=Value or ParameterKey=Key,ParameterValue=Value, each its own
// argument or several in one separated by spaces.
func ParseParameterOverrides(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, arg := range args {
		for _, item := range strings.Fields(arg) {
			if rest, ok := strings.CutPrefix(item, "ParameterKey="); ok {
				key, value, ok := strings.Cut(rest, ",ParameterValue=")
				if !ok || key == "" {
					return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "--parameter-overrides %q: want ParameterKey=KEY,ParameterValue=VALUE", item)
				}
				out[key] = value
				continue
			}
			key, value, ok := strings.Cut(item, "=")
			if !ok || key == "" {
				return nil, lambdadeck.Errorf(lambdadeck.EINVALID, "--parameter-overrides %q: want KEY=VALUE", item)
			}
			out[key] = value
		}
	}
	return out, nil
}

// WarningsAbout returns the warnings that concern fn (they start with its
// name or logical ID, or name a layer it uses) or the command line's
// options (they start with "--"), for a command that runs fn alone.
func WarningsAbout(warnings []string, fn lambdadeck.Function) []string {
	prefixes := []string{fn.Name + ":", fn.Name + " (", "--"}
	if fn.LogicalID != "" {
		prefixes = append(prefixes, fn.LogicalID+":", fn.LogicalID+" (")
	}
	for _, l := range fn.Layers {
		if l.LogicalID != "" {
			prefixes = append(prefixes, "layer "+l.LogicalID+":")
		}
	}
	var out []string
	for _, w := range warnings {
		for _, p := range prefixes {
			if strings.HasPrefix(w, p) || strings.Contains(w, ", "+p) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}
