import request from 'supertest';
import { freePort } from '../support/service-process';
import { ServiceStack } from '../support/service-stack';
import { waitFor } from '../support/wait-for';

// Settings > API applied everywhere, across real processes on Kafka and Redis: the request-id
// header the edge reads, the date-time format of the registry and of the upstream JSON the edge
// rewrites, settings picked up by an edge started after they changed, and one admin call's
// request id in the log lines of every service that handled it.
describe('organisation settings across the services, as separate processes', () => {
  const stack = new ServiceStack('settings', 'kafka');
  const { upstream } = stack;
  const org = 'acme-settings';
  let registry: ServiceStack['registry'];
  let settings: ServiceStack['settings'];
  let edge: ServiceStack['edge'];
  let admin: Record<string, string>;
  let secret = '';

  beforeAll(async () => {
    // The upstream API answers with date-times in the shapes customers' APIs really use.
    upstream.handler = (_req, res) => {
      const body = JSON.stringify({ createdAt: '2025-11-23T14:44:11.500+02:00', dueAt: '2025-11-23 12:44:11', note: 'not a date' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    await stack.prepare();
    for (const app of ['key-cache-projection', 'notifier', 'settings', 'key-registry', 'edge-validator']) await stack.start(app);
    ({ registry, settings, edge } = stack);
    admin = await stack.authorization(org, 'admin', 'admin@acme.test');
  }, 240_000);

  afterAll(() => stack.close(), 60_000);

  it("one admin call's request id is in the log lines of every service that handled it", async () => {
    const res = await registry.post(`/v1/orgs/${org}/keys`).set({ ...admin, 'X-Customer-Request-Id': 'admin-call-42' }).send({}).expect(201);
    secret = res.body.secret;
    expect(res.headers['x-customer-request-id']).toBe('admin-call-42');
    for (const app of ['key-registry', 'key-cache-projection', 'notifier']) {
      await stack.process(app).waitForLog(/"requestId":"admin-call-42"/, 30_000);
    }
  }, 60_000);

  it('the edge reads the request id from the header the organisation named, within seconds of the change', async () => {
    await waitFor(async () => (await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` })).status === 200, {
      timeoutMs: 30_000,
      description: 'the key accepted by the edge',
    });
    await settings.patch(`/v1/orgs/${org}/settings`).set(admin).send({ requestIdHeader: 'X-Trace-Id' }).expect(200);
    const changedAt = Date.now();
    const res = await waitFor(
      async () => {
        const r = await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'trace-7' });
        return r.headers['x-trace-id'] === 'trace-7' ? r : null;
      },
      { timeoutMs: 10_000, description: 'the edge to echo the new request-id header' },
    );
    expect(res.status).toBe(200);
    expect(upstream.last().headers['x-trace-id']).toBe('trace-7');
    process.stderr.write(`[settings e2e] new request-id header used by the edge after ${Date.now() - changedAt} ms\n`);
  }, 60_000);

  it('isoUtcTimestamps switches the registry key table and the upstream JSON the edge rewrites', async () => {
    const before = (await registry.get(`/v1/orgs/${org}/keys`).set(admin).expect(200)).body.keys[0];
    expect(before.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const untouched = await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` }).expect(200);
    expect(untouched.body.createdAt).toBe('2025-11-23T14:44:11.500+02:00');

    await settings.patch(`/v1/orgs/${org}/settings`).set(admin).send({ isoUtcTimestamps: true }).expect(200);
    await waitFor(async () => /Z$/.test((await registry.get(`/v1/orgs/${org}/keys`).set(admin).expect(200)).body.keys[0].createdAt), {
      timeoutMs: 10_000,
      description: 'the registry to answer with Z',
    });
    const rewritten = await waitFor(
      async () => {
        const r = await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` });
        return r.body.createdAt === '2025-11-23T12:44:11Z' ? r : null;
      },
      { timeoutMs: 10_000, description: 'the edge to rewrite the upstream date-times' },
    );
    expect(rewritten.body).toEqual({ createdAt: '2025-11-23T12:44:11Z', dueAt: '2025-11-23T12:44:11Z', note: 'not a date' });
  }, 60_000);

  it('an edge started after the changes applies them from the compacted settings topic', async () => {
    const port = await freePort();
    await stack.start('edge-validator', { EDGE_PORT: String(port) });
    const late = request(`http://127.0.0.1:${port}`);
    const res = await waitFor(
      async () => {
        const r = await late.get('/v1/orders').set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'late-1' });
        return r.status === 200 ? r : null;
      },
      { timeoutMs: 30_000, description: 'the late edge to accept the key' },
    );
    expect(res.headers['x-trace-id']).toBe('late-1');
    expect(res.body.createdAt).toBe('2025-11-23T12:44:11Z');
  }, 90_000);
});
