import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Clock } from '@keywarden/clock';
import type { ActiveKeyCache, CachedKey } from '@keywarden/key-cache';

export type KeyEntryCacheOptions = Readonly<{
  /** Entries (found or not found) are used without asking Redis for this long. */
  ttlMs: number;
  /** When Redis cannot answer, a found entry is still honoured up to this age; never beyond. */
  stalenessMs: number;
  max: number;
}>;

/** Redis could not answer and nothing usable is held in process: the request must be refused (503). */
export class KeyCacheUnavailableError extends Error {
  readonly code = 'KEY_CACHE_UNAVAILABLE';
  constructor(cause: unknown) {
    super('the active-key cache could not be read', { cause });
  }
}

/**
 * Redis answered, but without the projection's completeness marker (flushed, or restarted empty):
 * a miss may be a valid key not rebuilt yet, so it is neither an accept nor a 401 (503).
 */
export class KeyCacheIncompleteError extends Error {
  readonly code = 'KEY_CACHE_REBUILDING';
  constructor() {
    super('the active-key cache has no completeness marker: it is being rebuilt');
  }
}

type Held = Readonly<{ key: CachedKey | null; fetchedAtMs: number }>;

const WARN_EVERY_MS = 10_000;

/**
 * The in-process layer over the master list of active keys (Redis), by fingerprint.
 *
 * - Within `ttlMs` an entry is answered from memory, found or not found, so a key that is not
 *   there costs the same as one that is (no timing difference between a hit and a miss).
 * - An entry older than that is still answered at once while it is re-read in the background;
 *   once it is older than `stalenessMs` the request waits for Redis. A revocation whose
 *   invalidation was lost is therefore honoured for at most about `ttlMs`, and a key issued after
 *   its first (refused) use is accepted from the request after its re-read.
 * - Redis failing is never an accept: only a found entry within the staleness bound is honoured,
 *   anything else throws KeyCacheUnavailableError.
 * - Invalidations evict at once, and a Redis read that was in flight across an invalidation is
 *   used for its request but not kept, so it cannot resurrect the evicted entry.
 * Nothing here decides time: each entry carries acceptUntil, checked per request by decideAccess.
 */
export class KeyEntryCache {
  private readonly held: LRUCache<string, Held>;
  /** `${orgId}\u0000${keyId}` → fingerprint, for invalidations that name the key only. */
  private readonly byKeyId = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<CachedKey | null>>();
  private generation = 0;
  private lastWarnAtMs = -Infinity;

  constructor(
    private readonly source: ActiveKeyCache,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: KeyEntryCacheOptions,
  ) {
    this.held = new LRUCache<string, Held>({
      max: options.max,
      dispose: (value, fingerprint) => {
        if (value.key !== null && this.byKeyId.get(refOf(value.key.orgId, value.key.keyId)) === fingerprint) {
          this.byKeyId.delete(refOf(value.key.orgId, value.key.keyId));
        }
      },
    });
  }

  /** The entry for a fingerprint: synchronously when held and fresh enough, else after Redis. */
  get(fingerprint: string, nowMs: number): CachedKey | null | Promise<CachedKey | null> {
    const held = this.held.get(fingerprint);
    if (held !== undefined) {
      const age = nowMs - held.fetchedAtMs;
      if (age <= this.options.ttlMs) return held.key;
      if (age <= this.options.stalenessMs) {
        void this.read(fingerprint).catch((error: unknown) => this.warn(error));
        return held.key;
      }
    }
    return this.read(fingerprint).catch((error: unknown) => {
      if (error instanceof KeyCacheIncompleteError) throw error;
      this.warn(error);
      throw new KeyCacheUnavailableError(error);
    });
  }

  /** Drops what is held for the key (invalidation from the projection). */
  evict(orgId: string, keyId: string, fingerprint: string | null): void {
    this.generation++;
    const ref = refOf(orgId, keyId);
    const indexed = this.byKeyId.get(ref);
    if (indexed !== undefined) this.held.delete(indexed);
    if (fingerprint !== null) this.held.delete(fingerprint);
    this.byKeyId.delete(ref);
  }

  get size(): number {
    return this.held.size;
  }

  /** One Redis read per fingerprint at a time; concurrent requests share it. */
  private read(fingerprint: string): Promise<CachedKey | null> {
    let pending = this.inFlight.get(fingerprint);
    if (pending !== undefined) return pending;
    const generation = this.generation;
    pending = this.source.lookupChecked(fingerprint).then(
      ({ key, complete }) => {
        this.inFlight.delete(fingerprint);
        // A miss in an incomplete cache is not kept: the key may only be waiting for the rebuild.
        if (key === null && !complete) throw new KeyCacheIncompleteError();
        if (generation === this.generation) this.keep(fingerprint, key);
        return key;
      },
      (error: unknown) => {
        this.inFlight.delete(fingerprint);
        throw error;
      },
    );
    this.inFlight.set(fingerprint, pending);
    return pending;
  }

  private keep(fingerprint: string, key: CachedKey | null): void {
    this.held.set(fingerprint, { key, fetchedAtMs: this.clock.now().getTime() });
    if (key !== null) this.byKeyId.set(refOf(key.orgId, key.keyId), fingerprint);
  }

  private warn(error: unknown): void {
    const nowMs = this.clock.now().getTime();
    if (nowMs - this.lastWarnAtMs < WARN_EVERY_MS) return;
    this.lastWarnAtMs = nowMs;
    this.logger.warn({ err: error }, 'active-key cache (Redis) unreachable: refusing keys not held in process within the staleness bound');
  }
}

const refOf = (orgId: string, keyId: string): string => `${orgId}\u0000${keyId}`;
