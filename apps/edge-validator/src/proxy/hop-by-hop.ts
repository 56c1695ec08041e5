/**
 * Header filtering of a proxy (RFC 9110 §7.6.1): connection-specific fields, and every field the
 * Connection header names, apply to one hop and are never forwarded. Works on Node's raw header
 * arrays ([name, value, name, value…]) so duplicates (Set-Cookie) and the sender's casing survive.
 * The header sets are libs/contracts' (http-headers.ts).
 */
import {
  canonicalHeaderName,
  CALLER_FORWARDING_HEADER_PREFIX,
  CALLER_FORWARDING_HEADERS,
  HOP_BY_HOP_HEADERS,
  IDENTITY_HEADER_PREFIX,
  PROXY_REBUILT_HEADERS,
  URL_OVERRIDE_HEADERS,
} from '@keywarden/contracts';

const HOP_BY_HOP = HOP_BY_HOP_HEADERS;

/**
 * Never copied from the caller, in one lookup per header: the hop-by-hop fields; those the edge
 * sets itself from what it saw (Host names the upstream, Expect is answered here, the forwarding
 * fields are rebuilt, earlier values folded in where the syntax allows); and the forwarding claims
 * only a proxy may vouch for (Forwarded, X-Real-IP; other X-Forwarded-* by prefix below).
 */
const NOT_FROM_CALLER: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, ...PROXY_REBUILT_HEADERS, ...CALLER_FORWARDING_HEADERS, ...URL_OVERRIDE_HEADERS]);

/** Identity headers the edge sets itself: a caller must never be able to supply them. */
export { IDENTITY_HEADER_PREFIX };

export type RequestHeaderPolicy = Readonly<{
  /** Forward the caller's Authorization (the Secret) upstream. */
  keepAuthorization: boolean;
}>;

/** Field names listed in Connection headers (lower case); usually none. */
function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      for (const token of raw[i + 1].split(',')) {
        const name = canonicalHeaderName(token.trim());
        if (name && name !== 'close' && name !== 'keep-alive') (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}

/**
 * The caller's headers as they go upstream: hop-by-hop fields, Host and the forwarding fields
 * (rebuilt by the proxy, or dropped: Forwarded, X-Real-IP, other X-Forwarded-*), the URL-override
 * headers, forged identity headers and, unless kept, Authorization removed. Names are compared
 * with `_` read as `-` (canonicalHeaderName): upstreams that map headers to variables read
 * X_Keywarden_Org as X-Keywarden-Org.
 */
export function upstreamRequestHeaders(raw: readonly string[], policy: RequestHeaderPolicy): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = canonicalHeaderName(name);
    if (NOT_FROM_CALLER.has(lower) || lower.startsWith(CALLER_FORWARDING_HEADER_PREFIX)) continue;
    if (lower === 'authorization' && !policy.keepAuthorization) continue;
    if (lower.startsWith(IDENTITY_HEADER_PREFIX)) continue;
    if (named !== null && named.has(lower)) continue;
    out.push(name, raw[i + 1]);
  }
  return out;
}

/** The upstream's response headers as they go to the caller. */
export function downstreamResponseHeaders(raw: readonly string[]): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower))) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}
