// resolve-hook.mjs is an ES module resolution hook (module.register): a
// bare specifier that Node cannot resolve from the importing file is looked
// up in the folders of NODE_PATH, as Lambda's Node.js 18+ runtimes do, so
// that `import { S3Client } from "@aws-sdk/client-s3"` in an .mjs handler
// finds the runtime-provided SDK and the layers' node_modules. Node's own
// ES module resolver ignores NODE_PATH; require() already honours it.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

let folders = [];

/** initialize receives the NODE_PATH folders from the bootstrap. */
export async function initialize(data) {
  folders = Array.isArray(data?.folders) ? data.folders : [];
}

function isBare(specifier) {
  return !(
    specifier.startsWith('.') ||
    specifier.startsWith('/') ||
    specifier.startsWith('node:') ||
    specifier.startsWith('#') ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)
  );
}

/** resolve tries Node's resolution first, then each NODE_PATH folder. */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) {
      throw err;
    }
    for (const folder of folders) {
      // A parent inside the folder's parent makes Node look for
      // <folder>/<specifier> with full ES module semantics ("exports",
      // the "import" condition); a NODE_PATH entry names a node_modules
      // folder, or a folder holding one.
      const base = path.basename(folder) === 'node_modules' ? path.dirname(folder) : folder;
      const parentURL = pathToFileURL(path.join(base, 'lambdadeck-resolve.mjs')).href;
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // try the next folder
      }
    }
    throw err;
  }
}
