// runtime.mjs is the invocation loop: wait for an event, call the handler
// with Lambda's semantics (reference §3.3, §3.6, §3.7), report the outcome,
// repeat.
//
// The event loop matters here. While a handler runs, the runtime itself
// holds nothing open: no /next request is in flight (it is sent only after
// the outcome is posted) and the kept-alive socket is unref'd while idle. So
// 'beforeExit' fires exactly when the handler's own work has drained, which is
// when Lambda answers callback handlers (callbackWaitsForEmptyEventLoop) and
// sync handlers that never called back. Posting the outcome and the next
// /next keep the loop alive from then on.

import { attachInvokeData, createCallbackContext } from './context.mjs';
import { NodeJsExit } from './errors.mjs';
import { writeAll } from './logging.mjs';
import { RuntimeAPIError } from './runtime-client.mjs';
import { FAIL, ResponseStream } from './streaming.mjs';

/** EXIT_UNCAUGHT_EXCEPTION is the exit status after an uncaught exception. */
export const EXIT_UNCAUGHT_EXCEPTION = 129;
/** EXIT_UNHANDLED_REJECTION is the exit status after an unhandled rejection. */
export const EXIT_UNHANDLED_REJECTION = 128;

const isPromise = (value) => Boolean(value) && typeof value.then === 'function';

/**
 * Runtime runs one handler for the life of the process. legacy selects the
 * Node.js 22-and-older programming model (callbacks, context.succeed...);
 * without it handlers are awaited, as on Node.js 24.
 */
export class Runtime {
  constructor({ client, logger, beforeExit, env, legacy }) {
    this.client = client;
    this.logger = logger;
    this.beforeExit = beforeExit;
    this.env = env;
    this.legacy = legacy;
    this.handler = undefined;
    this.metadata = undefined;
    // Where a process-level failure must be reported: the init, the current
    // invocation (by id, or its response stream), or nowhere while polling.
    this.requestId = undefined;
    this.stream = undefined;
    this.streamDone = undefined;
    this.polling = false;
  }

  /** start begins the loop with a loaded handler. */
  start(handler, metadata) {
    this.handler = handler;
    this.metadata = metadata;
    this.scheduleIteration();
  }

  scheduleIteration() {
    setImmediate(() => {
      const once = this.metadata.streaming ? this.handleOnceStreaming() : this.handleOnce();
      once.catch((err) => {
        if (err instanceof RuntimeAPIError) {
          this.fatal(err);
          return;
        }
        console.log(`Unexpected Top Level Error: ${err}`);
        this.failProcess(err, EXIT_UNCAUGHT_EXCEPTION);
      });
    });
  }

  async next() {
    this.polling = true;
    try {
      return await this.client.nextInvocation();
    } finally {
      this.polling = false;
    }
  }

  /** fatal ends the process after the Runtime API failed us. */
  fatal(err) {
    writeAll(2, `lambdadeck node bootstrap: ${err.message}\n`);
    process.exit(1);
  }

  // report sends an outcome and then carries on; a Runtime API failure ends
  // the process.
  report(post, then) {
    post.then(then, (err) => this.fatal(err));
  }

  /**
   * failProcess reports an uncaught exception or unhandled rejection where
   * it belongs (init error, the invocation's error, or its stream's
   * trailers) and exits with code.
   */
  failProcess(error, code) {
    const exit = () => process.exit(code);
    if (this.polling) {
      // Between invocations there is nobody to tell, and the one socket is
      // busy with /next.
      exit();
    } else if (this.stream) {
      this.stream[FAIL](error);
      this.streamDone.then(exit, exit);
    } else if (this.requestId !== undefined) {
      this.client.postInvocationError(error, this.requestId).then(exit, exit);
    } else {
      this.client.postInitError(error).then(exit, exit);
    }
  }

  /** nextInvocation waits for the next event and makes it the current one. */
  async nextInvocation() {
    const { body, headers } = await this.next();
    const requestId = headers['lambda-runtime-aws-request-id'];
    if (!requestId) {
      throw new RuntimeAPIError('GET /next: no Lambda-Runtime-Aws-Request-Id header');
    }
    this.requestId = requestId;
    this.logger.setRequest(requestId, headers['lambda-runtime-aws-tenant-id']);
    return { body, headers, requestId };
  }

