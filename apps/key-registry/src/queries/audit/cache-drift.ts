import type { EventStore, ReplayProgress } from '@keywarden/event-store';
import { acceptsAt, ActiveKeyCache, CachedKey, OrgSnapshot, reconcileOrgs, replayActiveKeys } from '@keywarden/key-cache';

export type CacheDifference = Readonly<
  | { kind: 'missing'; orgId: string; keyId: string; expected: CachedKey }
  | { kind: 'extra'; orgId: string; keyId: string; found: CachedKey }
  | { kind: 'different'; orgId: string; keyId: string; fields: readonly ('status' | 'acceptUntil' | 'fingerprint')[]; expected: CachedKey; found: CachedKey }
  /**
   * A `key:<fingerprint>` entry outside every organisation's index that the replay does not know:
   * the edge reads entries by fingerprint, so it would accept it. `found` is null (and orgId and
   * keyId too) when the entry cannot even be read as a cached key.
   */
  | { kind: 'orphan'; orgId: string | null; keyId: string | null; fingerprint: string; found: CachedKey | null }
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
 * missing from the cache, keys it holds that the replay does not accept, keys whose status, end or
 * fingerprint differ, and entries outside every organisation's index (orphans) that the replay
 * does not know. Entries past their end are left out on both sides (Redis expires them).
 */
export async function findCacheDrift(
  store: EventStore,
  cache: ActiveKeyCache,
  now: Date,
  options: Readonly<{ orgId?: string; onProgress?: ReplayProgress }> = {},
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
  // The index walk above cannot see these. An entry the replay expects is already reported as
  // missing from its organisation (and rewritten by the repair), so only unknown ones are orphans.
  const expected = new Set(replay.snapshots.flatMap((s) => s.keys.map((k) => k.fingerprint)));
  const orphans = (await cache.findUnindexedEntries())
    .filter(({ fingerprint, key }) => !expected.has(fingerprint) && (key === null ? options.orgId === undefined : wanted(key.orgId) && acceptsAt(key, nowMs)))
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  for (const { fingerprint, key } of orphans) differences.push({ kind: 'orphan', orgId: key?.orgId ?? null, keyId: key?.keyId ?? null, fingerprint, found: key });
  return { events: replay.events, organisations: orgIds.size, differences, snapshots };
}

/**
 * Rewrites the drifted organisations from a replay of their streams read at repair time, each in
 * one atomic step: their valid keys never go missing at the edge meanwhile, a cache revision the
 * store never reached cannot keep the rewrite out, and a change the live projection applied after
 * the report is not undone. Organisations the store does not know are removed, and orphan entries
 * deleted (unless the projection indexed them meanwhile).
 */
export async function repairCacheDrift(store: EventStore, cache: ActiveKeyCache, report: DriftReport, now: Date): Promise<{ organisations: number; orphans: number }> {
  const drifted = [...new Set(report.differences.flatMap((d) => (d.kind === 'orphan' ? [] : [d.orgId])))];
  const organisations = await reconcileOrgs(store, cache, drifted, now);
  let orphans = 0;
  for (const d of report.differences) if (d.kind === 'orphan' && (await cache.removeUnindexedEntry(d.fingerprint))) orphans++;
  return { organisations, orphans };
}
