package invoker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdadeck/lambdadeck"
)

// What the managed runtime provides (the AWS SDK, layers under /opt, file
// systems under /mnt, AWS credentials), tested with real node and python3
// processes against a local stand-in for DynamoDB.

// writeTree writes files (relative path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for rel, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// staticAWS is an AWSEnvironment with fixed variables.
type staticAWS map[string]string

func (s staticAWS) Variables(context.Context) map[string]string {
	out := map[string]string{}
	for k, v := range s {
		out[k] = v
	}
	return out
}

// dynamoStub speaks enough of DynamoDB's JSON protocol (GetItem, PutItem)
// for an SDK client to call it, and remembers what it was asked.
type dynamoStub struct {
	mu    sync.Mutex
	calls []string // "Target table accessKeyID"
	items map[string]map[string]any
}

func newDynamoStub(t *testing.T) (*dynamoStub, string) {
	s := &dynamoStub{items: map[string]map[string]any{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *dynamoStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		TableName string         `json:"TableName"`
		Key       map[string]any `json:"Key"`
		Item      map[string]any `json:"Item"`
	}
	json.Unmarshal(body, &req)
	target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	keyID := ""
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		keyID, _, _ = strings.Cut(after, "/")
	}
	s.mu.Lock()
	s.calls = append(s.calls, target+" "+req.TableName+" "+keyID)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch target {
	case "PutItem":
		id, _ := json.Marshal(req.Item["id"])
		s.items[req.TableName+string(id)] = req.Item
		w.Write([]byte(`{}`))
	case "GetItem":
		id, _ := json.Marshal(req.Key["id"])
		item, ok := s.items[req.TableName+string(id)]
		if !ok {
			w.Write([]byte(`{}`))
			break
		}
		json.NewEncoder(w).Encode(map[string]any{"Item": item})
	default:
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"com.amazon.coral.validate#ValidationException","message":"unsupported"}`))
	}
	s.mu.Unlock()
}

func (s *dynamoStub) called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// testSDKInstall is the NPMInstaller of these tests: the runtime-provided
// SDK's pinned packages are installed once per machine into
// os.UserCacheDir()/lambdadeck-test/, shared by every test run.
func testSDKInstall(t *testing.T) NPMInstaller {
	return func(ctx context.Context, _ string, packages []string) (string, error) {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		root := filepath.Join(cache, "lambdadeck-test")
		dir := filepath.Join(root, "aws-sdk-js-"+NodeSDKVersion)
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-dynamodb", "package.json")); err == nil {
			return dir, nil
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			return "", err
		}
		staging, err := os.MkdirTemp(root, "aws-sdk-js.install-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(staging)
		os.WriteFile(filepath.Join(staging, "package.json"), []byte(`{"private":true}`), 0o644)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", append([]string{"install", "--no-audit", "--no-fund", "--ignore-scripts", "--save-exact"}, packages...)...)
		cmd.Dir = staging
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 10 * time.Second
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("npm install: %v\n%s", err, out.String())
		}
		if err := os.Rename(staging, dir); err != nil {
			if _, statErr := os.Stat(dir); statErr != nil {
				return "", err
			}
		}
		return dir, nil
	}
}

const sdkHandlerCJS = `
const { DynamoDBClient, PutItemCommand, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const client = new DynamoDBClient({});
exports.handler = async (event) => {
  await client.send(new PutItemCommand({ TableName: process.env.TABLE, Item: { id: { S: event.id }, msg: { S: 'from cjs' } } }));
  const got = await client.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: event.id } } }));
  return { msg: got.Item.msg.S, sdk: require('@aws-sdk/client-dynamodb/package.json').version };
};
`

const sdkHandlerESM = `
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async (event) => {
  await doc.send(new PutCommand({ TableName: process.env.TABLE, Item: { id: event.id, msg: 'from esm' } }));
  const got = await doc.send(new GetItemCommand({ TableName: process.env.TABLE, Key: { id: { S: event.id } } }));
  return { msg: got.Item.msg.S };
};
`

func TestRuntimeProvidedSDKNode(t *testing.T) {
	requireNode(t)
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH: the runtime-provided SDK is installed with npm")
	}
	stub, url := newDynamoStub(t)
	aws := staticAWS{"AWS_ACCESS_KEY_ID": "AKIDLOCALTEST", "AWS_SECRET_ACCESS_KEY": "local-secret",
		"AWS_ENDPOINT_URL_DYNAMODB": url}
	env := func(fn *lambdadeck.Function) { fn.Environment = map[string]string{"TABLE": "orders"} }
	cjs := nodeFunction(t, "sdk-cjs", "index.handler", map[string]string{"index.js": sdkHandlerCJS}, env)
	esm := nodeFunction(t, "sdk-esm", "app.handler", map[string]string{"app.mjs": sdkHandlerESM}, env)
	plain := nodeFunction(t, "no-sdk", "index.handler", map[string]string{"index.js": `exports.handler = async () => process.env.NODE_PATH;`})
	installs := 0
	install := testSDKInstall(t)
	iv, err := New(Config{Functions: []lambdadeck.Function{cjs, esm, plain}, StateDir: t.TempDir(), AWS: aws,
		CacheDir: t.TempDir(), InstallNPM: func(ctx context.Context, dir string, pkgs []string) (string, error) {
			installs++
			return install(ctx, dir, pkgs)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })

	// A function that does not mention the SDK does not install it.
	inv := nodeInvoke(t, iv, "no-sdk", `{}`)
	if inv.Status != lambdadeck.StatusSucceeded || strings.Contains(string(inv.Payload), "aws-sdk") || installs != 0 {
		t.Fatalf("no-sdk: %s %s (installs %d)\n%s", inv.Status, inv.Payload, installs, inv.Logs)
	}
	inv = nodeInvoke(t, iv, "sdk-cjs", `{"id":"1"}`)
	if inv.Status != lambdadeck.StatusSucceeded || !strings.Contains(string(inv.Payload), `"msg":"from cjs"`) ||
		!strings.Contains(string(inv.Payload), `"sdk":"`+NodeSDKVersion+`"`) {
		t.Fatalf("CommonJS: %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	inv = nodeInvoke(t, iv, "sdk-esm", `{"id":"2"}`)
	if inv.Status != lambdadeck.StatusSucceeded || string(inv.Payload) != `{"msg":"from esm"}` {
		t.Fatalf("ES module: %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	if installs != 1 {
		t.Errorf("the SDK was installed %d times, want once", installs)
	}
	calls := strings.Join(stub.called(), "\n")
	for _, want := range []string{"PutItem orders AKIDLOCALTEST", "GetItem orders AKIDLOCALTEST"} {
		if !strings.Contains(calls, want) {
			t.Errorf("the stand-in was not called with %q; calls:\n%s", want, calls)
		}
	}

	// The function's own copy of a package comes before the provided SDK,
	// as on Lambda.
	own := nodeFunction(t, "own-sdk", "index.handler", map[string]string{
		"index.js": `exports.handler = async () => require('@aws-sdk/client-dynamodb').mine;`,
		"node_modules/@aws-sdk/client-dynamodb/package.json": `{"name":"@aws-sdk/client-dynamodb","version":"0.0.1","main":"index.js"}`,
		"node_modules/@aws-sdk/client-dynamodb/index.js":     `exports.mine = "the function's own";`,
	})
	if _, err := iv.Reload([]lambdadeck.Function{cjs, esm, plain, own}); err != nil {
		t.Fatal(err)
	}
	if inv := nodeInvoke(t, iv, "own-sdk", `{}`); string(inv.Payload) != `"the function's own"` {
		t.Errorf("own copy: %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
}

func TestRuntimeProvidedBoto3(t *testing.T) {
	fn := pythonFunction("boto", "python3.11", "app.handler", pyWriteCode(t, map[string]string{"app.py": `