  async handleOnce() {
    const { body, headers, requestId } = await this.nextInvocation();

    const scheduleNext = () => this.scheduleIteration();
    const { context, callback, succeed, fail, markCompleted } = createCallbackContext({
      respond: (result) => this.report(this.client.postInvocationResponse(result, requestId), scheduleNext),
      reportError: (error) => {
        this.logger.logError('Invoke Error', error);
        this.report(this.client.postInvocationError(error, requestId), scheduleNext);
      },
      beforeExit: this.beforeExit,
      legacy: this.legacy,
    });

    // If the loop drains before the handler reports: a sync handler that
    // never called back answers null; a pending async promise is an error.
    this.beforeExit.set(() => {
      markCompleted();
      if (this.metadata.isAsync || !this.legacy) {
        const error = new NodeJsExit();
        this.logger.logError('Invoke Error', error);
        this.report(this.client.postInvocationError(error, requestId), scheduleNext);
      } else {
        this.report(this.client.postInvocationResponse(null, requestId), scheduleNext);
      }
    });

    try {
      const event = JSON.parse(body);
      const ctx = attachInvokeData(context, headers, this.env, { withTraceId: !this.legacy });
      const result = this.legacy ? this.handler(event, ctx, callback) : this.handler(event, ctx);
      if (isPromise(result)) {
        result.then(succeed, fail).catch(fail);
      } else if (!this.legacy) {
        // Node.js 24 awaits the handler: a plain return value is the result.
        try {
          succeed(result);
        } catch (err) {
          fail(err);
        }
      }
    } catch (err) {
      if (this.legacy) {
        callback(err);
      } else {
        fail(err);
      }
    }
  }

  async handleOnceStreaming() {
    const { body, headers, requestId } = await this.nextInvocation();

    const { req, done } = this.client.openResponseStream(requestId);
    // On Node.js 22 and older the open response request keeps the process
    // alive, as in Lambda's client there: a handler that never ends its
    // stream (its promise pending, or settled with the stream still open)
    // runs into the timeout. On Node.js 24, where Lambda treats unsettled
    // promises alike for streaming and buffered handlers, the request must
    // not keep the loop alive by itself (pending writes still do), so that
    // a promise that never settles drains the loop as it does elsewhere.
    let handlerRunning = true;
    if (!this.legacy) {
      req.on('socket', (socket) => {
        if (handlerRunning) {
          socket.unref();
        }
      });
    }
    const stream = new ResponseStream(req, this.metadata.highWaterMark);
    this.stream = stream;
    this.streamDone = done;
    const failStream = (error) => {
      this.logger.logError('Invoke Error', error);
      stream[FAIL](error);
    };

    let waitForEmptyEventLoop = true;
    const context = {};
    if (this.legacy) {
      Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', {
        get: () => waitForEmptyEventLoop,
        set: (value) => {
          waitForEmptyEventLoop = value;
        },
        enumerable: true,
        configurable: true,
      });
    } else {
      waitForEmptyEventLoop = false;
    }

    // A handler whose promise never settles: when the loop drains, carry on
    // (an open stream is ended with the error Lambda gives for that).
    let drained;
    const loopDrained = new Promise((resolve) => {
      drained = resolve;
    });
    this.beforeExit.set(() => drained({ drained: true }));

    try {
      const event = JSON.parse(body);
      const ctx = attachInvokeData(context, headers, this.env, { withTraceId: !this.legacy });
      const result = this.handler(event, stream, ctx);
      if (!isPromise(result)) {
        failStream('Streaming does not support non-async handlers.');
      } else {
        const settled = await Promise.race([Promise.resolve(result).then((value) => ({ value })), loopDrained]);
        if (settled.drained) {
          if (!stream.writableEnded) {
            failStream(new NodeJsExit());
          }
        } else {
          if (settled.value !== undefined) {
            console.warn('Streaming handlers ignore return values.');
          }
          // Lambda's Node.js 22 client waits for the Runtime API's answer,
          // which comes only once the stream has ended, before it checks the
          // stream: an open stream waits (for a late end(), or the timeout).
          if (!stream.writableEnded && !this.legacy) {
            failStream('Response stream is not finished.');
          }
        }
      }
    } catch (err) {
      failStream(err);
    }

    handlerRunning = false;
    req.socket?.ref();
    try {
      await done;
    } catch (err) {
      this.fatal(err);
    }
    this.stream = undefined;
    this.beforeExit.reset();
    if (waitForEmptyEventLoop) {
      this.beforeExit.set(() => setImmediate(() => this.scheduleIteration()));
    } else {
      this.scheduleIteration();
    }
  }
}
