// bootstrap.mjs is lambdadeck's Node.js runtime: run as
// `node bootstrap.mjs` in the function's code folder with Lambda's
// environment, it loads the handler named by _HANDLER and serves invocations
// from the Runtime API at AWS_LAMBDA_RUNTIME_API, as AWS Lambda's own Node.js
// runtime does. It needs nothing beyond Node's standard library.

import * as nodeModule from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeforeExitListener } from './context.mjs';
import { CallbackHandlerDeprecated, UnhandledPromiseRejection } from './errors.mjs';
import { handlerMetadata, installAwsLambdaGlobal, loadHandler } from './handler.mjs';
import { Logger, writeAll } from './logging.mjs';
import { installMounts } from './mounts.mjs';
import { EXIT_UNCAUGHT_EXCEPTION, EXIT_UNHANDLED_REJECTION, Runtime } from './runtime.mjs';
import { RuntimeClient } from './runtime-client.mjs';

const CALLBACK_WARNING =
  'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. You will need ' +
  'to update this function to use an async handler to use Node.js 24 or later. For more information and to provide ' +
  'feedback on this change, see https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To ' +
  'disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.';

const CALLBACK_REMOVED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to ' +
  'modify this function to use a supported handler signature to use Node.js 24 or later. For more information see ' +
  'https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/**
 * declaredNodeMajor is the Node.js major version of the function's declared
 * runtime (AWS_EXECUTION_ENV=AWS_Lambda_nodejs24.x gives 24), whatever node
 * actually runs it; 0 when unknown.
 */
function declaredNodeMajor(executionEnv) {
  const match = /^AWS_Lambda_nodejs(\d+)/.exec(executionEnv ?? '');
  return match ? Number(match[1]) : 0;
}

// errorOnDeprecatedCallback refuses callback handlers (three or more
// parameters, not async, not streaming) on Node.js 24 and later.
function errorOnDeprecatedCallback(metadata) {
  if (metadata.argsNum >= 3 && !metadata.isAsync && !metadata.streaming) {
    throw new CallbackHandlerDeprecated(CALLBACK_REMOVED);
  }
}

/**
 * registerResolveHook makes ES module imports search NODE_PATH's layer and
 * runtime-provided SDK folders, as Lambda's Node.js 18+ runtimes do
 * (resolve-hook.mjs). It needs module.register (Node.js 18.19, 20.6 and
 * later); it is skipped when NODE_PATH holds nothing beyond the runtime and
 * task root folders, which ES modules reach without it.
 */
function registerResolveHook(env) {
  const own = new Set([env.LAMBDA_RUNTIME_DIR, env.LAMBDA_TASK_ROOT]);
  const folders = (env.NODE_PATH ?? '').split(path.delimiter).filter((f) => f && !own.has(f));
  if (folders.length === 0 || typeof nodeModule.register !== 'function') {
    return;
  }
  nodeModule.register('./resolve-hook.mjs', import.meta.url, { data: { folders } });
}

async function main() {
  const env = process.env;
  installMounts(env, '_LAMBDADECK_MOUNTS');
  registerResolveHook(env);
  const legacy = declaredNodeMajor(env.AWS_EXECUTION_ENV) < 24;

  const logger = new Logger(env);
  logger.patchConsole();

  let client;
  try {
    client = new RuntimeClient(env.AWS_LAMBDA_RUNTIME_API);
  } catch (err) {
    writeAll(2, `lambdadeck node bootstrap: ${err.message}\n`);
    process.exit(1);
  }

  const beforeExit = new BeforeExitListener();
  const runtime = new Runtime({ client, logger, beforeExit, env, legacy });

  process.on('uncaughtException', (error) => {
    logger.logError('Uncaught Exception', error);
    runtime.failProcess(error, EXIT_UNCAUGHT_EXCEPTION);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logger.logError('Unhandled Promise Rejection', error);
    runtime.failProcess(error, EXIT_UNHANDLED_REJECTION);
  });
  process.on('beforeExit', () => beforeExit.invoke());

  installAwsLambdaGlobal(env);
  const appRoot = env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  let metadata;
  try {
    // User modules appear to be required from this file ("Require stack").
    handler = await loadHandler(appRoot, env._HANDLER ?? '', fileURLToPath(import.meta.url));
    metadata = handlerMetadata(handler);
    if (!legacy) {
      errorOnDeprecatedCallback(metadata);
    }
  } catch (error) {
    logger.logError(legacy ? 'Uncaught Exception' : 'Init Error', error);
    runtime.failProcess(error, EXIT_UNCAUGHT_EXCEPTION);
    return;
  }

  // Older runtimes only warn, once, about exactly three parameters.
  const callbackStyle = metadata.argsNum === 3 && !metadata.isAsync && !metadata.streaming;
  if (legacy && callbackStyle && env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined) {
    console.warn(CALLBACK_WARNING);
  }
  runtime.start(handler, metadata);
}

await main();
