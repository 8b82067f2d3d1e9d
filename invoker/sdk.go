package invoker

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lambdadeck/lambdadeck"
	"github.com/lambdadeck/lambdadeck/invoker/build"
)

// NodeSDKVersion is the version of the AWS SDK for JavaScript v3 that
// lambdadeck provides to Node.js handlers, as Lambda's Node.js 18+ runtimes
// provide one in /var/runtime/node_modules. Lambda's runtimes carry the
// whole SDK at a version that moves with each runtime release; lambdadeck
// pins the clients handlers use most, all at one release.
const NodeSDKVersion = "3.1162.0"

// nodeSDKPackages are the runtime-provided SDK's packages, pinned.
var nodeSDKPackages = []string{
	"@aws-sdk/client-dynamodb@" + NodeSDKVersion,
	"@aws-sdk/lib-dynamodb@" + NodeSDKVersion,
	"@aws-sdk/client-s3@" + NodeSDKVersion,
	"@aws-sdk/client-sqs@" + NodeSDKVersion,
	"@aws-sdk/client-sns@" + NodeSDKVersion,
	"@aws-sdk/client-lambda@" + NodeSDKVersion,
	"@aws-sdk/client-secrets-manager@" + NodeSDKVersion,
	"@aws-sdk/client-ssm@" + NodeSDKVersion,
	"@aws-sdk/client-eventbridge@" + NodeSDKVersion,
	"@aws-sdk/client-sts@" + NodeSDKVersion,
}

// NPMInstaller installs pinned npm packages once into cacheDir and returns
// the folder whose node_modules holds them (build.InstallNPMPackages).
type NPMInstaller func(ctx context.Context, cacheDir string, packages []string) (string, error)

// sdkCache installs the runtime-provided SDK once per Invoker, when the
// first Node.js function that uses it starts.
type sdkCache struct {
	mu      sync.Mutex
	done    bool
	modules string
	err     error
}

// get installs the SDK through install, once; later calls share the
// outcome (a failed install is not retried until lambdadeck restarts: npm
// would fail the same way on every cold start).
func (c *sdkCache) get(install func() (string, error)) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.done = true
		dir, err := install()
		if err == nil {
			c.modules = filepath.Join(dir, "node_modules")
		}
		c.err = err
	}
	return c.modules, c.err
}

// nodeSDK returns the node_modules folder of the runtime-provided SDK for
// a new instance of fn, installing it first if need be; "" when fn does
// not need it or it cannot be had (the instance's log says why).
//
// It is installed lazily, at the first cold start of a function whose code
// mentions "@aws-sdk/" outside its own node_modules: most functions never
// need it, and installing it costs seconds and about 40 MB, so neither
// lambdadeck's start nor functions without it pay. A function whose own
// node_modules (or a layer) has the SDK still resolves its own copy first,
// as on Lambda: the provided SDK comes last in the resolution order.
func (iv *Invoker) nodeSDK(fn lambdadeck.Function, in *instance) string {
	if iv.cfg.CacheDir == "" || iv.cfg.NoBuild || !mentionsSDK(fn.CodeDir) {
		return ""
	}
	install := iv.cfg.InstallNPM
	if install == nil {
		install = func(ctx context.Context, cacheDir string, packages []string) (string, error) {
			return build.InstallNPMPackages(ctx, cacheDir, packages, iv.cfg.OnBuild)
		}
	}
	modules, err := iv.sdk.get(func() (string, error) {
		iv.log.Info("installing the AWS SDK for JavaScript v"+NodeSDKVersion+" that Lambda's Node.js runtimes provide", "cache", iv.cfg.CacheDir)
		return install(context.Background(), iv.cfg.CacheDir, nodeSDKPackages)
	})
	if err != nil {
		in.between.WritePlatform("lambdadeck: the AWS SDK for JavaScript that Lambda provides could not be installed, so @aws-sdk/* resolves only from the function's own node_modules: " + err.Error() + "\n")
		return ""
	}
	return modules
}

// maxSDKScan bounds how many files mentionsSDK reads.
const maxSDKScan = 2000

// mentionsSDK reports whether a JavaScript or TypeScript file under dir,
// outside node_modules, names an @aws-sdk/ package.
func mentionsSDK(dir string) bool {
	found, seen := false, 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if path != dir && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts":
		default:
			return nil
		}
		if seen++; seen > maxSDKScan {
			return filepath.SkipAll
		}
		if info, err := d.Info(); err != nil || info.Size() > 4<<20 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), "@aws-sdk/") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
