import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startEdgeValidator } from './edge-validator.service';
import { hostileTokens } from './testing/edge-test-world';
import { PrivateRedis } from './testing/private-redis';
import { TestUpstream } from './testing/test-upstream';

jest.setTimeout(90_000);

// Redis is the edge's source of truth for keys, so a Redis outage must never turn into an accept:
// only keys held in process within the staleness bound pass, everything else gets 503. This test
// runs its own redis-server so it can stop it; the registry, projection and edge share one process
// (in-process bus) and one manual clock.
describe('edge-validator when Redis is down (fail closed)', () => {
  const redis = new PrivateRedis();
  const upstream = new TestUpstream();
  let harness: EmbeddedHarness;
  let edge: ReturnType<typeof request>;
  let registry: ReturnType<typeof request>;

  beforeAll(async () => {
    await Promise.all([redis.start(), upstream.start()]);
    harness = new EmbeddedHarness({
      env: { REDIS_URL: redis.url, EDGE_UPSTREAM_URL: upstream.url, EDGE_KEY_CACHE_TTL_MS: '1000', EDGE_STALENESS_MS: '5000' },
    });
    await harness.start(startKeyCacheProjection, startKeyRegistry, startEdgeValidator);
    edge = request(harness.url('edge-validator'));
    registry = request(harness.url('key-registry'));
  });

  afterAll(async () => {
    await harness?.stop();
    await redis.stop();
    await upstream.stop();
  });

  async function issue(org: string): Promise<string> {
    const admin = { Authorization: `Bearer ${await harness.token(org)}` };
    const { body } = await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201);
    await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${body.key.keyId}/test`).set(admin)).body.valid);
    return body.secret;
  }

  const call = (secret: string) => edge.get('/v1/orders').set('Authorization', `Bearer ${secret}`);

  it('rejects garbage without asking Redis, honours held keys within the staleness bound, and answers 503 for everything else', async () => {
    const held = await issue('fail-closed-held');
    const neverSeen = await issue('fail-closed-unseen');
    await call(held).expect(200);

    const getsBefore = await redis.commandCalls('get');
    for (const token of Object.values(await hostileTokens(held))) await call(token).expect(401);
    expect(await redis.commandCalls('get')).toBe(getsBefore);

    await redis.stop();
    await edge.get('/_keywarden/ready').expect(503);

    // Within the TTL: answered from memory, Redis is not needed.
    await call(held).expect(200);
    // Past the TTL, within the staleness bound: still honoured while the re-read fails.
    harness.clock.advance(3000);
    await call(held).expect(200);
    // A key never held cannot be checked: refused, and said so.
    const unseen = await call(neverSeen).expect(503);
    expect(unseen.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/refused rather than let through unchecked/) });
    expect(unseen.headers['retry-after']).toBeDefined();
    // Past the staleness bound: the held key is refused too.
    harness.clock.advance(2001);
    await call(held).expect(503);
    // Garbage is still garbage: 401, not 503.
    await call('not.a.secret').expect(401);

    // Redis back empty (it kept nothing on disk): never "unknown key" (401) for a valid one; the
    // projection notices the missing completeness marker, rebuilds from the store, and the key passes again.
    await redis.start();
    await waitFor(async () => (await edge.get('/_keywarden/ready')).status === 200, { timeoutMs: 20_000, description: 'the edge reconnected and the cache rebuilt' });
    const statuses = new Set<number>();
    await waitFor(async () => {
      const { status } = await call(held);
      statuses.add(status);
      return status === 200;
    }, { description: 'the key served again after the rebuild' });
    expect([...statuses].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(upstream.received).toHaveLength(4);

    // With the access log off (the default), refusals and failures are logged, requests let through are not.
    const lines = harness.logs.parsed().filter((l) => l.msg === 'edge request');
    expect(lines.filter((l) => l.status === 200)).toHaveLength(0);
    expect(lines.filter((l) => l.status === 503).length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.status === 401).length).toBeGreaterThanOrEqual(Object.keys(await hostileTokens(held)).length);
  });
});
