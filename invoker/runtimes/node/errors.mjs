// errors.mjs defines the runtime's own error classes and turns any thrown
// value into the shapes Lambda uses: the body posted to /error (with "trace")
// and the "Invoke Error" log record (with "stack").

import util from 'node:util';

/** ImportModuleError: the handler's module could not be found. */
export class ImportModuleError extends Error {}
/** HandlerNotFound: the module has no such export, or it is not a function. */
export class HandlerNotFound extends Error {}
/** MalformedHandlerName: the handler string cannot be split or climbs with "..". */
export class MalformedHandlerName extends Error {}
/** UserCodeSyntaxError: the handler's module does not parse. */
export class UserCodeSyntaxError extends Error {}
/** MalformedStreamingHandler: a streaming marker other than "response". */
export class MalformedStreamingHandler extends Error {}
/** InvalidStreamingOperation: misuse of a response stream. */
export class InvalidStreamingOperation extends Error {}
/** CallbackHandlerDeprecated: a callback handler on Node.js 24 or later. */
export class CallbackHandlerDeprecated extends Error {}

/**
 * NodeJsExit: the event loop drained while an async handler's promise was
 * still pending.
 */
export class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise ' +
        'that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

/** UnhandledPromiseRejection wraps the reason of a rejection nobody handled. */
export class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(safeString(reason));
    this.reason = reason;
    this.promise = promise;
  }
}

// Lambda reports these as "Runtime.<Class>" through the prototype's name, so
// that constructor.name (used by JSON logs) stays the bare class name.
for (const errorClass of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  CallbackHandlerDeprecated,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  errorClass.prototype.name = `Runtime.${errorClass.name}`;
}

/** safeString is String(value) that never throws (null-prototype objects, symbols). */
export function safeString(value) {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isErrorLike(value) {
  return (
    value &&
    typeof value.name === 'string' &&
    value.name &&
    typeof value.message === 'string' &&
    value.message &&
    typeof value.stack === 'string' &&
    value.stack
  );
}

/**
 * toRapidResponse returns the body Lambda posts to /error for a thrown value:
 * {errorType, errorMessage, trace} for errors, and the typeof and String of
 * anything else (callback("oops") gives errorType "string"). DEL becomes
 * %7F, as the Runtime API rejects header values holding it.
 *
 * It reads the fields exactly as Lambda's client does (name?.replace,
 * stack.replace), so an Error without a stack, or whose name is not a
 * string, takes the same "problem while retrieving" answer as there.
 */
export function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replace(/\x7F/g, '%7F'),
        errorMessage: error.message?.replace(/\x7F/g, '%7F'),
        trace: error.stack.replace(/\x7F/g, '%7F').split('\n'),
      };
    }
    return {
      errorType: typeof error,
      errorMessage: error.toString(),
      trace: [],
    };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** intoError makes an Error of anything, as the log records of failures need one. */
export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

// Error's own fields are not enumerable, so JSON.stringify would drop them;
// the log record spells them out, with the stack split into lines.
function withEnumerableProperties(value) {
  if (!(value instanceof Error)) {
    return value;
  }
  const record = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
  if (typeof value.stack === 'string') {
    record.stack = value.stack.split('\n');
  }
  return record;
}

/**
 * toFormatted renders an error for a TEXT log line: a tab, then JSON with
 * errorType, errorMessage, any own properties and the stack as an array.
 */
export function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}
