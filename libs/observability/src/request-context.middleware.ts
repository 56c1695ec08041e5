import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { DEFAULT_REQUEST_ID_HEADER, isValidRequestId, REQUEST_ID_QUERY_PARAMETER, runWithRequestContext } from './request-context';
import { DEPENDENCY_RETRY_AFTER_SECONDS, DependencyTimeoutError, DependencyUnavailableException, withDeadline } from './dependency-deadline';
import { RequestRefusedException } from './request-refused.exception';

export type RequestIdHeaderLookup = (orgId: string) => Promise<string>;

const ORG_IN_PATH = /^\/v1\/orgs\/([^/?#]+)/;

/**
 * Express middleware of the admin services: takes the request id from the organisation's header
 * (default X-Customer-Request-Id) or the customerRequestId query parameter, refuses a malformed
 * one with 400 instead of logging it, echoes it on the response, and runs the rest of the request
 * inside its context. A request without one gets a generated id, used in the logs only.
 */
export function requestContextMiddleware(headerFor: RequestIdHeaderLookup, options: Readonly<{ dependencyTimeoutMs?: number }> = {}) {
  const timeoutMs = options.dependencyTimeoutMs ?? 5_000;
  return (req: Request, res: Response, next: NextFunction): void => {
    const rawOrgId = ORG_IN_PATH.exec(req.path)?.[1];
    const orgId = rawOrgId === undefined ? undefined : decodedOrNull(rawOrgId);
    if (orgId === null) return next(malformedUrl());
    // The header comes from the settings topic: a lookup that waits on Kafka past the deadline is a
    // 503, and the request goes no further (a late answer cannot apply a write the client gave up on).
    const resolveHeader = orgId
      ? withDeadline(headerFor(orgId), timeoutMs, 'the settings topic (Kafka)').catch((error: unknown) => {
          if (error instanceof DependencyTimeoutError) throw error;
          return DEFAULT_REQUEST_ID_HEADER;
        })
      : Promise.resolve(DEFAULT_REQUEST_ID_HEADER);
    void resolveHeader.then((header) => {
      const fromHeader = req.headers[header.toLowerCase()];
      const fromQuery = req.query[REQUEST_ID_QUERY_PARAMETER];
      const given = typeof fromHeader === 'string' ? fromHeader : typeof fromQuery === 'string' ? fromQuery : undefined;
      if (given !== undefined && !isValidRequestId(given)) {
        res.status(400).json({
          statusCode: 400,
          error: 'Bad Request',
          message: `the request id (${header} header or ${REQUEST_ID_QUERY_PARAMETER} parameter) must be 1 to 128 printable ASCII characters without spaces`,
        });
        return;
      }
      const requestId = given ?? randomUUID();
      if (given !== undefined) res.setHeader(header, given);
      runWithRequestContext({ requestId, fromCaller: given !== undefined, orgId: rawOrgId }, next);
    }, (error: unknown) => {
      if (!(error instanceof DependencyTimeoutError)) return next(error);
      res.setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      next(new DependencyUnavailableException(error));
    });
  };
}

const decodedOrNull = (segment: string): string | null => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
};

/** Whether every percent-escape of a URL (path and query) decodes as UTF-8. */
export const isWellEncodedUrl = (url: string): boolean => !url.includes('%') || decodedOrNull(url) !== null;

export const malformedUrl = (): RequestRefusedException =>
  new RequestRefusedException(400, 'MALFORMED_URL', 'the URL holds a malformed percent-encoding: each % must start a %XX escape of UTF-8 bytes');

/**
 * Refuses a URL whose percent-encoding (path or query) does not decode, before any route, parser
 * or log line tries to: 400, never a URIError deep inside.
 */
export function percentEncodingMiddleware() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!isWellEncodedUrl(req.originalUrl ?? req.url)) return next(malformedUrl());
    next();
  };
}
