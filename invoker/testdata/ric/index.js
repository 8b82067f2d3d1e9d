"use strict";

// Handlers that ric_test.go runs under the official Node.js Runtime Interface
// Client (npm: aws-lambda-ric) through lambdadeck's Runtime API.

// invocations counts the events this process has handled, to show warm reuse.
let invocations = 0;

// context returns what the RIC built from the Runtime API's headers.
exports.context = async (event, context) => {
  invocations++;
  console.log("context handler saw", JSON.stringify(event));
  return {
    event,
    awsRequestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
    invokedFunctionArn: context.invokedFunctionArn,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    clientContext: context.clientContext ?? null,
    identity: context.identity ?? null,
    traceId: process.env._X_AMZN_TRACE_ID ?? null,
    pid: process.pid,
    invocations,
  };
};

class OrderError extends Error {
  constructor(message) {
    super(message);
    this.name = "OrderError";
  }
}

// throws fails the way most handlers do: an async function that throws.
exports.throws = async (event) => {
  throw new OrderError(`order ${event.id} has no price`);
};

// callback answers through the callback, after the handler has returned.
exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { via: "callback", n: event.n }), 5);
};

// callbackError reports an error through the callback.
exports.callbackError = (event, context, callback) => {
  callback(new TypeError("callback failed"));
};

// stream streams its response in two writes (response streaming).
exports.stream = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType("text/plain");
  responseStream.write("hello ");
  await new Promise((resolve) => setTimeout(resolve, 10));
  responseStream.end(`streamed ${event.who}`);
});

// streamError fails after it has started streaming: the RIC reports the
// error in the request's trailers.
exports.streamError = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("partial");
  await new Promise((resolve) => setTimeout(resolve, 10));
  throw new RangeError("stream broke");
});
