import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DedicatedBroker } from '../../../test/support/dedicated-broker';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { PrivateRedis } from '../../edge-validator/src/testing/private-redis';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';

type Report = { status: string; checks: Record<string, { status: string; error?: string }> };

// Readiness follows the real dependencies: a Redis and a Kafka broker of this test's own are
// stopped and started again, so other suites' infrastructure is not disturbed.
describe('health of the services on Kafka and Redis', () => {
  const redis = new PrivateRedis();
  const broker = new DedicatedBroker();
  let harness: EmbeddedHarness;

  beforeAll(async () => {
    await redis.start();
    broker.start();
    harness = new EmbeddedHarness({
      env: {
        KAFKA_BROKERS: broker.brokers,
        REDIS_URL: redis.url,
        KEYWARDEN_NAMESPACE: `health-${randomUUID().slice(0, 8)}`,
        PROJECTION_HEALTH_PORT: '0',
      },
    });
    await harness.start(startKeyCacheProjection, startKeyRegistry);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await redis.stop();
    broker.destroy();
  }, 60_000);

  const ready = async (service: string): Promise<{ code: number; body: Report }> => {
    const res = await request(harness.url(service)).get('/health/ready');
    return { code: res.status, body: res.body as Report };
  };

  const allUp = { status: 'up', checks: { eventStore: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'up' } } };

  it('is ready when the store, Kafka and Redis answer (registry and the projection listener)', async () => {
    for (const service of ['key-registry', 'key-cache-projection']) {
      await waitFor(async () => (expect(await ready(service)).toEqual({ code: 200, body: allUp }), true), { description: `${service} ready` });
      await request(harness.url(service)).get('/health/live').expect(200, { status: 'up' });
    }
  }, 30_000);

  it('turns not-ready while Redis is stopped, naming it, and ready again when it returns', async () => {
    await redis.stop();
    const down = await waitFor(async () => {
      const r = await ready('key-registry');
      return r.code === 503 && r.body.checks.redis.status === 'down' ? r : undefined;
    }, { description: 'not-ready with Redis down' });
    expect(down.body).toMatchObject({ status: 'down', checks: { eventStore: { status: 'up' }, kafka: { status: 'up' } } });
    expect((await ready('key-cache-projection')).code).toBe(503);
    await request(harness.url('key-registry')).get('/health/live').expect(200);

    await redis.start();
    await waitFor(async () => (expect(await ready('key-registry')).toEqual({ code: 200, body: allUp }), true), { timeoutMs: 20_000, description: 'ready after Redis returned' });
    await waitFor(async () => (expect((await ready('key-cache-projection')).code).toBe(200), true), { timeoutMs: 20_000 });
  }, 60_000);

  it('turns not-ready while Kafka is stopped, naming it, and ready again when it returns', async () => {
    broker.stopKeepingData();
    const down = await waitFor(async () => {
      const r = await ready('key-registry');
      return r.code === 503 && r.body.checks.kafka.status === 'down' ? r : undefined;
    }, { timeoutMs: 20_000, description: 'not-ready with Kafka down' });
    expect(down.body).toMatchObject({ status: 'down', checks: { eventStore: { status: 'up' }, redis: { status: 'up' } } });

    broker.start();
    await waitFor(async () => (expect(await ready('key-registry')).toEqual({ code: 200, body: allUp }), true), { timeoutMs: 60_000, intervalMs: 250, description: 'ready after Kafka returned' });
    await waitFor(async () => (expect((await ready('key-cache-projection')).code).toBe(200), true), { timeoutMs: 30_000 });
  }, 120_000);
});