import os
import boto3

client = boto3.client("dynamodb")

def handler(event, context):
    client.put_item(TableName=os.environ["TABLE"], Item={"id": {"S": event["id"]}, "msg": {"S": "from boto3"}})
    got = client.get_item(TableName=os.environ["TABLE"], Key={"id": {"S": event["id"]}})
    return {"msg": got["Item"]["msg"]["S"], "boto3": boto3.__version__}
`}))
	fn.Environment = map[string]string{"TABLE": "orders"}
	fn.Timeout = 20 * time.Second
	stub, url := newDynamoStub(t)
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(),
		AWS: staticAWS{"AWS_ACCESS_KEY_ID": "AKIDPYTHON", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL_DYNAMODB": url}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	it := iv.Interpreter(fn)
	if it.Err != nil {
		t.Skipf("no Python for python3.11: %v", it.Err)
	}
	if err := exec.Command(it.Path, "-c", "import boto3").Run(); err != nil {
		t.Skipf("%s has no boto3 (Lambda's runtime would provide it): the hint is tested by TestBoto3MissingHint", it.Path)
	}
	inv := invoke(t, iv, "boto", `{"id":"7"}`)
	if inv.Status != lambdadeck.StatusSucceeded || !strings.Contains(string(inv.Payload), `"msg": "from boto3"`) {
		t.Fatalf("%s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	if calls := strings.Join(stub.called(), "\n"); !strings.Contains(calls, "GetItem orders AKIDPYTHON") {
		t.Errorf("calls:\n%s", calls)
	}
}

func TestBoto3MissingHint(t *testing.T) {
	// A function importing boto3 on a Python without it fails with a hint
	// saying how to add it.
	dir := pyWriteCode(t, map[string]string{"app.py": "import boto3\ndef handler(e, c): return 1\n",
		// A boto3 that cannot be imported stands for a missing one, on any
		// machine.
		"boto3/__init__.py": "raise ImportError('No module named boto3', name='boto3')\n"})
	fn := pythonFunction("noboto", "python3.11", "app.handler", dir)
	iv := pyStartInvoker(t, fn)
	inv := invoke(t, iv, "noboto", `{}`)
	if inv.Error == nil || inv.Error.Type != "Runtime.ImportModuleError" ||
		!strings.Contains(inv.Error.Message, "boto3 is provided by Lambda's Python runtime") ||
		!strings.Contains(inv.Error.Message, "-m pip install boto3") {
		t.Fatalf("error = %+v", inv.Error)
	}
}

func TestLayersOnSearchPaths(t *testing.T) {
	requireNode(t)
	first := writeTree(t, t.TempDir(), map[string]string{
		"nodejs/node_modules/shared/index.js":           `module.exports = "first";`,
		"nodejs/node_modules/onlyfirst.js":              `module.exports = "only in the first";`,
		"python/lib/python3.11/site-packages/laymod.py": "WHO = 'first'\n",
		"python/plain_first.py":                         "WHO = 'plain first'\n",
		"bin/first-tool":                                "#!/bin/sh\necho first\n",
	})
	second := writeTree(t, t.TempDir(), map[string]string{
		"nodejs/node_modules/shared/index.js":           `module.exports = "second";`,
		"nodejs/node20/node_modules/versioned/index.js": `module.exports = "node20 folder";`,
		"nodejs/node_modules/esm-lib/package.json":      `{"name":"esm-lib","type":"module","exports":"./index.js"}`,
		"nodejs/node_modules/esm-lib/index.js":          `export const who = "esm from a layer";`,
		"python/lib/python3.11/site-packages/laymod.py": "WHO = 'second'\n",
		"lib/libfake.so": "",
	})
	layers := []lambdadeck.Layer{{Name: "first", ContentDir: first}, {Name: "second", ContentDir: second}}
	withLayers := func(fn *lambdadeck.Function) { fn.Layers = layers }
	cjs := nodeFunction(t, "layers-cjs", "index.handler", map[string]string{"index.js": `
