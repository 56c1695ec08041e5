import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startEdgeValidator } from './edge-validator.service';
import { TestUpstream } from './testing/test-upstream';

// The edge's own operations endpoints (under /_keywarden/, so no upstream path is shadowed), its
// decision and cache metrics, and the drain of a request in flight when it stops.
describe('edge-validator operations', () => {
  const upstream = new TestUpstream();
  let harness: EmbeddedHarness;
  let edge: ReturnType<typeof request>;
  let secret = '';

  beforeAll(async () => {
    await upstream.start();
    harness = new EmbeddedHarness({ env: { EDGE_UPSTREAM_URL: upstream.url } });
    await harness.start(startKeyCacheProjection, startKeyRegistry, startEdgeValidator);
    edge = request(harness.url('edge-validator'));
    const registry = request(harness.url('key-registry'));
    const admin = { Authorization: `Bearer ${await harness.token('org-edge-ops')}` };
    const issued = await registry.post('/v1/orgs/org-edge-ops/keys').set(admin).send({}).expect(201);
    secret = issued.body.secret;
    await waitFor(async () => (await registry.post(`/v1/orgs/org-edge-ops/keys/${issued.body.key.keyId}/test`).set(admin).expect(200)).body.valid);
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it('answers /_keywarden/health/live and /_keywarden/health/ready', async () => {
    await edge.get('/_keywarden/health/live').expect(200, { status: 'up' });
    await edge.get('/_keywarden/health/ready').expect(200, { status: 'up', checks: { keyCache: { status: 'up' }, eventStore: { status: 'up' } } });
  });

  it('counts decisions by outcome and the in-process cache hits', async () => {
    await edge.get('/v1/anything').expect(401);
    await edge.get('/v1/anything').set({ Authorization: 'Bearer not-a-secret' }).expect(401);
    await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` }).expect(200);
    await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` }).expect(200);

    const res = await edge.get('/_keywarden/metrics').expect(200);
    expect(res.text).toMatch(/keywarden_edge_decisions_total\{outcome="refused",reason="missing"\} [1-9]/);
    expect(res.text).toMatch(/keywarden_edge_decisions_total\{outcome="refused",reason="malformed"\} [1-9]/);
    expect(res.text).toMatch(/keywarden_edge_decisions_total\{outcome="accepted",reason="200"\} [2-9]/);
    expect(res.text).toMatch(/keywarden_edge_key_cache_lookups_total\{result="hit"\} [1-9]/);
    expect(res.text).toMatch(/keywarden_edge_key_cache_lookups_total\{result="miss"\} [1-9]/);
    expect(res.text).toMatch(/keywarden_edge_key_cache_hit_ratio 0\.\d+/);
  });

  it('answers a request in flight when it stops, and refuses new connections after', async () => {
    let release: () => void = () => undefined;
    upstream.handler = (_req, res) => {
      release = () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"late":true}');
    };
    const inFlight = edge.get('/v1/slow').set({ Authorization: `Bearer ${secret}` }).then((r) => r);
    await waitFor(() => upstream.received.some((r) => r.url === '/v1/slow'));
    const url = harness.url('edge-validator');
    const stopped = harness.stop();
    await waitFor(async () => request(url).get('/_keywarden/health/live').then(() => false, () => true), { description: 'the edge to stop taking connections' });
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ late: true });
    await stopped;
  });
});
