import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';

// Graceful shutdown of a real process: a request in flight when SIGTERM arrives is answered, and
// the process then exits 0. The request is held in flight by sending its body in two halves.
describe('graceful shutdown on SIGTERM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-drain-'));
  let registry: ServiceProcess;
  let port = 0;

  beforeAll(async () => {
    ensureBuilt();
    port = await freePort();
    // Embedded adapters: this test is about the HTTP server's drain, not the brokers.
    registry = new ServiceProcess('key-registry', { KEYWARDEN_DATA_DIR: dataDir, REGISTRY_PORT: String(port), SCHEDULER_TICK_MS: '0', KAFKA_BROKERS: '', REDIS_URL: '', LOG_LEVEL: 'info' }).start();
    await registry.waitForLog(/key-registry started/);
    await request(`http://127.0.0.1:${port}`).get('/health/ready').expect(200);
  }, 120_000);

  afterAll(async () => {
    await registry?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the request in flight during SIGTERM, then exits', async () => {
    const body = JSON.stringify({ name: 'in flight during shutdown' });
    const half = Math.floor(body.length / 2);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /v1/orgs/drain-org/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
    );

    const exit = registry.stop(20_000);
    await registry.waitForLog(/shutting down/);
    socket.end(body.slice(half));
    await closed;

    // No admin token: the complete request gets its full answer (401), not a reset connection.
    expect(response).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(response).toContain('"statusCode":401');
    await exit;
    expect(registry.running).toBe(false);
    expect(registry.lines.some((l) => /"level":(50|60)/.test(l) && /shutting down/.test(l))).toBe(false);
  }, 60_000);
});
