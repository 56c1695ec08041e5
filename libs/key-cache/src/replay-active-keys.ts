import { KEY_RING_STREAM_PREFIX, orgIdOfStream, parseKeyRingEvent } from '@keywarden/contracts';
import type { EventStore } from '@keywarden/event-store';
import { acceptsAt, ActiveKeyCache, CachedKey, OrgSnapshot } from './active-key-cache.port';
import { projectKeyEvent } from './active-key.projection';

export type ReplayOptions = Readonly<{
  /** Events read per page. @default 20000 */
  batchSize?: number;
  /** Called after each page with the number of events replayed so far. */
  onProgress?: (eventsReplayed: number) => void;
}>;

/**
 * Replays every key ring of the store through the same pure projection the live consumer uses,
 * and returns what the cache should hold per organisation at `now` (keys past their end left out).
 */
export async function replayActiveKeys(store: EventStore, now: Date, options: ReplayOptions = {}): Promise<{ snapshots: OrgSnapshot[]; events: number }> {
  // A plain synchronous fold per page (same semantics as applying to the in-memory cache): an
  // await per event made long replays several times slower.
  const rings = new Map<string, { revision: number; keys: Map<string, CachedKey> }>();
  const batchSize = options.batchSize ?? 20_000;
  let fromPosition: bigint | undefined;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition, limit: batchSize, streamPrefix: KEY_RING_STREAM_PREFIX });
    if (page.length === 0) break;
    for (const recorded of page) {
      const orgId = orgIdOfStream(recorded.streamId)!;
      const event = parseKeyRingEvent(recorded.type, recorded.data);
      let ring = rings.get(orgId);
      if (!ring) rings.set(orgId, (ring = { revision: -1, keys: new Map() }));
      const revision = Number(recorded.revision);
      if (revision <= ring.revision) continue;
      ring.revision = revision;
      const change = projectKeyEvent(ring.keys.get(event.data.keyId) ?? null, event);
      if (change.kind === 'put') ring.keys.set(change.key.keyId, change.key);
      else if (change.kind === 'remove') ring.keys.delete(change.keyId);
    }
    events += page.length;
    fromPosition = page[page.length - 1].position;
    options.onProgress?.(events);
    if (page.length < batchSize) break;
  }
  const nowMs = now.getTime();
  const snapshots: OrgSnapshot[] = [];
  for (const [orgId, ring] of rings) {
    snapshots.push({ orgId, revision: ring.revision, keys: [...ring.keys.values()].filter((k) => acceptsAt(k, nowMs)) });
  }
  return { snapshots, events };
}

export type RebuildReport = Readonly<{ events: number; organisations: number; keys: number; replaced: number; dropped: number }>;

/**
 * Rebuilds the cache from the store: each organisation is replaced by its replayed state (unless
 * the live projection already applied a newer revision), and organisations the store does not
 * know are dropped. Safe to run while the projection keeps consuming.
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
  for (const orgId of unknown) await cache.dropOrg(orgId);
  return { events, organisations: snapshots.length, keys: snapshots.reduce((n, s) => n + s.keys.length, 0), replaced, dropped: unknown.length };
}
