// logging.mjs replaces the console methods with Lambda's log records (TEXT or
// JSON, filtered by AWS_LAMBDA_LOG_LEVEL) and writes them synchronously, so
// every line is in the log pipe before the runtime posts a result.

import fs from 'node:fs';
import util from 'node:util';
import { intoError, toFormatted } from './errors.mjs';

const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});

// Libraries such as Powertools read the current request id from this global
// symbol, as Lambda's runtime client publishes it there.
const REQUEST_ID_SYMBOL = Symbol.for('aws.lambda.runtime.requestId');

/**
 * writeAll writes text to a file descriptor completely. The log pipe is
 * normally blocking, but user code touching process.stdout can make libuv
 * switch it to non-blocking, so EAGAIN is retried rather than lost.
 */
export function writeAll(fd, text) {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') {
        throw err;
      }
    }
  }
}

// Error values inside a JSON record keep their details instead of becoming {}.
function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/**
 * Logger holds the log format, level and the current request (whose id
 * prefixes each record) and patches the global console.
 */
export class Logger {
  constructor(env, fd = 1) {
    this.fd = fd;
    this.json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
    this.minLevel = LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
    this.requestId = undefined;
    this.tenantId = undefined;
  }

  /** setRequest makes id (and tenant) the prefix of the records that follow. */
  setRequest(requestId, tenantId) {
    this.requestId = requestId;
    this.tenantId = tenantId;
    globalThis[REQUEST_ID_SYMBOL] = requestId;
  }

  /** record renders one log record, without its final newline. */
  record(level, message, params) {
    const timestamp = new Date().toISOString();
    const line = this.json
      ? this.jsonRecord(timestamp, level, message, params)
      : `${timestamp}\t${this.requestId}\t${level.name}\t${util.format(message, ...params)}`;
    // One record is one line: inner newlines become carriage returns.
    return line.replace(/\n/g, '\r');
  }

  jsonRecord(timestamp, level, message, params) {
    const record = { timestamp, level: level.name, requestId: this.requestId };
    if (this.tenantId !== undefined) {
      record.tenantId = this.tenantId;
    }
    if (params.length === 0) {
      record.message = message;
      try {
        return JSON.stringify(record, jsonErrorReplacer);
      } catch {
        record.message = util.format(message);
        return JSON.stringify(record);
      }
    }
    record.message = util.format(message, ...params);
    const error = params.find((param) => param instanceof Error);
    if (error) {
      record.errorType = error?.constructor?.name ?? 'UnknownError';
      record.errorMessage = error.message;
      record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
    }
    return JSON.stringify(record);
  }

  log(level, message, params) {
    writeAll(this.fd, this.record(level, message, params) + '\n');
  }

  /** patchConsole routes console.* (and the new console.fatal) through the logger. */
  patchConsole(target = console) {
    const method = (level) =>
      level.priority >= this.minLevel.priority ? (message, ...params) => this.log(level, message, params) : () => {};
    target.trace = method(LEVELS.TRACE);
    target.debug = method(LEVELS.DEBUG);
    target.info = method(LEVELS.INFO);
    target.log = target.info;
    target.warn = method(LEVELS.WARN);
    target.error = method(LEVELS.ERROR);
    // FATAL is never filtered.
    target.fatal = (message, ...params) => this.log(LEVELS.FATAL, message, params);
  }

  /**
   * logError writes the runtime's record of a failure ("Invoke Error",
   * "Uncaught Exception", ...) through console.error, so the level filter
   * applies to it as it does on Lambda.
   */
  logError(label, error) {
    if (this.json) {
      console.error(intoError(error));
    } else {
      console.error(label, toFormatted(intoError(error)));
    }
  }
}
