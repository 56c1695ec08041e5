import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { KeyRingEvent, keyRingStream } from '@keywarden/contracts';
import { EventStore, SqliteEventStore } from '@keywarden/event-store';
import { projectKeyEvent } from './active-key.projection';
import { RedisActiveKeyCache } from './redis-active-key-cache.adapter';
import { rebuildActiveKeyCache } from './replay-active-keys';

// `cache:rebuild` while the live projection keeps applying events, on a real Redis (from the Jest
// global setup) and a SQLite store: the live applies are interleaved at the exact points where the
// rebuild has read the store but not yet written, by a store that runs them when it is read.
describe('rebuilding the active-key cache while the projection applies events', () => {
  let dir: string;
  let store: SqliteEventStore;
  let redis: Redis;
  let cache: RedisActiveKeyCache;
  let run: string;
  // Real time: Redis itself removes an entry whose end is past (its own clock).
  const now = new Date();
  const at = (offsetMs: number): string => new Date(now.getTime() + offsetMs).toISOString();
  const HOUR = 3_600_000;
  const actor = { sub: 'admin', email: null };

  beforeEach(() => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: the Jest global setup starts Redis for the int tests');
    dir = mkdtempSync(join(tmpdir(), 'keywarden-rebuild-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'));
    redis = new Redis(process.env.REDIS_URL);
    run = randomUUID().slice(0, 8);
    cache = new RedisActiveKeyCache(redis, { prefix: `test:rebuild-${run}:` });
  });

  afterEach(async () => {
    await cache.clear();
    redis.disconnect();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fingerprintOf = (keyId: string): string => Buffer.from(`${run}${keyId}`).toString('hex').padEnd(64, '0').slice(0, 64);
  const issued = (orgId: string, keyId: string): KeyRingEvent => ({
    type: 'KeyIssued',
    data: {
      orgId,
      keyId,
      fingerprint: fingerprintOf(keyId),
      hint: 'kw_…abcd',
      material: { alg: 'A256GCM', dataKeyId: keyId, iv: '', ciphertext: '', tag: '' },
      issuedAt: at(-HOUR),
      expiresAt: at(365 * 24 * HOUR),
      reason: 'initial',
      replaces: null,
      actor,
    },
  });
  const revoked = (orgId: string, keyId: string, replacedBy: string): KeyRingEvent => ({
    type: 'KeyRevoked',
    data: { orgId, keyId, revokedAt: at(-HOUR / 2), graceEndsAt: at(7 * 24 * HOUR), kind: 'manual', reason: null, replacedBy, actor },
  });
  const neverExpires = (orgId: string, keyId: string): KeyRingEvent => ({
    type: 'ExpirationRemoved',
    data: { orgId, keyId, removedAt: at(-HOUR / 4), actor },
  });

  /** The registry's append, then the live projection's apply of the same events, as the consumer does it. */
  async function appendAndProject(orgId: string, events: KeyRingEvent[]): Promise<void> {
    const before = await store.readLastEvent(keyRingStream(orgId));
    const appended = await store.appendToStream(
      keyRingStream(orgId),
      events.map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data })),
      before === undefined ? 'no_stream' : before.revision,
    );
    let revision = Number(appended.nextExpectedRevision) - events.length + 1;
    for (const event of events) {
      const current = await cache.findByKeyId(orgId, event.data.keyId);
      expect(await cache.applyRingChange(orgId, revision++, projectKeyEvent(current, event))).toBe('applied');
    }
  }

  /** The store, with `hooks` run once right after the first read that matches. */
  function interleaved(hooks: { afterReplay?: () => Promise<void>; afterStreamRead?: { streamId: string; run: () => Promise<void> } }): EventStore {
    let { afterReplay, afterStreamRead } = hooks;
    return {
      appendToStream: (...args) => store.appendToStream(...args),
      readLastEvent: (streamId) => store.readLastEvent(streamId),
      headPosition: () => store.headPosition(),
      subscribeToAll: (...args) => store.subscribeToAll(...args),
      close: async () => undefined,
      readAll: (options) => store.readAll(options),
      readReplayPage: async (options) => {
        const page = await store.readReplayPage(options);
        // The last page: the replay has read everything the store held.
        if (afterReplay && page.length < options.limit) {
          const hook = afterReplay;
          afterReplay = undefined;
          await hook();
        }
        return page;
      },
      readStream: async (streamId) => {
        const events = await store.readStream(streamId);
        if (afterStreamRead?.streamId === streamId) {
          const hook = afterStreamRead.run;
          afterStreamRead = undefined;
          await hook();
        }
        return events;
      },
    };
  }

  it('keeps an organisation whose first key was issued and projected after the replay read the store, and keeps newer state of known ones', async () => {
    const known = `known-${run}`;
    const late = `late-${run}`;
    const ghost = `ghost-${run}`;
    await appendAndProject(known, [issued(known, 'key_known0')]);
    // An organisation the store never knew: the rebuild still drops it.
    await cache.applyRingChange(ghost, 0, { kind: 'put', key: { orgId: ghost, keyId: 'key_ghost', fingerprint: fingerprintOf('key_ghost'), status: 'active', acceptUntil: null } });

    const report = await rebuildActiveKeyCache(
      interleaved({
        afterReplay: async () => {
          await appendAndProject(late, [issued(late, 'key_late0')]);
          await appendAndProject(known, [issued(known, 'key_known1'), revoked(known, 'key_known0', 'key_known1')]);
        },
      }),
      cache,
      now,
    );

    expect(await cache.lookup(fingerprintOf('key_late0'))).toEqual({
      orgId: late,
      keyId: 'key_late0',
      fingerprint: fingerprintOf('key_late0'),
      status: 'active',
      acceptUntil: Date.parse(at(365 * 24 * HOUR)),
    });
    expect(await cache.ringRevision(late)).toBe(0);
    expect(await cache.listOrgIds()).toContain(late);
    // The known organisation moved on after the replay: its newer state is what the cache keeps.
    expect(await cache.ringRevision(known)).toBe(2);
    expect(await cache.lookup(fingerprintOf('key_known0'))).toMatchObject({ status: 'revoked', acceptUntil: Date.parse(at(7 * 24 * HOUR)) });
    expect(await cache.lookup(fingerprintOf('key_known1'))).toMatchObject({ status: 'active' });
    expect(await cache.lookup(fingerprintOf('key_ghost'))).toBeNull();
    expect(await cache.listOrgIds()).not.toContain(ghost);
    expect(report).toMatchObject({ organisations: 1, dropped: 1 });
  });

  it('does not undo a change projected between its second read of a late organisation and its write', async () => {
    const late = `late-${run}`;
    const report = await rebuildActiveKeyCache(
      interleaved({
        afterReplay: () => appendAndProject(late, [issued(late, 'key_late0')]),
        // The rebuild reads the late organisation's stream (revision 0); the projection then applies revision 1.
        afterStreamRead: { streamId: keyRingStream(late), run: () => appendAndProject(late, [neverExpires(late, 'key_late0')]) },
      }),
      cache,
      now,
    );
    expect(await cache.ringRevision(late)).toBe(1);
    expect(await cache.lookup(fingerprintOf('key_late0'))).toMatchObject({ status: 'active', acceptUntil: null });
    expect(report).toMatchObject({ organisations: 0, dropped: 0 });
  });
});
