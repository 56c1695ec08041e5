import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startEdgeValidator } from './edge-validator.service';
import { hostileTokens, RegistrySide } from './testing/edge-test-world';
import { TestUpstream } from './testing/test-upstream';

jest.setTimeout(90_000);

// The edge as deployed: its own process state (own Infrastructure and clock), the registry's JWKS
// over HTTP, the active-key cache in the real Redis and invalidations over the real Kafka. Keys
// and Secrets come from the registry's HTTP API; nothing is forged into Redis.
describe('edge-validator on Kafka and Redis', () => {
  const upstream = new TestUpstream();
  const run = `${process.pid}-${Date.now().toString(36)}`;
  // Its own topics, consumer groups and Redis keys: no other test file's projection takes its messages.
  const infraEnv = { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, REDIS_URL: process.env.REDIS_URL!, KEYWARDEN_NAMESPACE: `edge-int-${process.pid}` };
  const registry = new RegistrySide(infraEnv);
  let edgeHarness: EmbeddedHarness;
  let edge: ReturnType<typeof request>;
  let n = 0;
  let org = '';

  beforeAll(async () => {
    await upstream.start();
    await registry.start(startKeyCacheProjection, startKeyRegistry);
    edgeHarness = new EmbeddedHarness({
      dataDir: registry.harness.dataDir,
      env: { ...infraEnv, REGISTRY_URL: registry.url, EDGE_UPSTREAM_URL: upstream.url, EDGE_USAGE_FLUSH_MS: '200' },
    });
    await edgeHarness.start(startEdgeValidator);
    edge = request(edgeHarness.url('edge-validator'));
  });

  afterAll(async () => {
    await edgeHarness?.stop();
    await registry.stop();
    await upstream.stop();
  });

  beforeEach(() => {
    org = `edge-int-${run}-${++n}`;
    upstream.reset();
  });

  const call = (secret?: string) => edge.get('/v1/orders').set(secret ? { Authorization: `Bearer ${secret}` } : {});

  it('forwards a valid Secret with the identity headers', async () => {
    const { keyId, secret } = await registry.issue(org);
    await call(secret).expect(200);
    expect(upstream.last().headers).toMatchObject({ 'x-keywarden-org': org, 'x-keywarden-key-id': keyId });
    expect(upstream.last().headers.authorization).toBeUndefined();
  });

  it('refuses an expired key from its expiry on (by the edge clock)', async () => {
    const { secret } = await registry.issue(org, { validity: 'P1D' });
    await call(secret).expect(200);
    try {
      edgeHarness.clock.advance(DAY_MS);
      await call(secret).expect(401);
    } finally {
      edgeHarness.clock.advance(-DAY_MS);
    }
  });

  it('accepts a revoked key during its grace, and refuses it once the grace is over', async () => {
    const { keyId, secret } = await registry.issue(org);
    const { issued } = await registry.revoke(org, keyId, { grace: 'P1D' });
    await registry.waitUntilCached(org, issued.keyId);
    await waitFor(async () => (await call(secret)).status === 200, { timeoutMs: 30_000, description: 'the revoked key accepted in its grace' });
    try {
      edgeHarness.clock.advance(DAY_MS + 1000);
      await call(secret).expect(401);
    } finally {
      edgeHarness.clock.advance(-(DAY_MS + 1000));
    }
  });

  it('refuses a deleted key, and says no more about it than about a wrong one', async () => {
    const { keyId, secret } = await registry.issue(org);
    await call(secret).expect(200);
    const { issued } = await registry.revoke(org, keyId, {});
    await registry.waitUntilCached(org, issued.keyId);
    await registry.delete(org, keyId);
    const deleted = await waitFor(async () => {
      const res = await call(secret);
      return res.status === 401 ? res : null;
    }, { timeoutMs: 30_000, description: 'the deleted key refused' });
    const wrong = await call((await hostileTokens(secret))['with a forged signature']).expect(401);
    expect(deleted.body).toEqual(wrong.body);
    expect(deleted.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
  });

  it('evicts at once on the invalidation of a grace-0 revocation, with the admin call’s request id in the edge’s log line', async () => {
    const { keyId, secret } = await registry.issue(org);
    await call(secret).expect(200);
    // The edge's clock stands still, so its in-process entry stays fresh: only the invalidation can end it.
    await registry.revoke(org, keyId, { grace: 'P0D' }, { 'X-Customer-Request-Id': `revoke-${org}` });
    await waitFor(async () => (await call(secret)).status === 401, { timeoutMs: 30_000, description: 'the revoked key refused by the edge' });
    await waitFor(
      () => edgeHarness.logs.parsed().some((l) => l.msg?.toString().startsWith('key invalidated') && l.keyId === keyId && l.requestId === `revoke-${org}`),
      { description: 'the invalidation logged with the request id' },
    );
  });

  it.each([
    'with a forged signature',
    'signed by a key nobody published (unknown kid)',
    'signed by another key under a published kid',
    'that is malformed',
    'whose key has the wrong prefix',
    'whose key has a bad checksum',
  ])(
    'refuses a Secret %s with 401 and a Bearer challenge',
    async (kind) => {
      const { secret } = await registry.issue(org);
      const res = await call((await hostileTokens(secret))[kind]).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="keywarden", error="invalid_token"');
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the Secret is invalid or no longer accepted' });
      expect(upstream.started).toBe(0);
    },
  );

  it('refuses a request without a bearer token with 401', async () => {
    const res = await call().expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(upstream.started).toBe(0);
  });

  it('publishes usage that the registry shows as lastUsedAt', async () => {
    const { keyId, secret } = await registry.issue(org);
    await call(secret).expect(200);
    const admin = await registry.admin(org);
    const key = await waitFor(async () => {
      const res = await registry.api.get(`/v1/orgs/${org}/keys/${keyId}`).set(admin).expect(200);
      return res.body.lastUsedAt ? res.body : null;
    }, { timeoutMs: 30_000, description: 'lastUsedAt in the key table' });
    expect(key.lastUsedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00$/);
  });
});
