/**
 * The active-key cache: the "master list of active keys" the edge reads. Entries are keyed by the
 * key's peppered fingerprint (never the key). Writes come only from the projection and are guarded
 * by the ring revision, so duplicate or out-of-order deliveries change nothing.
 */
export type CachedKey = Readonly<{
  orgId: string;
  keyId: string;
  fingerprint: string;
  status: 'active' | 'revoked';
  /** Epoch milliseconds after which the key is refused; null = never expires. */
  acceptUntil: number | null;
}>;

export type CacheChange =
  | Readonly<{ kind: 'put'; key: CachedKey }>
  | Readonly<{ kind: 'remove'; keyId: string }>
  /** Records the revision only: the event changed nothing the edge reads. */
  | Readonly<{ kind: 'none' }>;

export type ApplyOutcome = 'applied' | 'stale';

/**
 * An organisation's cache content as a replay of its ring computed it. Revision -1 (with no keys)
 * says the store has no ring for the organisation.
 */
export type OrgSnapshot = Readonly<{ orgId: string; revision: number; keys: readonly CachedKey[] }>;

/** A `key:<fingerprint>` entry the edge would read that its organisation's index does not list. */
export type UnindexedEntry = Readonly<{
  fingerprint: string;
  /** null when the entry cannot be read as a cached key. */
  key: CachedKey | null;
}>;

/** A lookup with the cache's completeness marker read in the same round trip. */
export type CheckedLookup = Readonly<{
  key: CachedKey | null;
  /** False when the projection's marker is missing (flushed or restarted empty): a miss proves nothing. */
  complete: boolean;
}>;

export interface ActiveKeyCache {
  lookup(fingerprint: string): Promise<CachedKey | null>;
  /** The entry and the completeness marker in one read (one MGET on Redis). */
  lookupChecked(fingerprint: string): Promise<CheckedLookup>;
  /** Written by the projection once the cache holds every active key (after a rebuild). */
  markComplete(): Promise<void>;
  /** Whether the completeness marker is there. */
  isComplete(): Promise<boolean>;
  findByKeyId(orgId: string, keyId: string): Promise<CachedKey | null>;
  /** Applies the change only when `revision` is newer than the last one applied for the ring. */
  applyRingChange(orgId: string, revision: number, change: CacheChange): Promise<ApplyOutcome>;
  ringRevision(orgId: string): Promise<number | null>;
  /** Every cached key of the organisation (what the edge would accept, before time checks). */
  listOrg(orgId: string): Promise<CachedKey[]>;
  listOrgIds(): Promise<string[]>;
  /**
   * Replaces each organisation's entries with the snapshot, unless the cache already applied a
   * newer revision (the live projection moved on meanwhile). Returns how many were replaced.
   */
  restoreOrgs(snapshots: readonly OrgSnapshot[]): Promise<number>;
  /**
   * Writes one organisation from a replay in one atomic step (never a moment where one of its
   * valid keys is missing), like `restoreOrgs`, and also when the cache holds exactly
   * `overwriteRevision` (a revision the store never reached, so a wrong one). A snapshot at
   * revision -1 removes the organisation. Returns false when the cache moved on meanwhile.
   */
  reconcileOrg(snapshot: OrgSnapshot, overwriteRevision?: number): Promise<boolean>;
  /** Removes an organisation unconditionally. */
  dropOrg(orgId: string): Promise<void>;
  /** Every entry the edge would read that is not listed in its organisation's index (drift). */
  findUnindexedEntries(): Promise<UnindexedEntry[]>;
  /** Deletes the entry unless its organisation's index lists it by now. Returns whether it was deleted. */
  removeUnindexedEntry(fingerprint: string): Promise<boolean>;
  /** Drops the whole cache. */
  clear(): Promise<void>;
  /** Liveness of the backing store, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const ACTIVE_KEY_CACHE = Symbol('ACTIVE_KEY_CACHE');

/** The cache's own time check: a key is accepted strictly before its acceptUntil. */
export const acceptsAt = (key: CachedKey, nowMs: number): boolean => key.acceptUntil === null || nowMs < key.acceptUntil;
