// streaming.mjs is the response stream a streaming handler writes to
// (reference §3.7, §1.7): a Writable over a chunked POST /response whose
// failures travel as HTTP trailers, and awslambda.HttpResponseStream.

import { Writable } from 'node:stream';
import { InvalidStreamingOperation, toRapidResponse } from './errors.mjs';

const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8;

/** FAIL is the runtime's private method that ends a stream with error trailers. */
export const FAIL = Symbol('lambdadeck.responseStream.fail');

/**
 * HttpResponseStream.from prepares a response stream for an HTTP integration
 * (Function URLs, API Gateway): the JSON prelude {statusCode, headers,
 * cookies} and 8 NUL bytes go out before the first byte of the body.
 */
export class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return underlyingStream;
  }
}

/**
 * ResponseStream is the Writable handed to a streaming handler. Each write
 * goes out as one HTTP chunk as it happens; end() finishes the request.
 */
export class ResponseStream extends Writable {
  #req;
  #started = false;
  #errorTrailers = undefined;

  constructor(req, highWaterMark) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.#req = req;
  }

  /** setContentType sets the response's Content-Type; only before the first write. */
  setContentType(contentType) {
    if (this.#started) {
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    this.#req.setHeader('Content-Type', contentType);
  }

  write(chunk, encoding, callback) {
    // Lambda's stream accepts any value and sends non-binary ones as JSON.
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    this.#start();
    return super.write(chunk, encoding, callback);
  }

  // #start sends what must precede the body (an HTTP integration prelude)
  // and freezes the headers.
  #start() {
    if (this.#started) {
      return;
    }
    this.#started = true;
    if (typeof this._onBeforeFirstWrite === 'function') {
      this._onBeforeFirstWrite((chunk) => this.#req.write(chunk));
    }
  }

  _write(chunk, encoding, callback) {
    this.#req.write(chunk, encoding, (err) => callback(err ?? null));
  }

  _final(callback) {
    this.#start();
    if (this.#errorTrailers) {
      this.#req.addTrailers(this.#errorTrailers);
    }
    this.#req.end(() => callback());
  }

  /**
   * [FAIL] ends the response with the error as trailers
   * (Lambda-Runtime-Function-Error-Type, and -Body as base64 JSON), after
   * whatever the handler already wrote. A response the handler already
   * ended is left as it is: in Lambda's client end() finishes the request at
   * once, so an error reported afterwards (a non-async handler that wrote
   * and ended its stream, an async one that threw after end()) is only
   * logged, and the function answers with what it wrote.
   */
  [FAIL](error) {
    if (this.#req.writableEnded || (this.writableEnded && !this.destroyed)) {
      return;
    }
    const rapid = toRapidResponse(error);
    this.#errorTrailers = {
      'Lambda-Runtime-Function-Error-Type': String(rapid.errorType),
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(rapid)).toString('base64'),
    };
    if (this.destroyed) {
      // The handler destroyed the stream (or a pipeline did): finish the
      // request directly, as _final will not run.
      this.#start();
      this.#req.addTrailers(this.#errorTrailers);
      this.#req.end();
    } else {
      this.end();
    }
  }
}
