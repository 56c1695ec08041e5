import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { DedicatedBroker } from '../../../test/support/dedicated-broker';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { PrivateRedis } from '../../edge-validator/src/testing/private-redis';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';

jest.setTimeout(180_000);

const DEPENDENCY_TIMEOUT_MS = 2_000;
/** What a request may take beyond the dependency deadline on the shared, loaded test machine. */
const SLACK_MS = 1_500;

// The settings service and the registry on a Kafka broker of this test's own, which it stops:
// readiness must mean "settings replayed", and no admin request may hang on Kafka.
describe('the admin services when Kafka is down', () => {
  const broker = new DedicatedBroker();
  const redis = new PrivateRedis();
  const namespace = `kafka-down-${randomUUID().slice(0, 8)}`;
  const env = (): Record<string, string> => ({
    KAFKA_BROKERS: broker.brokers,
    REDIS_URL: redis.url,
    KEYWARDEN_NAMESPACE: namespace,
    REQUEST_DEPENDENCY_TIMEOUT_MS: String(DEPENDENCY_TIMEOUT_MS),
  });
  const harnesses: EmbeddedHarness[] = [];
  const org = `kd-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await redis.start();
    broker.start();
  });

  afterAll(async () => {
    for (const harness of harnesses.reverse()) await harness.stop();
    await redis.stop();
    broker.destroy();
  });

  const started = async (...starters: Parameters<EmbeddedHarness['start']>): Promise<EmbeddedHarness> => {
    const harness = new EmbeddedHarness({ env: env() });
    harnesses.push(harness);
    await harness.start(...starters);
    return harness;
  };

  it('replays the settings topic before the settings service listens, so it is ready only with every organisation applied', async () => {
    const first = await started(startSettings);
    await request(first.url('settings'))
      .patch(`/v1/orgs/${org}/settings`)
      .set('Authorization', `Bearer ${await first.token(org)}`)
      .send({ requestIdHeader: 'X-Trace-Id' })
      .expect(200);
    await waitFor(async () => (await first.infra.orgSettings()).current(org).requestIdHeader === 'X-Trace-Id', { timeoutMs: 30_000, description: 'the change on the topic' });

    // A second instance, started later: by the time it listens, it has replayed the change.
    const second = await started(startSettings);
    const replayed = second.logs.parsed().find((l) => l.msg === 'following the settings topic (replayed to its end)');
    expect(replayed).toMatchObject({ organisations: 1 });
    expect((await second.infra.orgSettings()).current(org).requestIdHeader).toBe('X-Trace-Id');
    await request(second.url('settings')).get('/health/ready').expect(200);
    const res = await request(second.url('settings'))
      .get(`/v1/orgs/${org}/settings`)
      .set({ Authorization: `Bearer ${await second.token(org)}`, 'X-Trace-Id': 'trace-1' })
      .expect(200);
    expect(res.headers['x-trace-id']).toBe('trace-1');
  });

  it('answers within the dependency deadline with Kafka stopped: settings from memory, a reveal with 503 REVEAL_CODE_NOT_SENT and no code left pending', async () => {
    const settings = harnesses[0];
    const registry = await started(startKeyRegistry);
    const admin = { Authorization: `Bearer ${await registry.token(org)}` };
    const { body: issued } = await request(registry.url('key-registry')).post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201);

    broker.stopKeepingData();
    try {
      let startedAt = Date.now();
      await request(settings.url('settings'))
        .get(`/v1/orgs/${org}/settings`)
        .set('Authorization', `Bearer ${await settings.token(org)}`)
        .expect(200);
      expect(Date.now() - startedAt).toBeLessThan(DEPENDENCY_TIMEOUT_MS);

      startedAt = Date.now();
      const reveal = await request(registry.url('key-registry')).post(`/v1/orgs/${org}/keys/${issued.key.keyId}/reveal-requests`).set(admin);
      const tookMs = Date.now() - startedAt;
      console.log(`reveal request with Kafka stopped: ${reveal.status} after ${tookMs} ms (deadline ${DEPENDENCY_TIMEOUT_MS} ms)`);
      expect(reveal.status).toBe(503);
      expect(reveal.body).toMatchObject({ statusCode: 503, details: { code: 'REVEAL_CODE_NOT_SENT' } });
      expect(reveal.headers['retry-after']).toBeDefined();
      expect(tookMs).toBeLessThan(DEPENDENCY_TIMEOUT_MS + SLACK_MS);
      const client = new Redis(redis.url);
      try {
        expect(await client.keys('*:request:rvl_*')).toEqual([]);
      } finally {
        client.disconnect();
      }
    } finally {
      broker.start();
    }
  });
});
