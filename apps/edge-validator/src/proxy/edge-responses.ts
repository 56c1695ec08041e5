import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The edge's own answers, each with the JSON error body of API.md. Bodies are built once: the
 * refusal path must stay cheaper than the accepted one, and a refusal says nothing about which
 * check failed (a wrong key, a deleted one and a forged Secret all read the same).
 */
export type EdgeError = Readonly<{ status: number; body: Buffer; headers: readonly string[] }>;

const error = (status: number, error: string, message: string, headers: readonly string[] = [], details?: object): EdgeError => ({
  status,
  body: Buffer.from(JSON.stringify({ statusCode: status, error, message, ...(details ? { details } : {}) })),
  headers,
});

const BEARER_CHALLENGE = ['WWW-Authenticate', 'Bearer realm="keywarden", error="invalid_token"'];

export const EdgeErrors = {
  missingBearer: error(401, 'Unauthorized', 'a Secret is required: send it as "Authorization: Bearer <Secret>"', BEARER_CHALLENGE),
  invalidSecret: error(401, 'Unauthorized', 'the Secret is invalid or no longer accepted', BEARER_CHALLENGE),
  cacheUnavailable: error(
    503,
    'Service Unavailable',
    'the gateway cannot check keys right now (its key cache is unreachable), so the request was refused rather than let through unchecked; retry in a few seconds',
    ['Retry-After', '2'],
  ),
  cacheIncomplete: error(
    503,
    'Service Unavailable',
    'the gateway cannot check keys right now (its key cache is being rebuilt), so the request was refused rather than let through unchecked; retry in a few seconds',
    ['Retry-After', '1'],
    { code: 'KEY_CACHE_REBUILDING' },
  ),
  signingKeysUnavailable: error(
    503,
    'Service Unavailable',
    'the gateway cannot check Secret signatures right now (the signing keys could not be fetched); retry in a few seconds',
    ['Retry-After', '2'],
  ),
  upstreamUnreachable: error(502, 'Bad Gateway', 'the API behind the gateway could not be reached; retry later'),
  internal: error(500, 'Internal Server Error', 'the gateway failed to handle the request; it has been logged'),
  payloadTooLarge: (limit: number): EdgeError =>
    error(413, 'Payload Too Large', `the request body exceeds this organisation's media limit of ${limit} bytes; contact your CS representative for larger Base64 files`, [], {
      limitBytes: limit,
    }),
  upstreamTimeout: (timeoutMs: number): EdgeError =>
    error(504, 'Gateway Timeout', `the API behind the gateway did not answer within ${timeoutMs} ms`),
  badRequestTarget: (code: string, message: string): EdgeError => error(400, 'Bad Request', message, [], { code }),
  methodNotAllowed: (allow: string): EdgeError =>
    error(405, 'Method Not Allowed', `the gateway's own endpoints answer ${allow} only`, ['Allow', allow], { code: 'METHOD_NOT_ALLOWED' }),
  badRequestId: (header: string, parameter: string): EdgeError =>
    error(400, 'Bad Request', `the request id (${header} header or ${parameter} parameter) must be 1 to 128 printable ASCII characters without spaces`),
} as const;

/**
 * Sends an edge error. `closeConnection` when the request body was not read (a refusal before
 * streaming): the rest of it is not worth reading just to keep the connection.
 */
export function sendEdgeError(res: ServerResponse, err: EdgeError, extraHeaders: readonly string[] = [], closeConnection = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(err.body.length), ...err.headers, ...extraHeaders];
  if (closeConnection) headers.push('Connection', 'close');
  res.writeHead(err.status, headers);
  res.end(err.body);
}

/** After an answer sent before the request body ended, the rest is read and dropped for at most this long… */
export const LINGER_MS = 5_000;
/** …and at most this much, then the connection is closed regardless. */
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Sends an edge error while the caller may still be uploading (413), then closes the connection
 * only once the caller stopped sending: closing a socket with unread data makes TCP answer with
 * a reset, which can make the client lose the response it has not read yet. The response carries
 * its Content-Length and `Connection: close`, so the client has the whole body as soon as it
 * arrives; the rest of the upload is read and dropped (bounded by LINGER_MS and
 * LINGER_MAX_BYTES), and the response is ended, which closes the connection, when the upload
 * ends or a bound is reached. `lingerForBody` false when no body is coming (100-continue refused).
 */
export function sendEdgeErrorThenClose(req: IncomingMessage, res: ServerResponse, err: EdgeError, extraHeaders: readonly string[] = [], lingerForBody = true): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.status, ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(err.body.length), ...err.headers, ...extraHeaders, 'Connection', 'close']);
  if (!lingerForBody || req.complete) {
    res.end(err.body);
    return;
  }
  res.write(err.body);
  let dropped = 0;
  const close = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', close);
    res.off('close', close);
    if (!res.writableEnded) res.end();
  };
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > LINGER_MAX_BYTES) close();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', close);
  res.once('close', close);
  req.resume();
}
