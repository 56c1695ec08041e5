import proxyAddr from 'proxy-addr';

/**
 * The edge gateway's tuning (apps/edge-validator). Separate from keywarden.config.ts so the edge's
 * variables are read and validated in one place; loadConfig() puts the result under `edge`.
 */
export type EdgeConfig = Readonly<{
  /** EDGE_UPSTREAM_TIMEOUT_MS: the upstream may stay silent this long before the client gets 504. @default 30000 */
  upstreamTimeoutMs: number;
  /** EDGE_UPSTREAM_MAX_SOCKETS: keep-alive connections to the upstream, at most. @default 256 */
  upstreamMaxSockets: number;
  /** EDGE_KEEP_AUTHORIZATION: forward the caller's Authorization header (the Secret) upstream. @default false */
  keepAuthorization: boolean;
  /**
   * EDGE_KEY_CACHE_TTL_MS: an in-process key entry is used without asking Redis for this long, then re-read in the
   * background; the bound on a revocation whose invalidation message was lost. @default 2000
   */
  keyCacheTtlMs: number;
  /** EDGE_STALENESS_MS: when Redis cannot answer, in-process entries up to this age are still honoured; older ones get 503. @default 5000 */
  stalenessMs: number;
  /** EDGE_KEY_CACHE_MAX: key entries held in process (LRU). @default 100000 */
  keyCacheMax: number;
  /** EDGE_SECRET_CACHE_MAX: verified Secrets held in process, by token string (LRU). @default 10000 */
  secretCacheMax: number;
  /** EDGE_USAGE_FLUSH_MS: how often usage counts are published to the key-usage topic. @default 5000 */
  usageFlushMs: number;
  /** EDGE_REWRITE_MAX_BYTES: upstream JSON bodies larger than this pass through without the UTC rewrite. @default 1048576 */
  rewriteMaxBytes: number;
  /** EDGE_ACCESS_LOG: a log line for every request let through too, not only for refusals and failures. @default false */
  accessLog: boolean;
  /**
   * EDGE_TRUSTED_PROXIES: comma-separated addresses or CIDRs (or loopback, linklocal, uniquelocal) of the proxies
   * in front of the edge; only from those are X-Forwarded-For/Host/Proto and Via extended, from anyone else replaced. @default none
   */
  trustedProxies: readonly string[];
  /** EDGE_HEADERS_TIMEOUT_MS: a client gets this long to send a request's headers, then 408. @default 10000 */
  headersTimeoutMs: number;
  /** EDGE_REQUEST_TIMEOUT_MS: a client gets this long to send a whole request, body included, then 408. @default 30000 */
  requestTimeoutMs: number;
  /** EDGE_KEEP_ALIVE_TIMEOUT_MS: an idle keep-alive connection is closed after this long (above a load balancer's 60 s). @default 65000 */
  keepAliveTimeoutMs: number;
}>;

type Env = Readonly<Record<string, string | undefined>>;

/** Thrown with the variable's name; the caller's ConfigError carries the same shape. */
export type ConfigErrorFactory = (variable: string, problem: string) => Error;

function integer(env: Env, name: string, fallback: number, min: number, max: number, fail: ConfigErrorFactory): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw fail(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function flag(env: Env, name: string, fallback: boolean, fail: ConfigErrorFactory): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw fail(name, `must be true or false, got "${raw}"`);
}

const HOUR_MS = 60 * 60 * 1000;

function trustedProxies(env: Env, fail: ConfigErrorFactory): string[] {
  const raw = env.EDGE_TRUSTED_PROXIES?.trim();
  if (!raw) return [];
  const list = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  try {
    // The edge decides with proxy-addr: the same parser refuses here what it could not use there.
    proxyAddr.compile(list);
  } catch (error) {
    throw fail('EDGE_TRUSTED_PROXIES', `must be comma-separated IP addresses or CIDRs (or loopback, linklocal, uniquelocal): ${(error as Error).message}`);
  }
  return list;
}

export function loadEdgeConfig(env: Env, fail: ConfigErrorFactory): EdgeConfig {
  const keyCacheTtlMs = integer(env, 'EDGE_KEY_CACHE_TTL_MS', 2000, 0, HOUR_MS, fail);
  const stalenessMs = integer(env, 'EDGE_STALENESS_MS', 5000, 0, HOUR_MS, fail);
  // Past its TTL an entry is re-read; the staleness bound only matters if it is the longer of the two.
  if (stalenessMs < keyCacheTtlMs) throw fail('EDGE_STALENESS_MS', `must be at least EDGE_KEY_CACHE_TTL_MS (${keyCacheTtlMs})`);
  const headersTimeoutMs = integer(env, 'EDGE_HEADERS_TIMEOUT_MS', 10_000, 100, HOUR_MS, fail);
  const requestTimeoutMs = integer(env, 'EDGE_REQUEST_TIMEOUT_MS', 30_000, 100, HOUR_MS, fail);
  // Node refuses a headers timeout longer than the request's: the request includes its headers.
  if (requestTimeoutMs < headersTimeoutMs) throw fail('EDGE_REQUEST_TIMEOUT_MS', `must be at least EDGE_HEADERS_TIMEOUT_MS (${headersTimeoutMs})`);
  return {
    upstreamTimeoutMs: integer(env, 'EDGE_UPSTREAM_TIMEOUT_MS', 30_000, 1, 10 * 60_000, fail),
    upstreamMaxSockets: integer(env, 'EDGE_UPSTREAM_MAX_SOCKETS', 256, 1, 65_536, fail),
    keepAuthorization: flag(env, 'EDGE_KEEP_AUTHORIZATION', false, fail),
    keyCacheTtlMs,
    stalenessMs,
    keyCacheMax: integer(env, 'EDGE_KEY_CACHE_MAX', 100_000, 1, 10_000_000, fail),
    secretCacheMax: integer(env, 'EDGE_SECRET_CACHE_MAX', 10_000, 1, 10_000_000, fail),
    usageFlushMs: integer(env, 'EDGE_USAGE_FLUSH_MS', 5000, 10, HOUR_MS, fail),
    rewriteMaxBytes: integer(env, 'EDGE_REWRITE_MAX_BYTES', 1024 * 1024, 0, 1024 * 1024 * 1024, fail),
    accessLog: flag(env, 'EDGE_ACCESS_LOG', false, fail),
    trustedProxies: trustedProxies(env, fail),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'EDGE_KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, HOUR_MS, fail),
  };
}