exports.handler = async () => ({
  shared: require('shared'), onlyFirst: require('onlyfirst'), versioned: require('versioned'),
  path: process.env.PATH, ld: process.env.LD_LIBRARY_PATH,
});`}, withLayers)
	esm := nodeFunction(t, "layers-esm", "index.handler", map[string]string{"index.mjs": `
import shared from 'shared';
import { who } from 'esm-lib';
export const handler = async () => ({ shared, who });`}, withLayers)
	py := pythonFunction("layers-py", "python3.11", "app.handler", pyWriteCode(t, map[string]string{"app.py": `
import os, sys
import laymod, plain_first
def handler(event, context):
    return {"laymod": laymod.WHO, "plain": plain_first.WHO, "leak": "_LAMBDADECK_PYTHON_LAYERS" in os.environ,
            "after_root": sys.path[1]}
`}))
	py.Layers = layers
	iv := nodeInvoker(t, cjs, esm, py)

	inv := nodeInvoke(t, iv, "layers-cjs", `{}`)
	var got struct{ Shared, OnlyFirst, Versioned, Path, LD string }
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatalf("%s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	// The later layer overrides the earlier, as its files are extracted later.
	if got.Shared != "second" || got.OnlyFirst != "only in the first" || got.Versioned != "node20 folder" {
		t.Errorf("CommonJS resolution: %+v", got)
	}
	if !strings.HasSuffix(got.Path, ":"+filepath.Join(first, "bin")) || !strings.HasSuffix(got.LD, filepath.Join(second, "lib")) {
		t.Errorf("PATH %q, LD_LIBRARY_PATH %q: want the layers' bin and lib last", got.Path, got.LD)
	}
	inv = nodeInvoke(t, iv, "layers-esm", `{}`)
	if string(inv.Payload) != `{"shared":"second","who":"esm from a layer"}` {
		t.Errorf("ES modules: %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	inv = invoke(t, iv, "layers-py", `{}`)
	var pgot struct {
		Laymod, Plain string
		Leak          bool
		AfterRoot     string `json:"after_root"`
	}
	if err := json.Unmarshal(inv.Payload, &pgot); err != nil {
		t.Fatalf("%s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	if pgot.Laymod != "second" || pgot.Plain != "plain first" || pgot.Leak ||
		pgot.AfterRoot != filepath.Join(second, "python", "lib", "python3.11", "site-packages") {
		t.Errorf("Python: %+v", pgot)
	}
}

func TestMountMapping(t *testing.T) {
	requireNode(t)
	local := writeTree(t, t.TempDir(), map[string]string{"hello.txt": "hello from the local folder", "sub/deep.txt": "deep"})
	mounts := []lambdadeck.FileSystem{{ARN: "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1", LocalMountPath: "/mnt/data", LocalDir: local}}
	withMount := func(fn *lambdadeck.Function) { fn.FileSystems = mounts }
	node := nodeFunction(t, "mount-node", "index.handler", map[string]string{"index.mjs": `
