import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { TestUpstream } from '../../apps/edge-validator/src/testing/test-upstream';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

// The gateway across real processes: registry, projection, settings and edge as separate OS
// processes on the real Kafka and Redis, an upstream API behind the edge, and a client that only
// knows the Secret the registry issued.
describe('issue → call through the edge → revoke, as separate processes', () => {
  const namespace = `e2e-edge-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-edge-'));
  const upstream = new TestUpstream();
  const org = 'acme-edge';
  let services: ServiceProcess[] = [];
  let edgeProcess: ServiceProcess;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let edge: ReturnType<typeof request>;
  let admin: Record<string, string>;
  let operator: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    await upstream.start();
    const [registryPort, settingsPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      REDIS_URL: process.env.REDIS_URL!,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      REGISTRY_PORT: String(registryPort),
      SETTINGS_PORT: String(settingsPort),
      EDGE_PORT: String(edgePort),
      REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
      EDGE_UPSTREAM_URL: upstream.url,
      EDGE_USAGE_FLUSH_MS: '500',
      EDGE_ACCESS_LOG: 'true',
      LOG_LEVEL: 'info',
    };
    const start = async (app: string) => {
      const service = new ServiceProcess(app, env).start();
      services.push(service);
      await service.waitForLog(new RegExp(`${app} started`), 60_000);
      return service;
    };
    await start('key-cache-projection');
    await start('settings');
    await start('key-registry');
    edgeProcess = await start('edge-validator');
    registry = request(`http://127.0.0.1:${registryPort}`);
    settings = request(`http://127.0.0.1:${settingsPort}`);
    edge = request(`http://127.0.0.1:${edgePort}`);
    const issuer = new DevelopmentIssuer(dataDir);
    admin = { Authorization: `Bearer ${await issuer.issue({ orgId: org, email: 'admin@acme.test', role: 'admin' })}` };
    operator = { Authorization: `Bearer ${await issuer.issue({ orgId: 'platform', email: 'ops@keywarden.test', role: 'operator' })}` };
  }, 180_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
    services = [];
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  let keyId = '';
  let secret = '';

  it('passes a call with the issued Secret to the upstream with the identity headers, and carries the request id everywhere', async () => {
    const issued = (await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201)).body;
    [keyId, secret] = [issued.key.keyId, issued.secret];
    const res = await waitFor(
      async () => {
        const r = await edge.get('/v1/orders/7').set({ Authorization: `Bearer ${secret}`, 'X-Customer-Request-Id': 'e2e-call-1' });
        return r.status === 200 ? r : null;
      },
      { timeoutMs: 30_000, description: 'the first call through the edge to pass' },
    );
    expect(res.body).toEqual({ ok: true, method: 'GET', url: '/v1/orders/7' });
    expect(res.headers['x-customer-request-id']).toBe('e2e-call-1');
    const seen = upstream.last();
    expect(seen.headers).toMatchObject({ 'x-keywarden-org': org, 'x-keywarden-key-id': keyId, 'x-customer-request-id': 'e2e-call-1' });
    expect(seen.headers.authorization).toBeUndefined();
    // The earliest attempts may have come before the projection cached the key (401): the log line of the passing one.
    const line = await edgeProcess.waitForLog(/"requestId":"e2e-call-1".*"status":200/);
    expect(JSON.parse(line)).toMatchObject({ service: 'edge-validator', requestId: 'e2e-call-1', orgId: org, status: 200, path: '/v1/orders/7' });

    // The key table's "last used" comes from the edge's usage batches.
    await waitFor(async () => (await registry.get(`/v1/orgs/${org}/keys/${keyId}`).set(admin).expect(200)).body.lastUsedAt !== null, {
      timeoutMs: 30_000,
      description: 'lastUsedAt in the key table',
    });
  }, 60_000);

  it("refuses a body over the organisation's media limit with 413 before the upstream sees it", async () => {
    await settings.patch(`/v1/orgs/${org}/settings`).set(operator).send({ mediaMaxBase64Bytes: 2048 }).expect(200);
    const res = await waitFor(
      async () => {
        const r = await edge.post('/v1/media').set({ Authorization: `Bearer ${secret}`, 'Content-Type': 'text/plain' }).send('A'.repeat(4096));
        return r.status === 413 ? r : null;
      },
      { timeoutMs: 30_000, description: 'the new media limit applied by the edge' },
    );
    expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large', message: expect.stringContaining('2048 bytes') });
    // Once the limit applies, an oversized body never reaches the upstream.
    const reached = upstream.started;
    await edge.post('/v1/media').set({ Authorization: `Bearer ${secret}`, 'Content-Type': 'text/plain' }).send('A'.repeat(4096)).expect(413);
    expect(upstream.started).toBe(reached);
    await edge.post('/v1/media').set({ Authorization: `Bearer ${secret}`, 'Content-Type': 'text/plain' }).send('A'.repeat(2048)).expect(200);
  }, 60_000);

  it('refuses the Secret within the propagation bound after a revocation with no grace', async () => {
    await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` }).expect(200);
    await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(admin).send({ grace: 'P0D' }).expect(200);
    const revokedAt = Date.now();
    await waitFor(async () => (await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` })).status === 401, {
      timeoutMs: 10_000,
      intervalMs: 20,
      description: 'the revoked Secret refused',
    });
    const took = Date.now() - revokedAt;
    // Invalidation over Kafka, or at worst the next re-read after EDGE_KEY_CACHE_TTL_MS (1 s).
    expect(took).toBeLessThan(3000);
    process.stderr.write(`[edge e2e] revocation with no grace refused by the edge after ${took} ms\n`);
  }, 30_000);
});
