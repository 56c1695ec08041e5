import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import getRawBody from 'raw-body';
import type { RawBodyRequest } from '@nestjs/common';
import { RequestRefusedException } from '@keywarden/observability';

export type JsonBodyLimits = Readonly<{
  /** Largest body read, in bytes. @default 65536 */
  maxBytes: number;
  /** Deepest nesting of objects and arrays. @default 32 */
  maxDepth: number;
}>;

export const JSON_BODY_LIMITS: JsonBodyLimits = { maxBytes: 64 * 1024, maxDepth: 32 };

/** Keys that mean something to JavaScript objects rather than to any of our contracts. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

type WithHeaders = Pick<IncomingMessage, 'headers'>;

/** A request carries a body when it says so (RFC 9112 §6.3): a Transfer-Encoding or a non-zero Content-Length. */
export const hasBody = (req: WithHeaders): boolean => req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0').trim() !== '0';

/** HTTP's optional whitespace is spaces and tabs only (String#trim would also drop U+00A0 and others). */
const httpTrim = (value: string): string => value.replace(/^[ \t]+|[ \t]+$/g, '');

/** `type/subtype` and its parameters, lower-cased; null when the header is not a media type. */
function parseMediaType(header: string): { type: string; params: Map<string, string> } | null {
  const [type, ...rest] = header.split(';');
  const mediaType = httpTrim(type).toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mediaType)) return null;
  const params = new Map<string, string>();
  for (const param of rest) {
    if (httpTrim(param) === '') continue;
    const eq = param.indexOf('=');
    if (eq < 1) return null;
    params.set(httpTrim(param.slice(0, eq)).toLowerCase(), httpTrim(param.slice(eq + 1)).replace(/^"(.*)"$/, '$1').toLowerCase());
  }
  return { type: mediaType, params };
}

/**
 * The deepest nesting of `[` and `{` outside strings, stopping as soon as it passes `limit`: runs
 * before JSON.parse, so a body nested thousands deep never reaches a recursive parser or validator.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

class ForbiddenKeyError extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

/**
 * Parses a body that is strictly JSON text: a top-level object or array (no bare value), no key
 * that addresses an object's prototype anywhere.
 */
export function parseJsonBody(text: string, limits: JsonBodyLimits = JSON_BODY_LIMITS): unknown {
  if (jsonDepthExceeds(text, limits.maxDepth)) {
    throw new RequestRefusedException(400, 'JSON_TOO_DEEP', `the JSON body is nested deeper than ${limits.maxDepth} levels`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw new RequestRefusedException(400, 'FORBIDDEN_JSON_KEY', `the JSON body may not hold the key "${error.key}" (refused anywhere in a body: __proto__, constructor, prototype)`);
    }
    throw new RequestRefusedException(400, 'MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new RequestRefusedException(400, 'BODY_NOT_AN_OBJECT', 'the body must be a JSON object');
  return parsed;
}

/**
 * The one body parser of the admin services. A request with a body must send
 * `application/json` (charset utf-8 or none), unencoded, within `maxBytes`; anything else is
 * refused (415, 413, 400) before a route sees it, so a body is never mistaken for an empty one
 * and answered with defaults. A request without a body passes with `req.body` unset.
 */
export function jsonBodyMiddleware(limits: JsonBodyLimits = JSON_BODY_LIMITS) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!hasBody(req)) return next();
    // A body refused unread (or read only up to the limit) is not drained: the connection closes
    // after the answer, so the next request on it is never read from the middle of this body.
    const unread = (refusal: RequestRefusedException): void => {
      res.setHeader('Connection', 'close');
      next(refusal);
    };
    const refused = refusalOfHeaders(req, limits);
    if (refused) return unread(refused);
    getRawBody(req, { length: req.headers['content-length'], limit: limits.maxBytes }).then(
      (buffer) => {
        let text: string;
        try {
          text = fatalUtf8.decode(buffer);
        } catch {
          return next(new RequestRefusedException(400, 'MALFORMED_JSON', 'the body is not valid UTF-8'));
        }
        // Kept for the routes that check a signature over the exact bytes sent (secret scanning).
        (req as RawBodyRequest<Request>).rawBody = buffer;
        try {
          req.body = parseJsonBody(text, limits);
        } catch (error) {
          return next(error);
        }
        next();
      },
      (error: getRawBody.RawBodyError) => unread(refusalOfRead(error, limits)),
    );
  };
}

/** Why a request's body is refused from its headers alone (type, charset, encoding, declared size), or null. */
export function refusalOfHeaders(req: WithHeaders, limits: JsonBodyLimits = JSON_BODY_LIMITS): RequestRefusedException | null {
  const header = req.headers['content-type'];
  const mediaType = header === undefined ? null : parseMediaType(header);
  if (!mediaType || mediaType.type !== 'application/json') {
    return new RequestRefusedException(415, 'UNSUPPORTED_MEDIA_TYPE', `a request body must be JSON sent as Content-Type: application/json (got ${header === undefined ? 'none' : JSON.stringify(header.slice(0, 100))})`);
  }
  const charset = mediaType.params.get('charset');
  if (charset !== undefined && charset !== 'utf-8') {
    return new RequestRefusedException(415, 'UNSUPPORTED_CHARSET', `a JSON body must be UTF-8 (got charset ${JSON.stringify(charset.slice(0, 40))})`);
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && httpTrim(encoding).toLowerCase() !== 'identity') {
    return new RequestRefusedException(415, 'UNSUPPORTED_CONTENT_ENCODING', `a request body must not be compressed or encoded (got Content-Encoding ${JSON.stringify(encoding.slice(0, 40))})`);
  }
  // Node undoes the chunked framing only: a body sent "gzip, chunked" would reach the parser still compressed.
  const transfer = req.headers['transfer-encoding'];
  if (transfer !== undefined && httpTrim(transfer).toLowerCase() !== 'chunked') {
    return new RequestRefusedException(415, 'UNSUPPORTED_CONTENT_ENCODING', `a request body may only be sent with Transfer-Encoding: chunked (got ${JSON.stringify(transfer.slice(0, 40))})`);
  }
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/.test(length.trim()) && Number(length) > limits.maxBytes) return tooLarge(limits);
  return null;
}

const tooLarge = (limits: JsonBodyLimits): RequestRefusedException =>
  new RequestRefusedException(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${limits.maxBytes} bytes`);

function refusalOfRead(error: getRawBody.RawBodyError, limits: JsonBodyLimits): RequestRefusedException {
  if (error.type === 'entity.too.large') return tooLarge(limits);
  return new RequestRefusedException(400, 'BODY_LENGTH_MISMATCH', 'the request body does not match its Content-Length (or the client stopped sending it)');
}
