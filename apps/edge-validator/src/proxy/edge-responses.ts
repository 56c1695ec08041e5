import type { ServerResponse } from 'node:http';

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
