import { KEY_RING_STREAM_PREFIX, keyRingStream, orgIdOfStream, parseKeyRingEvent } from '@keywarden/contracts';
import type { EventStore, ReplayedEvent, ReplayProgress } from '@keywarden/event-store';
import { acceptsAt, ActiveKeyCache, CachedKey, OrgSnapshot } from './active-key-cache.port';
import { projectKeyEvent } from './active-key.projection';

export type ReplayOptions = Readonly<{
  /** Events read per page. @default 1000 */
  batchSize?: number;
  /** Called after each page with the number of events replayed so far. */
  onProgress?: ReplayProgress;
}>;

type Ring = { revision: number; keys: Map<string, CachedKey> };

/** Folds one recorded event of a ring into it; the same revision twice changes nothing. */
function foldRecorded(ring: Ring, recorded: ReplayedEvent): void {
  const revision = Number(recorded.revision);
  if (revision <= ring.revision) return;
  const event = parseKeyRingEvent(recorded.type, recorded.data);
  ring.revision = revision;
  const change = projectKeyEvent(ring.keys.get(event.data.keyId) ?? null, event);
  if (change.kind === 'put') ring.keys.set(change.key.keyId, change.key);
  else if (change.kind === 'remove') ring.keys.delete(change.keyId);
}

const snapshotOf = (orgId: string, ring: Ring, nowMs: number): OrgSnapshot => ({
  orgId,
  revision: ring.revision,
  keys: [...ring.keys.values()].filter((k) => acceptsAt(k, nowMs)),
});

/**
 * Replays every key ring of the store through the same pure projection the live consumer uses,
 * and returns what the cache should hold per organisation at `now` (keys past their end left out).
 */
export async function replayActiveKeys(store: EventStore, now: Date, options: ReplayOptions = {}): Promise<{ snapshots: OrgSnapshot[]; events: number }> {
  // A plain synchronous fold per page (same semantics as applying to the in-memory cache): an
  // await per event made long replays several times slower.
  const rings = new Map<string, Ring>();
  const batchSize = options.batchSize ?? 1_000;
  let fromPosition: bigint | undefined;
  let events = 0;
  for (;;) {
    const page = await store.readReplayPage({ fromPosition, limit: batchSize, streamPrefix: KEY_RING_STREAM_PREFIX });
    if (page.length === 0) break;
    for (const recorded of page) {
      const orgId = orgIdOfStream(recorded.streamId)!;
      let ring = rings.get(orgId);
      if (!ring) rings.set(orgId, (ring = { revision: -1, keys: new Map() }));
      foldRecorded(ring, recorded);
    }
    events += page.length;
    fromPosition = page[page.length - 1].position;
    options.onProgress?.(events, fromPosition);
    if (page.length < batchSize) break;
  }
  const nowMs = now.getTime();
  return { snapshots: [...rings].map(([orgId, ring]) => snapshotOf(orgId, ring, nowMs)), events };
}

/** One organisation's replay, read from its stream now; revision -1 when the store has no ring for it. */
export async function replayOrg(store: EventStore, orgId: string, now: Date): Promise<OrgSnapshot> {
  const ring: Ring = { revision: -1, keys: new Map() };
  for (const recorded of await store.readStream(keyRingStream(orgId))) foldRecorded(ring, recorded);
  return snapshotOf(orgId, ring, now.getTime());
}

/**
 * Makes each organisation's cache entries equal to a replay of its stream read now, without
 * removing state the live projection applied after that read, and with no moment where one of its
 * valid keys is missing (one Lua script per organisation). The cache revision is read before the
 * store: a revision the projection applied is then at most the store's, so a cache revision above
 * the store's is wrong and is overwritten. An organisation the store does not know is removed.
 * Returns how many organisations were rewritten.
 */
export async function reconcileOrgs(store: EventStore, cache: ActiveKeyCache, orgIds: Iterable<string>, now: Date): Promise<number> {
  let rewritten = 0;
  for (const orgId of orgIds) {
    // The projection moving on between our read and the write makes the script refuse: read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const cached = await cache.ringRevision(orgId);
      const snapshot = await replayOrg(store, orgId, now);
      const wrong = cached !== null && cached > snapshot.revision ? cached : undefined;
      if (await cache.reconcileOrg(snapshot, wrong)) {
        rewritten++;
        break;
      }
    }
  }
  return rewritten;
}

export type RebuildReport = Readonly<{ events: number; organisations: number; keys: number; replaced: number; dropped: number }>;

/**
 * Rebuilds the cache from the store: each organisation is replaced by its replayed state (unless
 * the live projection already applied a newer revision), and organisations the store does not
 * know are dropped. Safe to run while the projection keeps consuming: an organisation the cache
 * holds but the replay did not see (its first key issued after the replay read the store, and
 * already projected) is replayed again from its stream, never dropped.
 */
export async function rebuildActiveKeyCache(store: EventStore, cache: ActiveKeyCache, now: Date, options: ReplayOptions = {}): Promise<RebuildReport> {
  const { snapshots, events } = await replayActiveKeys(store, now, options);
  let replaced = 0;
  // A few chunks in flight keep Redis busy while this process encodes the next ones.
  const chunks: OrgSnapshot[][] = [];
  for (let i = 0; i < snapshots.length; i += 1000) chunks.push(snapshots.slice(i, i + 1000));
  for (let i = 0; i < chunks.length; i += 4) {
    for (const n of await Promise.all(chunks.slice(i, i + 4).map((chunk) => cache.restoreOrgs(chunk)))) replaced += n;
  }
  const known = new Set(snapshots.map((s) => s.orgId));
  const unknown = (await cache.listOrgIds()).filter((orgId) => !known.has(orgId));
  let dropped = 0;
  for (const orgId of unknown) {
    await reconcileOrgs(store, cache, [orgId], now);
    if ((await cache.ringRevision(orgId)) === null) dropped++;
  }
  return { events, organisations: snapshots.length, keys: snapshots.reduce((n, s) => n + s.keys.length, 0), replaced, dropped };
}
