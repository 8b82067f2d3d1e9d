// handler.mjs finds the user's handler from the handler string, exactly as
// Lambda's Node.js runtime does (reference §3.2), and describes how it must be
// called (async, streaming, number of parameters).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.mjs';
import { HttpResponseStream } from './streaming.mjs';

/** STREAMING marks a handler wrapped by awslambda.streamifyResponse. */
export const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
/** HIGH_WATER_MARK carries the highWaterMark option of streamifyResponse. */
export const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
/** STREAM_RESPONSE is the only streaming mode Lambda supports. */
export const STREAM_RESPONSE = 'response';

/**
 * installAwsLambdaGlobal defines globalThis.awslambda (streamifyResponse and
 * HttpResponseStream) before user code loads, unless the function opted out
 * with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA.
 */
export function installAwsLambdaGlobal(env) {
  const optOut = env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (optOut === '1' || optOut === 'true') {
    return;
  }
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HIGH_WATER_MARK] = Number.parseInt(options.highWaterMark, 10);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

/**
 * nearestPackageIsModule reports whether the package.json nearest to folder
 * says "type": "module"; the walk stops at node_modules and at the root.
 */
function nearestPackageIsModule(folder) {
  for (;;) {
    if (folder.endsWith(`${path.sep}node_modules`)) {
      return false;
    }
    const packageJSON = path.join(folder, 'package.json');
    if (fs.existsSync(packageJSON)) {
      try {
        return JSON.parse(fs.readFileSync(packageJSON, 'utf8'))?.type === 'module';
      } catch (err) {
        console.warn(`${packageJSON} cannot be read, it will be ignored for ES module detection purposes.`, err);
        return false;
      }
    }
    const parent = path.dirname(folder);
    if (parent === folder) {
      return false;
    }
    folder = parent;
  }
}

/**
 * loadModule loads the module of a handler in Lambda's order: the bare path
 * (file or folder) with require; .js with require unless the package is a
 * module, else with import; .mjs with import; .cjs with require; and last
 * Node's own resolution from the task root and module root.
 */
async function loadModule(require, appRoot, moduleRoot, moduleName) {
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const requireIfExists = (file) => (fs.existsSync(file) ? require(file) : undefined);
  const importIfExists = async (file) => (fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined);

  const bare = requireIfExists(base);
  if (bare) {
    return bare;
  }
  const isModule = nearestPackageIsModule(path.dirname(base));
  const loaded =
    (isModule ? await importIfExists(base + '.js') : requireIfExists(base + '.js')) ||
    (await importIfExists(base + '.mjs')) ||
    requireIfExists(base + '.cjs');
  if (loaded) {
    return loaded;
  }
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

/**
 * userRequireStack drops requireFrom (lambdadeck's bootstrap) from a
 * "Require stack" that names the user's files too: a dependency missing from
 * the user's module then reads as the user's own error, ending at the user's
 * file. A handler module that is missing keeps the one line, as Lambda's
 * names its runtime there.
 */
function userRequireStack(err, requireFrom) {
  const lines = String(err.message).split('\n');
  const kept = lines.filter((line) => line !== `- ${requireFrom}`);
  if (kept.length < lines.length && kept[kept.length - 1].startsWith('- ')) {
    err.message = kept.join('\n');
  }
  return err;
}

/**
 * loadHandler resolves fullHandler ("src/handlers/app.handler",
 * "index.a.b") under appRoot and returns the handler function. requireFrom
 * is the file that user modules appear to be required from (it shows in
 * "Require stack"). Failures are the Runtime.* errors Lambda reports.
 */
export async function loadHandler(appRoot, fullHandler, requireFrom) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(handlerString));
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) {
    throw new MalformedHandlerName('Bad handler');
  }
  const [, moduleName, exportPath] = match;

  let exported;
  try {
    exported = await loadModule(createRequire(requireFrom), appRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new UserCodeSyntaxError(err);
    } else if (err?.code === 'MODULE_NOT_FOUND') {
      throw new ImportModuleError(userRequireStack(err, requireFrom));
    }
    throw err;
  }

  const handler = exportPath.split('.').reduce((object, key) => object && object[key], exported);
  if (!handler) {
    throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${fullHandler} is not a function`);
  }
  return handler;
}

/**
 * handlerMetadata says how a handler is called: streaming ("response" or
 * false), its highWaterMark, whether it is an async function, and how many
 * parameters it declares.
 */
export function handlerMetadata(handler) {
  const marker = handler[STREAMING];
  let streaming = false;
  if (marker === STREAM_RESPONSE) {
    streaming = STREAM_RESPONSE;
  } else if (marker !== undefined && marker !== null && marker !== false) {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  const highWaterMark = Number.parseInt(handler[HIGH_WATER_MARK], 10);
  let isAsync = false;
  try {
    isAsync = handler.constructor?.name === 'AsyncFunction';
  } catch {
    isAsync = false;
  }
  return {
    streaming,
    highWaterMark: Number.isNaN(highWaterMark) ? undefined : highWaterMark,
    isAsync,
    argsNum: handler.length,
  };
}
