// runtime-client.mjs speaks the Lambda Runtime API (reference §1) over plain
// HTTP/1.1 with one kept-alive connection, as Lambda's own client does.

import http from 'node:http';
import { toRapidResponse } from './errors.mjs';

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

/** RuntimeAPIError says the Runtime API answered something a runtime cannot go on from. */
export class RuntimeAPIError extends Error {}

/**
 * serializeResponse is JSON.stringify with undefined as null; it throws the
 * error Lambda reports for values JSON cannot hold (cycles, BigInt). A value
 * JSON.stringify turns into nothing at all (a function, a symbol) fails as
 * it does in Lambda's client, whose native Runtime API binding refuses a body
 * that is not a string: TypeError "Wrong arguments".
 */
export function serializeResponse(value) {
  let body;
  try {
    body = JSON.stringify(value === undefined ? null : value);
  } catch {
    throw new Error('Unable to stringify response body');
  }
  if (typeof body !== 'string') {
    throw new TypeError('Wrong arguments');
  }
  return body;
}

/** RuntimeClient is a client of one Runtime API server. */
export class RuntimeClient {
  constructor(hostPort) {
    if (!hostPort) {
      throw new RuntimeAPIError('AWS_LAMBDA_RUNTIME_API is not set');
    }
    const separator = hostPort.lastIndexOf(':');
    this.hostname = hostPort.slice(0, separator).replace(/^\[|\]$/g, '');
    this.port = Number.parseInt(hostPort.slice(separator + 1), 10);
    // One socket, kept alive: idle kept-alive sockets are unref'd by the
    // agent, so they never hold the event loop open on their own.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /**
   * nextInvocation long-polls /next (no timeout: the environment may sit
   * idle for any time) and resolves to {body, headers}.
   */
  async nextInvocation() {
    const path = `${API_PREFIX}/invocation/next`;
    const { status, headers, body } = await this.request('GET', path);
    if (status !== 200) {
      throw unexpected('GET', path, status, body);
    }
    return { body: body.toString('utf8'), headers };
  }

  /**
   * postInvocationResponse posts a handler result as JSON. Serialising
   * happens before the returned promise exists, so an unserialisable result
   * throws synchronously, in the caller's frame.
   */
  postInvocationResponse(result, requestId) {
    const body = serializeResponse(result);
    return this.post(`${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`, body, {});
  }

  /** postInvocationError posts the rapid form of error for the invocation. */
  postInvocationError(error, requestId) {
    const body = JSON.stringify(toRapidResponse(error));
    return this.post(`${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/error`, body, {});
  }

  /** postInitError reports a failed init, with the error type in a header. */
  postInitError(error) {
    const response = toRapidResponse(error);
    return this.post(`${API_PREFIX}/init/error`, JSON.stringify(response), {
      [ERROR_TYPE_HEADER]: String(response.errorType),
    });
  }

  async post(path, body, headers) {
    const result = await this.request('POST', path, body, headers);
    if (result.status !== 202) {
      throw unexpected('POST', path, result.status, result.body);
    }
  }

  /**
   * request sends one request and buffers the answer. A kept-alive socket
   * the server closed while idle fails with ECONNRESET on reuse; that is
   * retried once on a fresh connection, as nothing reached the server.
   */
  request(method, path, body, headers = {}, retried = false) {
    return new Promise((resolve, reject) => {
      const options = { hostname: this.hostname, port: this.port, path, method, agent: this.agent, headers: {} };
      if (body !== undefined) {
        options.headers['Content-Type'] = 'application/json';
        options.headers['Content-Length'] = Buffer.byteLength(body);
      }
      Object.assign(options.headers, headers);
      const req = http.request(options, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => reject(new RuntimeAPIError(`${method} ${path}: ${err.message}`)));
      });
      req.on('error', (err) => {
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) {
          this.request(method, path, body, headers, true).then(resolve, reject);
        } else {
          reject(new RuntimeAPIError(`${method} ${path}: ${err.message}`));
        }
      });
      req.end(body);
    });
  }

  /**
   * openResponseStream starts a streamed POST /response (§1.7): chunked,
   * with the error trailers announced. Nothing is sent before the first
   * write or the end. done resolves when the server has answered.
   */
  openResponseStream(requestId, contentType = 'application/octet-stream') {
    const path = `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`;
    let resolveDone;
    let rejectDone;
    const done = new Promise((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const req = http.request(
      {
        hostname: this.hostname,
        port: this.port,
        path,
        method: 'POST',
        agent: this.agent,
        headers: {
          'Content-Type': contentType,
          'Lambda-Runtime-Function-Response-Mode': 'streaming',
          'Transfer-Encoding': 'chunked',
          Trailer: `${ERROR_TYPE_HEADER}, Lambda-Runtime-Function-Error-Body`,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (res.statusCode === 202) {
            resolveDone();
          } else {
            rejectDone(unexpected('POST', path, res.statusCode, body));
          }
        });
        res.on('error', (err) => rejectDone(new RuntimeAPIError(`POST ${path}: ${err.message}`)));
      },
    );
    req.on('error', (err) => rejectDone(new RuntimeAPIError(`POST ${path}: ${err.message}`)));
    return { req, done };
  }
}

function unexpected(method, path, status, body) {
  const text = body.toString('utf8').trim().replace(/\s+/g, ' ').slice(0, 300);
  return new RuntimeAPIError(`${method} ${path}: unexpected status ${status}: ${text}`);
}
