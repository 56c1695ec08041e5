import Redis from 'ioredis';
import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startEdgeValidator } from './edge-validator.service';
import { RegistrySide } from './testing/edge-test-world';
import { PrivateRedis } from './testing/private-redis';
import { TestUpstream } from './testing/test-upstream';

jest.setTimeout(180_000);

const CACHE_CHECK_MS = 500;
const REVOCATIONS = 10;
const DELETES = 5;

/** The p-th percentile (0-100) of the measured times, nearest rank. */
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

// Half-failures on real Kafka and a Redis of this test's own (it is flushed): the registry, the
// key-cache projection and the edge each with their own Infrastructure, sharing the data folder
// (event store, key material), so the projection can be stopped and started alone.
describe('edge-validator when Redis is emptied or the projection is down', () => {
  const redis = new PrivateRedis();
  const upstream = new TestUpstream();
  const run = `${process.pid}-${Date.now().toString(36)}`;
  let infraEnv: Record<string, string>;
  let registry: RegistrySide;
  let projection: EmbeddedHarness | undefined;
  let edgeHarness: EmbeddedHarness;
  let edge: ReturnType<typeof request>;
  let admin: Redis;
  let n = 0;
  const nextOrg = () => `faults-${run}-${++n}`;

  const startProjection = async () => {
    projection = new EmbeddedHarness({ dataDir: registry.harness.dataDir, env: { ...infraEnv, PROJECTION_CACHE_CHECK_MS: String(CACHE_CHECK_MS) } });
    await projection.start(startKeyCacheProjection);
  };
  const stopProjection = async () => {
    await projection?.stop();
    projection = undefined;
  };

  beforeAll(async () => {
    await Promise.all([redis.start(), upstream.start()]);
    infraEnv = { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, REDIS_URL: redis.url, KEYWARDEN_NAMESPACE: `edge-faults-${process.pid}` };
    registry = new RegistrySide(infraEnv);
    await registry.start(startKeyRegistry);
    await startProjection();
    edgeHarness = new EmbeddedHarness({ dataDir: registry.harness.dataDir, env: { ...infraEnv, REGISTRY_URL: registry.url, EDGE_UPSTREAM_URL: upstream.url } });
    await edgeHarness.start(startEdgeValidator);
    edge = request(edgeHarness.url('edge-validator'));
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await edgeHarness?.stop();
    await stopProjection();
    await registry?.stop();
    await redis.stop();
    await upstream.stop();
  });

  const call = (secret: string) => edge.get('/v1/orders').set('Authorization', `Bearer ${secret}`);

  it('answers 503 (never 401) for a valid key while Redis is empty, reports not ready, and serves it again once the projection rebuilt by itself', async () => {
    const first = await registry.issue(nextOrg());
    const second = await registry.issue(nextOrg());
    await edge.get('/_keywarden/ready').expect(200);

    // With the projection down nothing rebuilds: the emptied cache must not read as "unknown key".
    await stopProjection();
    await admin.flushall();
    const refused = await call(first.secret).expect(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.body).toMatchObject({ statusCode: 503, details: { code: 'KEY_CACHE_REBUILDING' } });
    const ready = await edge.get('/_keywarden/ready').expect(503);
    expect(ready.body).toMatchObject({ keyCache: 'rebuilding' });
    await startProjection();
    await call(first.secret).expect(200);

    // With the projection running, a FLUSHALL is noticed at its next marker check and rebuilt:
    // the edge answers 503 meanwhile, then 200; a 401 would be an outage that looks like a bad key.
    await admin.flushall();
    const flushedAt = Date.now();
    const seen = new Set<number>();
    await waitFor(
      async () => {
        const { status } = await call(second.secret);
        seen.add(status);
        return status === 200;
      },
      { timeoutMs: 10_000, intervalMs: 10, description: 'the key served again after the self-rebuild' },
    );
    const servedAfterMs = Date.now() - flushedAt;
    console.log(`FLUSHALL with the projection running: served again after ${servedAfterMs} ms (statuses seen: ${[...seen].join(', ')}; marker checked every ${CACHE_CHECK_MS} ms)`);
    expect([...seen].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(servedAfterMs).toBeLessThan(5_000);
    await edge.get('/_keywarden/ready').expect(200);
  });

  it('refuses a grace-0 revocation and a deletion at the edge while the projection is down, and prints how fast', async () => {
    // Keys issued (and, for the deletions, revoked with a grace) while the projection runs, used at the edge.
    const toRevoke = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const org = nextOrg();
      toRevoke.push({ org, ...(await registry.issue(org)) });
    }
    const toDelete = [];
    for (let i = 0; i < DELETES; i++) {
      const org = nextOrg();
      const key = await registry.issue(org);
      const { issued } = await registry.revoke(org, key.keyId, { grace: 'P7D' });
      await registry.waitUntilCached(org, issued.keyId);
      toDelete.push({ org, ...key });
    }
    await stopProjection();

    const refusedWithin = async (secret: string, act: () => Promise<void>): Promise<number> => {
      await waitFor(async () => (await call(secret)).status === 200, { timeoutMs: 10_000, description: 'the key accepted before' });
      // Timed from the admin's request going out, not its answer: the bound a caller can rely on.
      const doneAt = Date.now();
      await act();
      await waitFor(async () => (await call(secret)).status === 401, { timeoutMs: 10_000, intervalMs: 5, description: 'the key refused at the edge' });
      return Date.now() - doneAt;
    };

    const revocations: number[] = [];
    for (const key of toRevoke) revocations.push(await refusedWithin(key.secret, async () => void (await registry.revoke(key.org, key.keyId, { grace: 'P0D' }))));
    const deletes: number[] = [];
    for (const key of toDelete) deletes.push(await refusedWithin(key.secret, () => registry.delete(key.org, key.keyId)));

    const summary = (times: number[]) => `p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${Math.max(...times)} ms`;
    console.log(`projection down: ${REVOCATIONS} grace-0 revocations refused at the edge after ${summary(revocations)}; ${DELETES} deletions after ${summary(deletes)}`);
    expect(Math.max(...revocations, ...deletes)).toBeLessThan(5_000);
    await startProjection();
  });
});
