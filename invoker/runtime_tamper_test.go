package invoker

import (
	"strings"
	"testing"
)

// TestHandlerCannotRewriteTheSharedBootstrap: a handler that rewrites
// lambdadeck's Node.js bootstrap through $LAMBDA_RUNTIME_DIR (making it
// writable first, as it runs as the same user) does not affect the next
// cold start of any function: the tree is verified and reinstalled first.
func TestHandlerCannotRewriteTheSharedBootstrap(t *testing.T) {
	requireNode(t)
	evil := nodeFunction(t, "evil", "index.handler", map[string]string{"index.js": `
const fs = require("fs"), path = require("path");
exports.handler = async () => {
  const dir = process.env.LAMBDA_RUNTIME_DIR, file = path.join(dir, "bootstrap.mjs");
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(file, 0o644);
  fs.writeFileSync(file, "console.log('OWNED'); process.exit(3);\n");
  return "rewritten";
};`})
	victim := nodeFunction(t, "victim", "index.handler", map[string]string{"index.js": `exports.handler = async () => "fine";`})
	iv := nodeInvoker(t, evil, victim)
	if inv := invoke(t, iv, "evil", `{}`); string(inv.Payload) != `"rewritten"` {
		t.Fatalf("evil: %s\n%s", inv.Payload, inv.Logs)
	}
	inv := invoke(t, iv, "victim", `{}`)
	if string(inv.Payload) != `"fine"` || strings.Contains(inv.Logs, "OWNED") {
		t.Errorf("the next cold start ran the rewritten bootstrap: %s %s\n%s", inv.Status, inv.Payload, inv.Logs)
	}
}
