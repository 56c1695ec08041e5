import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request context: carried through every await of one HTTP request or one consumed message,
 * so every log line it causes, in every service, carries the same request id (seed E).
 */
export type RequestContext = {
  requestId: string;
  /** True when the id came from the caller (header or customerRequestId), not generated here. */
  fromCaller: boolean;
  orgId?: string;
};

const storage = new AsyncLocalStorage<RequestContext>();

export const runWithRequestContext = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);

export const currentRequestContext = (): RequestContext | undefined => storage.getStore();

export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;

export const DEFAULT_REQUEST_ID_HEADER = 'X-Customer-Request-Id';
export const REQUEST_ID_QUERY_PARAMETER = 'customerRequestId';

/** Printable ASCII without spaces or separators that could forge a log line, at most 128 chars. */
const REQUEST_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export const isValidRequestId = (value: string): boolean => REQUEST_ID_PATTERN.test(value);
