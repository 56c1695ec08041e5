import type { EventStore } from '@keywarden/event-store';
import { acceptsAt, ActiveKeyCache, CachedKey, OrgSnapshot, replayActiveKeys } from '@keywarden/key-cache';

export type CacheDifference = Readonly<
  | { kind: 'missing'; orgId: string; keyId: string; expected: CachedKey }
  | { kind: 'extra'; orgId: string; keyId: string; found: CachedKey }
  | { kind: 'different'; orgId: string; keyId: string; fields: readonly ('status' | 'acceptUntil' | 'fingerprint')[]; expected: CachedKey; found: CachedKey }
>;

export type DriftReport = Readonly<{ events: number; organisations: number; differences: CacheDifference[]; snapshots: OrgSnapshot[] }>;

function compareOrg(orgId: string, expected: readonly CachedKey[], found: readonly CachedKey[]): CacheDifference[] {
  const differences: CacheDifference[] = [];
  const cached = new Map(found.map((k) => [k.keyId, k]));
  for (const want of expected) {
    const have = cached.get(want.keyId);
    cached.delete(want.keyId);
    if (!have) {
      differences.push({ kind: 'missing', orgId, keyId: want.keyId, expected: want });
      continue;
    }
    const fields = (['status', 'acceptUntil', 'fingerprint'] as const).filter((field) => want[field] !== have[field]);
    if (fields.length > 0) differences.push({ kind: 'different', orgId, keyId: want.keyId, fields, expected: want, found: have });
  }
  for (const extra of cached.values()) differences.push({ kind: 'extra', orgId, keyId: extra.keyId, found: extra });
  return differences;
}

/**
 * Compares the active-key cache with what a replay of the store says it must hold at `now`: keys
 * missing from the cache, keys it holds that the replay does not accept, and keys whose status,
 * end or fingerprint differ. Entries past their end are left out on both sides (Redis expires them).
 */
export async function findCacheDrift(
  store: EventStore,
  cache: ActiveKeyCache,
  now: Date,
  options: Readonly<{ orgId?: string; onProgress?: (events: number) => void }> = {},
): Promise<DriftReport> {
  const replay = await replayActiveKeys(store, now, { onProgress: options.onProgress });
  const wanted = (orgId: string): boolean => options.orgId === undefined || orgId === options.orgId;
  const snapshots = replay.snapshots.filter((s) => wanted(s.orgId));
  const byOrg = new Map(snapshots.map((s) => [s.orgId, s]));
  const orgIds = new Set([...byOrg.keys(), ...(await cache.listOrgIds()).filter(wanted)]);
  const nowMs = now.getTime();
  const differences: CacheDifference[] = [];
  for (const orgId of [...orgIds].sort()) {
    const found = (await cache.listOrg(orgId)).filter((k) => acceptsAt(k, nowMs));
    differences.push(...compareOrg(orgId, byOrg.get(orgId)?.keys ?? [], found));
  }
  return { events: replay.events, organisations: orgIds.size, differences, snapshots };
}

/**
 * Rewrites the drifted organisations from the replay: dropped first, so a cache revision that is
 * wrong (ahead of the store) cannot keep the restore out; organisations the store does not know
 * stay dropped.
 */
export async function repairCacheDrift(cache: ActiveKeyCache, report: DriftReport): Promise<number> {
  const drifted = [...new Set(report.differences.map((d) => d.orgId))];
  const byOrg = new Map(report.snapshots.map((s) => [s.orgId, s]));
  for (const orgId of drifted) {
    await cache.dropOrg(orgId);
    const snapshot = byOrg.get(orgId);
    if (snapshot) await cache.restoreOrgs([snapshot]);
  }
  return drifted.length;
}
