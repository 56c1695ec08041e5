import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { generateApiKey } from '@keywarden/crypto';
import { TestUpstream } from '../../apps/edge-validator/src/testing/test-upstream';
import { codeIn } from '../support/eml-mailbox';
import { match, ScannerKeysServer } from '../support/scanner-keys-server';
import { SqliteEventStore } from '@keywarden/event-store';
import { eventBlobs, expectNoSecretIn, logBlobs, SecretSet } from '../support/secret-scan';
import { ensureBuilt, freePort, ServiceProcess } from '../support/service-process';
import { ReceivedMail, SmtpTestServer } from '../support/smtp-test-server';
import { waitFor } from '../support/wait-for';

// A leaked key reported by a secret scanner, across real processes on Kafka, Redis and SMTP: the
// scanner is this test, signing its reports with its own P-256 key served from a local keys URL.
describe('a key published and reported by GitHub secret scanning is refused at the edge, replaced and told once', () => {
  const namespace = `e2e-leak-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-e2e-leak-'));
  const upstream = new TestUpstream();
  const smtp = new SmtpTestServer();
  const scanner = new ScannerKeysServer();
  const org = 'acme-leak';
  const adminEmail = 'admin@acme-leak.test';
  const security = 'security@acme-leak.test';
  const secrets = new SecretSet();
  const services: ServiceProcess[] = [];
  let registry: ReturnType<typeof request>;
  let edge: ReturnType<typeof request>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    await Promise.all([upstream.start(), smtp.start(), scanner.start()]);
    const [registryPort, settingsPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      REDIS_URL: process.env.REDIS_URL!,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      KEYWARDEN_DATA_DIR: dataDir,
      KEYWARDEN_NAMESPACE: namespace,
      REGISTRY_PORT: String(registryPort),
      SETTINGS_PORT: String(settingsPort),
      EDGE_PORT: String(edgePort),
      REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
      EDGE_UPSTREAM_URL: upstream.url,
      SECRET_SCANNING_KEYS_URL: scanner.url,
      LOG_LEVEL: 'info',
    };
    const start = async (app: string): Promise<void> => {
      const service = new ServiceProcess(app, env).start();
      services.push(service);
      await service.waitForLog(new RegExp(`${app} started`), 60_000);
    };
    await start('key-cache-projection');
    await start('settings');
    admin = { Authorization: `Bearer ${await new DevelopmentIssuer(dataDir).issue({ orgId: org, email: adminEmail, role: 'admin' })}` };
    await request(`http://127.0.0.1:${settingsPort}`).patch(`/v1/orgs/${org}/settings`).set(admin).send({ notificationEmails: [security] }).expect(200);
    // Started after the change: each replays the settings topic to its end before it starts.
    for (const app of ['notifier', 'key-registry', 'edge-validator']) await start(app);
    registry = request(`http://127.0.0.1:${registryPort}`);
    edge = request(`http://127.0.0.1:${edgePort}`);
  }, 240_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
    await Promise.all([upstream.stop(), smtp.stop(), scanner.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  const report = (matches: unknown) => {
    const { body, headers } = scanner.signed(matches);
    return registry.post('/v1/secret-scanning/github').set(headers).send(body);
  };
  const callEdge = (secret: string) => edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` });
  const audit = async () => (await registry.get(`/v1/orgs/${org}/audit`).set(admin).expect(200)).body.events as Array<{ type: string; keyId: string; details: Record<string, unknown> }>;
  const leakMails = (): ReceivedMail[] => smtp.messages.filter((m) => m.subject.includes('found published'));
  const clientSecretOf = (secret: string): string => JSON.parse(Buffer.from(secret.split('.')[1], 'base64url').toString('utf8')).client_secret;

  let keyId = '';
  let secret = '';

  it('issues a key that works at the edge, and its issue mail reaches the notification address', async () => {
    const issued = (await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201)).body;
    [keyId, secret] = [issued.key.keyId, issued.secret];
    secrets.addSecret(secret);
    // The notifier has the organisation's addresses once the issue mail went to them.
    const issuedMail = await smtp.waitFor((m) => m.subject.includes('issued'), 60_000);
    expect(issuedMail.envelope.to).toEqual([security]);
    await waitFor(async () => (await callEdge(secret)).status === 200, { timeoutMs: 30_000, description: 'the key accepted by the edge' });
  }, 90_000);

  it('changes nothing for an unsigned, a wrongly signed or an unknown-key report', async () => {
    const { body, headers } = scanner.signed([match(secret)]);
    await registry.post('/v1/secret-scanning/github').set('content-type', 'application/json').send(body).expect(401);
    await registry.post('/v1/secret-scanning/github').set(headers).send(body.replace('.env', '.txt')).expect(401);
    const unknown = generateApiKey().key;
    const res = await report([match(unknown, 'https://github.com/x/y/blob/1/a', 'keywarden_api_key')]).expect(200);
    expect(res.body).toEqual([{ token_hash: sha256(unknown), token_type: 'keywarden_api_key', label: 'false_positive' }]);
    expect((await audit()).map((e) => e.type)).toEqual(['KeyIssued']);
    await callEdge(secret).expect(200);
  }, 30_000);

  it('refuses the reported Secret at the edge within the propagation bound and records KeyLeaked with its URL', async () => {
    const reportedAt = Date.now();
    // The edge is watched while the report is answered: the answer waits for its floor, the refusal does not.
    const answering = report([match(secret)]).then((res) => res);
    await waitFor(async () => (await callEdge(secret)).status === 401, { timeoutMs: 10_000, intervalMs: 20, description: 'the leaked Secret refused' });
    const took = Date.now() - reportedAt;
    const res = await answering;
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ token_hash: sha256(secret), token_type: 'keywarden_secret', label: 'true_positive' }]);
    expect(took).toBeLessThan(3000);
    process.stderr.write(`[secret-scanning e2e] report sent to edge refusal: ${took} ms, answered after ${Date.now() - reportedAt} ms\n`);
    const events = await audit();
    expect(events.map((e) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'KeyExpired', 'KeyLeaked']);
    expect(events[4]).toMatchObject({ keyId, details: { url: 'https://github.com/acme/app/blob/0a1b2c/.env', source: 'content', response: 'revoked' } });
  }, 30_000);

  it('records nothing for a repeated report', async () => {
    const before = await audit();
    const res = await report([match(secret, 'https://github.com/acme/fork/blob/9/.env')]).expect(200);
    expect(res.body[0].label).toBe('true_positive');
    expect(await audit()).toEqual(before);
  }, 30_000);

  it('lets the replacement work, viewed with the code from the mail', async () => {
    const keys = (await registry.get(`/v1/orgs/${org}/keys`).set(admin).expect(200)).body.keys;
    expect(keys[1]).toMatchObject({ keyId, status: 'expired', leak: { url: 'https://github.com/acme/app/blob/0a1b2c/.env', scanner: 'github' } });
    const replacement = keys[0];
    expect(replacement).toMatchObject({ status: 'active' });
    const asked = (await registry.post(`/v1/orgs/${org}/keys/${replacement.keyId}/reveal-requests`).set(admin).send().expect(202)).body;
    const codeMail = await smtp.waitFor((m) => String(m.headers.get('x-keywarden-reveal-request-id')) === asked.requestId, 60_000);
    const code = codeIn(codeMail.text);
    secrets.addCode(code);
    const revealed = (await registry.post(`/v1/orgs/${org}/keys/${replacement.keyId}/reveal`).set(admin).send({ requestId: asked.requestId, code }).expect(200)).body;
    secrets.addSecret(revealed.secret);
    expect(clientSecretOf(revealed.secret)).not.toBe(clientSecretOf(secret));
    await waitFor(async () => (await callEdge(revealed.secret)).status === 200, { timeoutMs: 30_000, description: 'the replacement accepted by the edge' });
    await callEdge(secret).expect(401);
  }, 90_000);

  it('sent exactly one mail about the leak, to the notification address, naming where and what was done', async () => {
    const mail = await waitFor(() => leakMails()[0], { timeoutMs: 60_000, description: 'the leak mail' });
    expect(mail.envelope.to).toEqual([security]);
    expect(mail.text).toContain('https://github.com/acme/app/blob/0a1b2c/.env');
    expect(mail.text).toContain('revoked at once');
    // A later lifecycle mail of the same ring proves the notifier went past the repeated report.
    const current = (await registry.get(`/v1/orgs/${org}/keys`).set(admin).expect(200)).body.keys[0];
    await registry.post(`/v1/orgs/${org}/keys/${current.keyId}/remove-expiration`).set(admin).expect(200);
    await smtp.waitFor((m) => m.subject.toLowerCase().includes('never expire') || m.text.includes('never expires'), 60_000);
    expect(leakMails()).toHaveLength(1);
    expect(smtp.messages.filter((m) => m.subject.includes('revoked') && !m.subject.includes('found published'))).toHaveLength(0);
  }, 90_000);

  it('wrote no key, Secret or code to a log line, an audit event or a mail', async () => {
    const lines = services.flatMap((s) => s.lines);
    const mails = smtp.messages.map((m, i) => ({ where: `mail ${i + 1} (${m.subject})`, text: `${m.raw}\n${m.text}\n${m.html ?? ''}` }));
    const events = { where: 'audit', text: JSON.stringify(await audit()) };
    // The registry's store itself (SQLite under the data folder: no DATABASE_URL here), every event's data and metadata.
    const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    let stored: ReturnType<typeof eventBlobs>;
    try {
      const recorded = await store.readAll();
      expect(recorded.some((e) => e.type === 'KeyLeaked')).toBe(true);
      stored = eventBlobs(recorded);
    } finally {
      await store.close();
    }
    // Reveal codes do appear in their own mail, by design: every other blob is checked for them too.
    const codeMails = mails.filter((m) => m.text.includes('one-time code'));
    expectNoSecretIn(secrets, [...logBlobs(lines), events, ...stored, ...mails.filter((m) => !codeMails.includes(m))]);
    expect(lines.some((l) => l.includes('secret-scanning report processed'))).toBe(true);
  }, 30_000);
});
