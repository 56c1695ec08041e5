import { createPublicKey, KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { Clock, SystemClock } from '@keywarden/clock';
import { SigningKeysUnavailableError } from './crypto.errors';

/** The Ed25519 signing keys of a JWKS by kid; other entries are ignored. */
export function ed25519KeysOf(jwks: JSONWebKeySet): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const jwk of jwks.keys) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.kid !== 'string' || typeof jwk.x !== 'string') continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    keys.set(jwk.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
  }
  return keys;
}

export type RemoteJwksOptions = Readonly<{
  /** A fetch that has not answered by then counts as failed. @default 5000 */
  timeoutMs?: number;
  /** At most one fetch per this period once a set is held, failures included. @default 30000 */
  cooldownMs?: number;
  /** A held set older than this is refreshed in the background; it keeps serving meanwhile. @default 600000 */
  cacheMaxAgeMs?: number;
  /** Consecutive failures double the wait between fetches from cooldownMs up to this. @default 300000 */
  maxBackoffMs?: number;
  /** With no set held yet, retries start after this and double up to cooldownMs. @default 1000 */
  coldRetryMs?: number;
  /** Time of the cooldowns and of the set's age. @default SystemClock */
  clock?: Clock;
  /** Told of each failed fetch (already rate-limited by the backoff); the error names the URL, nothing secret. */
  onFetchFailed?: (error: unknown, holdingLastGood: boolean) => void;
}>;

/** Far above a real key set: bounds what a misbehaving endpoint can make us parse. */
const MAX_JWKS_BYTES = 256 * 1024;

/**
 * The registry's published signing keys, as the edge needs them: a registry (JWKS) outage must
 * not become an edge outage, and neither a flood of made-up kids nor a dead registry may turn
 * into a flood of fetches.
 *
 * - The last good set is kept and keeps serving when a refresh fails, however old it gets: the
 *   keys only verify signatures, every request is still checked against the active-key cache.
 *   (A signing key retired during an outage is therefore honoured until a refresh succeeds.)
 * - A known kid is answered from memory; once the set is older than cacheMaxAgeMs a refresh
 *   starts in the background, so no request waits for it.
 * - An unknown kid (a rotated-in key, or a made-up one) waits for a fetch only when one is
 *   allowed: at most one per cooldownMs, failures included, and concurrent callers share it.
 *   Otherwise it is unknown (null), or SigningKeysUnavailableError while the last fetch failed,
 *   since then it may be a real key the edge could not learn.
 * - Failed fetches back off: the wait doubles from cooldownMs up to maxBackoffMs; with no set
 *   held at all (nothing to serve from) it starts at coldRetryMs and goes up to cooldownMs.
 */
export class RemoteJwks {
  private keys: Map<string, KeyObject> | null = null;
  private fetchedAtMs = 0;
  private lastAttemptAtMs = -Infinity;
  private failures = 0;
  private inFlight: Promise<void> | null = null;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly cacheMaxAgeMs: number;
  private readonly maxBackoffMs: number;
  private readonly coldRetryMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly url: URL,
    private readonly options: RemoteJwksOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.cacheMaxAgeMs = options.cacheMaxAgeMs ?? 10 * 60_000;
    this.maxBackoffMs = Math.max(options.maxBackoffMs ?? 5 * 60_000, this.cooldownMs);
    this.coldRetryMs = Math.min(options.coldRetryMs ?? 1_000, this.cooldownMs);
    this.clock = options.clock ?? new SystemClock();
  }

  /** The public key for a kid, null when the set does not have it; throws SigningKeysUnavailableError. */
  async key(kid: string): Promise<KeyObject | null> {
    const nowMs = this.clock.now().getTime();
    const known = this.keys?.get(kid);
    if (known !== undefined) {
      if (elapsed(this.fetchedAtMs, nowMs) >= this.cacheMaxAgeMs && this.mayFetch(nowMs)) void this.refresh(nowMs);
      return known;
    }
    if (this.inFlight !== null || this.mayFetch(nowMs)) await this.refresh(nowMs);
    const found = this.keys?.get(kid);
    if (found !== undefined) return found;
    if (this.keys === null || this.failures > 0) throw new SigningKeysUnavailableError();
    return null;
  }

  private mayFetch(nowMs: number): boolean {
    if (this.inFlight !== null) return false;
    const wait =
      this.failures === 0
        ? this.cooldownMs
        : this.keys === null
          ? Math.min(this.coldRetryMs * 2 ** (this.failures - 1), this.cooldownMs)
          : Math.min(this.cooldownMs * 2 ** (this.failures - 1), this.maxBackoffMs);
    return elapsed(this.lastAttemptAtMs, nowMs) >= wait;
  }

  /** One fetch at a time; never rejects (a failure is counted and reported). */
  private refresh(nowMs: number): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    this.lastAttemptAtMs = nowMs;
    this.inFlight = this.fetchKeys().then(
      (keys) => {
        this.keys = keys;
        this.fetchedAtMs = this.clock.now().getTime();
        this.failures = 0;
        this.inFlight = null;
      },
      (error: unknown) => {
        this.failures++;
        this.inFlight = null;
        this.options.onFetchFailed?.(error, this.keys !== null);
      },
    );
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Map<string, KeyObject>> {
    const response = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    const text = await response.text();
    if (!response.ok) throw new Error(`JWKS ${this.url.href} answered ${response.status}`);
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS ${this.url.href} is larger than ${MAX_JWKS_BYTES} bytes`);
    const body: unknown = JSON.parse(text);
    if (body === null || typeof body !== 'object' || !Array.isArray((body as JSONWebKeySet).keys)) throw new Error(`JWKS ${this.url.href} is not a key set`);
    return ed25519KeysOf(body as JSONWebKeySet);
  }
}

/** Time since `then`; a clock that went backwards counts as long ago, so it cannot freeze refreshes. */
const elapsed = (thenMs: number, nowMs: number): number => (nowMs < thenMs ? Infinity : nowMs - thenMs);
