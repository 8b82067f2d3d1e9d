package invoker

import (
	"fmt"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// dependencyHint explains an error about a module that cannot be found when
// the function's manifest names it as a dependency: why it is not there
// (builds are off, it is a devDependency, the code runs unbuilt) and what
// to do. It is empty for every other error.
func (iv *Invoker) dependencyHint(fn lambdadeck.Function, spec launchSpec, fe *lambdadeck.FunctionError) string {
	if fe == nil || fe.Type == BuildErrorType {
		return ""
	}
	codeDir := fn.CodeDir
	if orig, ok := iv.cat.Load().funcs[fn.Name]; ok {
		codeDir = orig.CodeDir // the user's folder, not the build's
	}
	dep, ok := build.MissingDependency(codeDir, fn.Runtime, fe.Message)
	if !ok {
		return ""
	}
	install := "npm install"
	if dep.Manifest == "requirements.txt" {
		install = "pip install -r requirements.txt -t ."
	}
	switch {
	case iv.cfg.NoBuild:
		return fmt.Sprintf("lambdadeck: %s is named in %s but not installed: lambdadeck's build did not run (--no-build). Run without --no-build so lambdadeck installs it as sam build does, or run %s in %s.",
			dep.Name, dep.Manifest, install, codeDir)
	case dep.Dev:
		return fmt.Sprintf("lambdadeck: %s is a devDependency in %s, and builds install production dependencies only (npm --omit=dev, as sam build does): move it to dependencies.",
			dep.Name, dep.Manifest)
	case spec.build == nil:
		return fmt.Sprintf("lambdadeck: %s is named in %s but not installed: lambdadeck does not build this function, so run %s in %s.",
			dep.Name, dep.Manifest, install, codeDir)
	case spec.build.kind == build.Esbuild:
		return fmt.Sprintf("lambdadeck: %s is named in %s but is not in the esbuild bundle (is it in BuildProperties.External?): on Lambda it must then come from a layer.",
			dep.Name, dep.Manifest)
	}
	return fmt.Sprintf("lambdadeck: %s is named in %s but not installed in the build folder %s.", dep.Name, dep.Manifest, spec.codeDir)
}
