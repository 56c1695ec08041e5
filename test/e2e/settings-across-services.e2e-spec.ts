import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { TestUpstream } from '../../apps/edge-validator/src/testing/test-upstream';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

// Settings > API applied everywhere, across real processes on Kafka and Redis: the request-id
// header the edge reads, the date-time format of the registry and of the upstream JSON the edge
// rewrites, settings picked up by an edge started after they changed, and one admin call's
// request id in the log lines of every service that handled it.
describe('organisation settings across the services, as separate processes', () => {
  const namespace = `e2e-set-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-settings-'));
  const upstream = new TestUpstream();
  const org = 'acme-settings';
  const services: ServiceProcess[] = [];
  const byName = new Map<string, ServiceProcess>();
  let env: Record<string, string>;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let edge: ReturnType<typeof request>;
  let admin: Record<string, string>;
  let secret = '';

  const start = async (app: string, overrides: Record<string, string> = {}): Promise<ServiceProcess> => {
    const service = new ServiceProcess(app, { ...env, ...overrides }).start();
    services.push(service);
    byName.set(app, service);
    await service.waitForLog(new RegExp(`${app} started`), 60_000);
    return service;
  };

  beforeAll(async () => {
    ensureBuilt();
    await upstream.start();
    // The upstream API answers with date-times in the shapes customers' APIs really use.
    upstream.handler = (_req, res) => {
      const body = JSON.stringify({ createdAt: '2025-11-23T14:44:11.500+02:00', dueAt: '2025-11-23 12:44:11', note: 'not a date' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const [registryPort, settingsPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      REDIS_URL: process.env.REDIS_URL!,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      REGISTRY_PORT: String(registryPort),
      SETTINGS_PORT: String(settingsPort),
      EDGE_PORT: String(edgePort),
      REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
      EDGE_UPSTREAM_URL: upstream.url,
      LOG_LEVEL: 'info',
    };
    await start('key-cache-projection');
    await start('notifier');
    await start('settings');
    await start('key-registry');
    await start('edge-validator');
    registry = request(`http://127.0.0.1:${registryPort}`);
    settings = request(`http://127.0.0.1:${settingsPort}`);
    edge = request(`http://127.0.0.1:${edgePort}`);
    admin = { Authorization: `Bearer ${await new DevelopmentIssuer(dataDir).issue({ orgId: org, email: 'admin@acme.test', role: 'admin' })}` };
  }, 240_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("one admin call's request id is in the log lines of every service that handled it", async () => {
    const res = await registry.post(`/v1/orgs/${org}/keys`).set({ ...admin, 'X-Customer-Request-Id': 'admin-call-42' }).send({}).expect(201);
    secret = res.body.secret;
    expect(res.headers['x-customer-request-id']).toBe('admin-call-42');
    for (const app of ['key-registry', 'key-cache-projection', 'notifier']) {
      await byName.get(app)!.waitForLog(/"requestId":"admin-call-42"/, 30_000);
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
    await start('edge-validator', { EDGE_PORT: String(port) });
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
