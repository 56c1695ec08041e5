/**
 * HTTP header names with a meaning to Keywarden's proxy, declared once: the edge filters the
 * caller's headers with them, and the settings rule refuses them as an organisation's request-id
 * header (the edge and the services copy a caller-chosen value into that header, upstream and on
 * the response). All names lower case.
 */

/**
 * Connection-specific fields (RFC 9110 §7.6.1, plus the legacy Proxy-Connection): they apply to
 * one hop and are never forwarded by a proxy.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Set by the edge itself from what it saw, never copied from the caller: Host names the upstream,
 * Expect is answered by the edge, the forwarding fields are rebuilt (earlier values folded in
 * where the syntax allows).
 */
export const PROXY_REBUILT_HEADERS: ReadonlySet<string> = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'via']);

/**
 * Forwarding fields a caller may send but only a proxy may vouch for: the edge sets the
 * X-Forwarded-For/Host/Proto trio itself (PROXY_REBUILT_HEADERS) and drops every other one of
 * these from the caller, so the upstream never mistakes a caller's claim for the edge's.
 */
export const CALLER_FORWARDING_HEADERS: ReadonlySet<string> = new Set(['forwarded', 'x-real-ip']);
export const CALLER_FORWARDING_HEADER_PREFIX = 'x-forwarded-';

/** Identity headers the edge sets upstream (X-Keywarden-Org, X-Keywarden-Key-Id): a caller must never supply them. */
export const IDENTITY_HEADER_PREFIX = 'x-keywarden-';

/**
 * Headers with which front proxies and frameworks (IIS URL Rewrite, Symfony, nginx auth_request)
 * override the request's URL: a caller's would route the upstream past the edge's path checks.
 */
export const URL_OVERRIDE_HEADERS: ReadonlySet<string> = new Set(['x-original-url', 'x-rewrite-url', 'x-original-uri']);

/**
 * A field name as servers that map headers to variables see it (CGI, WSGI, PHP, some proxies):
 * lower case with `_` read as `-`, so `X_Keywarden_Org` reaches them as X-Keywarden-Org.
 */
export const canonicalHeaderName = (name: string): string => name.toLowerCase().replace(/_/g, '-');

type ReservedGroup = Readonly<{ why: string; names: readonly string[]; prefixes: readonly string[] }>;

/**
 * Names an organisation's request-id header must not take, grouped by why. The request id comes
 * from the caller (header or `customerRequestId` query parameter, so from a link anyone can
 * write) and is echoed on the response and sent upstream under this name: it must never set a
 * cookie, a credential, a redirect, a browser security policy, the message framing or a field
 * the proxy vouches for.
 */
const REQUEST_ID_RESERVED: readonly ReservedGroup[] = [
  {
    why: 'carries credentials or cookies',
    names: ['authorization', 'cookie', 'set-cookie', 'set-cookie2', 'www-authenticate', 'authentication-info', 'proxy-authentication-info'],
    prefixes: [],
  },
  {
    why: 'controls the connection or the framing of the message',
    names: [...HOP_BY_HOP_HEADERS, 'host', 'expect', 'http2-settings', 'date'],
    prefixes: ['content-', 'proxy-'],
  },
  {
    why: 'is set by the proxy from what it saw (clients and upstreams trust it)',
    names: [...PROXY_REBUILT_HEADERS, ...URL_OVERRIDE_HEADERS, 'forwarded', 'max-forwards', 'x-real-ip'],
    prefixes: ['x-forwarded-'],
  },
  {
    why: 'has a meaning to browsers and caches (redirects, security policies, CORS, caching)',
    names: [
      'location',
      'refresh',
      'origin',
      'referer',
      'link',
      'strict-transport-security',
      'x-frame-options',
      'x-content-type-options',
      'x-xss-protection',
      'referrer-policy',
      'permissions-policy',
      'clear-site-data',
      'alt-svc',
      'cache-control',
      'pragma',
      'expires',
      'vary',
      'user-agent',
      'range',
      'accept',
    ],
    prefixes: ['sec-', 'access-control-', 'cross-origin-', 'accept-', 'if-'],
  },
];

/**
 * Why `name` (any case) may not be a request-id header, as a phrase completing "that header …";
 * null when it may. Keywarden's own X-Keywarden-* headers are checked separately (their own message).
 */
export function reservedHeaderReason(name: string): string | null {
  // Underscore spellings too: the upstream may read X_Forwarded_For as X-Forwarded-For.
  const lower = canonicalHeaderName(name);
  for (const group of REQUEST_ID_RESERVED) {
    if (group.names.includes(lower) || group.prefixes.some((prefix) => lower.startsWith(prefix))) return group.why;
  }
  return null;
}