import fs, { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
export const handler = async () => {
  fs.writeFileSync('/mnt/data/from-node.txt', 'written by node');
  return {
    named: readFileSync('/mnt/data/hello.txt', 'utf8'),
    list: (await readdir('/mnt/data')).sort(),
    deep: fs.readFileSync(new URL('file:///mnt/data/sub/deep.txt'), 'utf8'),
    exists: fs.existsSync('/mnt/data/sub'),
    leak: '_LAMBDADECK_MOUNTS' in process.env,
  };
};`}, withMount)
	py := pythonFunction("mount-py", "python3.11", "app.handler", pyWriteCode(t, map[string]string{"app.py": `
import os, pathlib, shutil
def handler(event, context):
    with open("/mnt/data/from-python.txt", "w") as f:
        f.write("written by python")
    shutil.copy("/mnt/data/hello.txt", "/mnt/data/copy.txt")
    return {
        "read": open("/mnt/data/hello.txt").read(),
        "pathlib": pathlib.Path("/mnt/data/sub/deep.txt").read_text(),
        "isdir": os.path.isdir("/mnt/data/sub"),
        "walk": sorted(f for _, _, files in os.walk("/mnt/data") for f in files),
        "leak": "_LAMBDADECK_MOUNTS" in os.environ,
    }
`}))
	py.FileSystems = mounts
	iv := nodeInvoker(t, node, py)
	inv := nodeInvoke(t, iv, "mount-node", `{}`)
	want := `{"named":"hello from the local folder","list":["from-node.txt","hello.txt","sub"],"deep":"deep","exists":true,"leak":false}`
	if string(inv.Payload) != want {
		t.Errorf("node: %s %s\nwant %s\n%s", inv.Status, inv.Payload, want, inv.Logs)
	}
	if data, _ := os.ReadFile(filepath.Join(local, "from-node.txt")); string(data) != "written by node" {
		t.Errorf("node's write reached %q", data)
	}
	inv = invoke(t, iv, "mount-py", `{}`)
	var got struct {
		Read, Pathlib string
		Isdir, Leak   bool
		Walk          []string
	}
	if err := json.Unmarshal(inv.Payload, &got); err != nil {
		t.Fatalf("%s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
	if got.Read != "hello from the local folder" || got.Pathlib != "deep" || !got.Isdir || got.Leak ||
		strings.Join(got.Walk, ",") != "copy.txt,deep.txt,from-node.txt,from-python.txt,hello.txt" {
		t.Errorf("python: %+v", got)
	}
}

// credentialsHandler reports what credentials it got without showing them:
// their digests.
const credentialsHandler = `
const crypto = require('node:crypto');
const digest = (s) => s === undefined ? null : crypto.createHash('sha256').update(s).digest('hex');
exports.handler = async () => ({
  key: digest(process.env.AWS_ACCESS_KEY_ID), secret: digest(process.env.AWS_SECRET_ACCESS_KEY),
  token: digest(process.env.AWS_SESSION_TOKEN), imds: process.env.AWS_EC2_METADATA_DISABLED ?? null,
  region: process.env.AWS_REGION, profile: process.env.AWS_PROFILE ?? null,
});`

func TestNoCredentialsDisablesMetadata(t *testing.T) {
	requireNode(t)
	fn := nodeFunction(t, "creds", "index.handler", map[string]string{"index.js": credentialsHandler})
	iv, err := New(Config{Functions: []lambdadeck.Function{fn}, StateDir: t.TempDir(), AWS: staticAWS{"AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iv.Close() })
	inv := nodeInvoke(t, iv, "creds", `{}`)
	// The Region is the function's (reserved), whatever the AWS variables say.
	if want := `{"key":null,"secret":null,"token":null,"imds":"true","region":"us-east-1","profile":null}`; string(inv.Payload) != want {
		t.Errorf("payload %s, want %s", inv.Payload, want)
	}
}
