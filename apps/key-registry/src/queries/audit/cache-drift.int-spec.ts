import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { rebuildActiveKeyCache } from '@keywarden/key-cache';
import { EmbeddedHarness } from '../../../../../test/support/embedded-harness';
import { waitFor } from '../../../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry.service';
import { findCacheDrift, repairCacheDrift } from './cache-drift';

// --verify-cache / --repair on a real Redis (from the Jest global setup), in this test's own
// namespace: drift made behind the projection's back is found, listed and repaired from the replay.
describe('active-key cache drift against the replay', () => {
  const namespace = `drift-${randomUUID().slice(0, 8)}`;
  let harness: EmbeddedHarness;
  let redis: Redis;

  beforeAll(async () => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: the Jest global setup starts Redis for the int tests');
    harness = new EmbeddedHarness({ env: { REDIS_URL: process.env.REDIS_URL, KEYWARDEN_NAMESPACE: namespace } });
    await harness.start(startKeyCacheProjection, startKeyRegistry);
    redis = new Redis(process.env.REDIS_URL);
  });

  afterAll(async () => {
    await (await harness.infra.activeKeyCache()).clear();
    redis.disconnect();
    await harness.stop();
  });

  it('finds missing, extra and different entries, and --repair makes the cache equal to the replay', async () => {
    const api = request(harness.url('key-registry'));
    const cache = await harness.infra.activeKeyCache();
    const store = harness.infra.eventStore();
    const prefix = harness.infra.redisKeyPrefix;
    const keys: Record<string, string> = {};
    for (const org of ['drift-a', 'drift-b', 'drift-c']) {
      const auth = { Authorization: `Bearer ${await harness.token(org)}` };
      keys[org] = (await api.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body.key.keyId;
    }
    const revoked = await api.post(`/v1/orgs/drift-c/keys/${keys['drift-c']}/revoke`).set({ Authorization: `Bearer ${await harness.token('drift-c')}` }).send({ grace: 'P7D' }).expect(200);
    await waitFor(async () => (await findCacheDrift(store, cache, harness.clock.now())).differences.length === 0 && (await cache.findByKeyId('drift-c', revoked.body.issued.keyId)), {
      description: 'the projection to fill the cache',
    });

    // Drift: an entry lost, a status flipped (under a ring revision the store never reached), an end
    // moved, an organisation the store never knew, and entries outside every index that the edge
    // would read by fingerprint: one that looks valid, one that is not even readable.
    const a = (await cache.findByKeyId('drift-a', keys['drift-a']))!;
    const b = (await cache.findByKeyId('drift-b', keys['drift-b']))!;
    const c = (await cache.findByKeyId('drift-c', keys['drift-c']))!;
    await redis.del(`${prefix}key:${a.fingerprint}`);
    await redis.set(`${prefix}key:${b.fingerprint}`, JSON.stringify(['drift-b', b.keyId, 'r', b.acceptUntil]));
    await redis.set(`${prefix}org:drift-b:rev`, '99');
    await redis.set(`${prefix}key:${c.fingerprint}`, JSON.stringify(['drift-c', c.keyId, 'r', null]));
    await cache.applyRingChange('drift-ghost', 0, { kind: 'put', key: { orgId: 'drift-ghost', keyId: 'key_ghost000000000000', fingerprint: 'f'.repeat(64), status: 'active', acceptUntil: null } });
    const stray = 'e'.repeat(64);
    await redis.set(`${prefix}key:${stray}`, JSON.stringify(['drift-a', 'key_stray000000000000', 'a', null]));
    const garbage = 'd'.repeat(64);
    await redis.set(`${prefix}key:${garbage}`, 'not a cached key');
    expect(await cache.lookup(stray)).toMatchObject({ orgId: 'drift-a', status: 'active' }); // what the edge would read

    const report = await findCacheDrift(store, cache, harness.clock.now());
    expect(report.differences.map((d) => [d.kind, d.orgId, d.keyId, d.kind === 'different' ? d.fields : []])).toEqual([
      ['missing', 'drift-a', a.keyId, []],
      ['different', 'drift-b', b.keyId, ['status']],
      ['different', 'drift-c', c.keyId, ['acceptUntil']],
      ['extra', 'drift-ghost', 'key_ghost000000000000', []],
      ['orphan', null, null, []],
      ['orphan', 'drift-a', 'key_stray000000000000', []],
    ]);
    expect(report.differences.filter((d) => d.kind === 'orphan').map((d) => d.kind === 'orphan' && d.fingerprint)).toEqual([garbage, stray]);
    // One organisation at a time, as `--org` asks (its orphans included).
    expect((await findCacheDrift(store, cache, harness.clock.now(), { orgId: 'drift-b' })).differences).toHaveLength(1);
    expect((await findCacheDrift(store, cache, harness.clock.now(), { orgId: 'drift-a' })).differences.map((d) => d.kind)).toEqual(['missing', 'orphan']);

    // The edge must never find a valid key missing while the repair runs: after each step the repair
    // takes on the cache, drift-b's and drift-c's keys (present, with wrong content) are still there.
    const gaps: string[] = [];
    const watched = new Proxy(cache, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result = await value.apply(target, args);
          for (const k of [b, c]) if ((await redis.get(`${prefix}key:${k.fingerprint}`)) === null) gaps.push(`${k.orgId} after ${String(name)}`);
          return result;
        };
      },
    });
    expect(await repairCacheDrift(store, watched, report, harness.clock.now())).toEqual({ organisations: 4, orphans: 2 });
    expect(gaps).toEqual([]);
    expect((await findCacheDrift(store, cache, harness.clock.now())).differences).toEqual([]);
    expect(await cache.lookup(a.fingerprint)).toEqual(a);
    expect(await cache.lookup(b.fingerprint)).toEqual(b);
    expect(await cache.ringRevision('drift-b')).toBe(0);
    expect(await cache.lookup(c.fingerprint)).toEqual(c);
    expect(await cache.lookup('f'.repeat(64))).toBeNull();
    expect(await cache.listOrgIds()).not.toContain('drift-ghost');
    expect(await cache.lookup(stray)).toBeNull();
    expect(await redis.exists(`${prefix}key:${garbage}`)).toBe(0);

    // A full rebuild (npm run cache:rebuild) over a wiped cache lands on the same state.
    await redis.del(`${prefix}key:${b.fingerprint}`);
    await rebuildActiveKeyCache(store, cache, harness.clock.now());
    expect((await findCacheDrift(store, cache, harness.clock.now())).differences).toEqual([]);
  });
});
