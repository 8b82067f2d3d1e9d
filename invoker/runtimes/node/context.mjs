// context.mjs builds the context object a handler receives (reference §3.4)
// and, for Node.js 22 and older, the callback, succeed, fail and done
// functions with Lambda's rules for which call counts (§3.3).

/**
 * BeforeExitListener holds the one action to run when the event loop drains
 * (process 'beforeExit'): the runtime sets it per invocation.
 */
export class BeforeExitListener {
  #action = () => {};

  set(action) {
    this.#action = action;
  }

  reset() {
    this.#action = () => {};
  }

  invoke() {
    this.#action();
  }
}

function parseJSONHeader(value, name) {
  if (value === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

/**
 * forwardTraceId copies Lambda-Runtime-Trace-Id into _X_AMZN_TRACE_ID, or
 * removes the variable when the invocation has no trace.
 */
export function forwardTraceId(headers, env) {
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) {
    env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete env._X_AMZN_TRACE_ID;
  }
}

/**
 * attachInvokeData adds the invocation's fields to base (in Lambda's order,
 * which shows in JSON.stringify(context)). It throws when the client context
 * or identity header is not JSON; the caller reports that as the
 * invocation's error.
 */
export function attachInvokeData(base, headers, env, { withTraceId = false } = {}) {
  const deadline = headers['lambda-runtime-deadline-ms'];
  const data = {
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJSONHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseJSONHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    // Not clamped: past the deadline it goes negative, as on Lambda.
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  if (withTraceId) {
    data.xRayTraceId = headers['lambda-runtime-trace-id'];
  }
  forwardTraceId(headers, env);
  return Object.assign(base, data);
}

/**
 * createCallbackContext returns the completion functions of one
 * invocation. respond(result) posts a result (throwing at once if it cannot
 * be serialised); reportError(error) posts an error. With legacy set (Node.js
 * 22 and older) the context also carries callbackWaitsForEmptyEventLoop,
 * succeed, fail and done.
 *
 * Only the first call of callback/succeed/fail/done counts; a result
 * reported twice anyway (the loop drained, then a late callback) is logged
 * and dropped.
 */
export function createCallbackContext({ respond, reportError, beforeExit, legacy }) {
  let reported = false;
  const complete = (result) => {
    if (reported) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    reported = true;
    respond(result);
  };

  let waitForEmptyEventLoop = true;
  const callback = (err, result) => {
    beforeExit.reset();
    if (err !== undefined && err !== null) {
      reportError(err);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      // Respond once everything the handler started has finished.
      beforeExit.set(() => setImmediate(() => complete(result)));
    }
  };
  const done = (err, result) => {
    beforeExit.reset();
    if (err !== undefined && err !== null) {
      reportError(err);
    } else {
      complete(result);
    }
  };
  const succeed = (result) => done(null, result);
  const fail = (err) => done(err === undefined || err === null ? 'handled' : err, null);

  // A call that throws (an unserialisable result) does not count, so the
  // error path that follows can still report.
  let finished = false;
  const firstCallOnly =
    (fn) =>
    (...args) => {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };

  const context = {};
  if (legacy) {
    Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', {
      get: () => waitForEmptyEventLoop,
      set: (value) => {
        waitForEmptyEventLoop = value;
      },
      enumerable: true,
      configurable: true,
    });
    context.succeed = firstCallOnly(succeed);
    context.fail = firstCallOnly(fail);
    context.done = firstCallOnly(done);
  }
  return {
    context,
    callback: firstCallOnly(callback),
    succeed: firstCallOnly(succeed),
    fail: firstCallOnly(fail),
    markCompleted: () => {
      reported = true;
    },
  };
}
