import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { KEY_RING_STREAM_PREFIX } from '@keywarden/contracts';
import { SqliteEventStore } from '@keywarden/event-store';
import { replayActiveKeys, RedisActiveKeyCache } from '@keywarden/key-cache';
import { DedicatedBroker } from '../support/dedicated-broker';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

// The backbone across real processes: the registry and the projection as separate OS processes,
// linked by a real Kafka broker (this test's own, so it can stop it) and a real Redis.
describe('registry → store → relay → Kafka → projection → Redis, as separate processes', () => {
  const namespace = `e2e-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-'));
  const broker = new DedicatedBroker();
  let registry: ServiceProcess;
  let projection: ServiceProcess;
  let redis: Redis;
  let cache: RedisActiveKeyCache;
  let api: ReturnType<typeof request>;
  let env: Record<string, string>;
  let token: string;
  const org = 'acme';

  beforeAll(async () => {
    ensureBuilt();
    broker.start();
    const port = await freePort();
    env = {
      KAFKA_BROKERS: broker.brokers,
      REDIS_URL: process.env.REDIS_URL!,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      REGISTRY_PORT: String(port),
      SETTINGS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    projection = new ServiceProcess('key-cache-projection', env).start();
    await projection.waitForLog(/key-cache-projection started/);
    registry = new ServiceProcess('key-registry', env).start();
    await registry.waitForLog(/key-registry started/);
    api = request(`http://127.0.0.1:${port}`);
    token = await new DevelopmentIssuer(dataDir).issue({ orgId: org, email: 'admin@acme.test', role: 'admin' });
    redis = new Redis(process.env.REDIS_URL!);
    cache = new RedisActiveKeyCache(redis, { prefix: `kw:${namespace}:` });
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
    await projection?.stop();
    await cache?.clear();
    redis?.disconnect();
    broker.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const auth = () => ({ Authorization: `Bearer ${token}` });
  const cached = (keyId: string) => cache.findByKeyId(org, keyId);

  async function expectCacheEqualsReplay(): Promise<void> {
    const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    try {
      await waitFor(
        async () => {
          const { snapshots } = await replayActiveKeys(store, new Date());
          const expected = snapshots.find((s) => s.orgId === org)!;
          const actual = await cache.listOrg(org);
          const byKey = (a: { keyId: string }, b: { keyId: string }) => a.keyId.localeCompare(b.keyId);
          expect([...actual].sort(byKey)).toEqual([...expected.keys].sort(byKey));
          expect(await cache.ringRevision(org)).toBe(expected.revision);
          return true;
        },
        { timeoutMs: 60_000, description: 'the cache to equal the replayed state' },
      );
    } finally {
      await store.close();
    }
  }

  it('issues a key and the cache entry appears; revoke P0D and it goes; delete a revoked key and it goes', async () => {
    const first = (await api.post(`/v1/orgs/${org}/keys`).set(auth()).send({}).expect(201)).body;
    await waitFor(async () => (await cached(first.key.keyId))?.status === 'active', { timeoutMs: 20_000, description: 'the issued key in Redis' });
    expect((await api.post(`/v1/orgs/${org}/keys/${first.key.keyId}/test`).set(auth()).expect(200)).body.valid).toBe(true);

    const second = (await api.post(`/v1/orgs/${org}/keys/${first.key.keyId}/revoke`).set(auth()).send({ grace: 'P0D' }).expect(200)).body;
    await waitFor(async () => (await cached(first.key.keyId)) === null && (await cached(second.issued.keyId)) !== null, {
      timeoutMs: 20_000,
      description: 'the revoked key gone and its replacement cached',
    });

    const third = (await api.post(`/v1/orgs/${org}/keys/${second.issued.keyId}/revoke`).set(auth()).send({ grace: 'P30D' }).expect(200)).body;
    await waitFor(async () => (await cached(second.issued.keyId))?.status === 'revoked', { timeoutMs: 20_000, description: 'the key revoked in grace' });
    await api.delete(`/v1/orgs/${org}/keys/${second.issued.keyId}`).set(auth()).expect(204);
    await waitFor(async () => (await cached(second.issued.keyId)) === null, { timeoutMs: 20_000, description: 'the deleted key gone' });
    expect(await cached(third.issued.keyId)).toMatchObject({ status: 'active' });
    await expectCacheEqualsReplay();
  }, 90_000);

  it('converges to exactly the replayed state after a broker outage and a killed projection', async () => {
    let current = (await api.get(`/v1/orgs/${org}/keys`).set(auth()).expect(200)).body.keys.find((k: { status: string }) => k.status === 'active').keyId;
    const rotate = async () => {
      const res = (await api.post(`/v1/orgs/${org}/keys/${current}/revoke`).set(auth()).send({ grace: 'P1D' }).expect(200)).body;
      current = res.issued.keyId;
    };

    for (let i = 0; i < 3; i++) await rotate();
    broker.stopKeepingData(); // mid-stream: the registry keeps accepting changes, the relay waits
    for (let i = 0; i < 3; i++) await rotate();
    await projection.kill();
    broker.start();
    for (let i = 0; i < 3; i++) await rotate();
    projection = new ServiceProcess('key-cache-projection', env).start();
    await projection.waitForLog(/key-cache-projection started/, 60_000);
    for (let i = 0; i < 3; i++) await rotate();

    await expectCacheEqualsReplay();
    expect(await cached(current)).toMatchObject({ status: 'active' });
  }, 180_000);
});
