import { DAY_MS } from '@keywarden/clock';
import { waitForMailFile } from '../support/eml-mailbox';
import { ServiceStack } from '../support/service-stack';
import { waitFor } from '../support/wait-for';

// `npm run start:stack`: the services as separate processes on Kafka and Redis (mail as files).
// Each one is restarted alone, and what it does is checked right after: it must start with the
// organisation's saved settings and carry on from where it stood, as after a deploy of that service.

const ORG = 'acme-stack-restart';
const NOTIFY = 'ops@acme-stack-restart.test';
const SETTINGS = {
  isoUtcTimestamps: true,
  requestIdHeader: 'X-Trace-Id',
  rotationIntervalDays: 100,
  defaultGraceDays: 7,
  expiryNoticeDays: 90,
  notificationEmails: [NOTIFY],
};
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const SERVICES = ['key-cache-projection', 'notifier', 'settings', 'key-registry', 'edge-validator'] as const;
type Service = (typeof SERVICES)[number];

describe('each service of start:stack restarted alone (Kafka, Redis)', () => {
  const stack = new ServiceStack('stack-restart', 'kafka');
  const { dataDir, upstream } = stack;
  let registry: ServiceStack['registry'];
  let settings: ServiceStack['settings'];
  let edge: ServiceStack['edge'];
  let admin: Record<string, string>;
  let keyId = '';
  let secret = '';
  let lastUsedAt = '';

  const restart = (app: Service, overrides: Record<string, string> = {}) => stack.restart(app, overrides);
  const keyTable = async () => (await registry.get(`/v1/orgs/${ORG}/keys`).set(admin).expect(200)).body.keys as Array<Record<string, string | null>>;
  const expectEachMailOnce = async () => expect(await stack.mailsSentTwice()).toEqual([]);
  const accepted = (token: string, traceId: string) =>
    waitFor(
      async () => {
        const res = await edge.get('/v1/orders').set({ Authorization: `Bearer ${token}`, 'X-Trace-Id': traceId });
        return res.status === 200 && res.headers['x-trace-id'] === traceId ? res : undefined;
      },
      { timeoutMs: 30_000, description: `the edge to accept the key and echo X-Trace-Id ${traceId}` },
    );

  beforeAll(async () => {
    upstream.handler = (req, res) => {
      const body = JSON.stringify({ createdAt: '2025-11-23T14:44:11.500+02:00', method: req.method });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    await stack.prepare({ SMTP_URL: '', EVENTSTORE_CONNECTION_STRING: '', EDGE_USAGE_FLUSH_MS: '200', SCHEDULER_TICK_MS: '0' });
    for (const app of SERVICES) await stack.start(app);
    ({ registry, settings, edge } = stack);
    admin = await stack.authorization(ORG);
    const operator = await stack.authorization('platform', 'operator', 'ops@keywarden.test');

    await settings.patch(`/v1/orgs/${ORG}/settings`).set(admin).send(SETTINGS).expect(200);
    await settings.patch(`/v1/orgs/${ORG}/settings`).set(operator).send({ mediaMaxBase64Bytes: 1000 }).expect(200);
    const issued = (await registry.post(`/v1/orgs/${ORG}/keys`).set(admin).send({ validity: 'P60D' }).expect(201)).body;
    keyId = issued.key.keyId;
    secret = issued.secret;
    await accepted(secret, 'before-1');
    lastUsedAt = await waitFor(async () => (await keyTable()).find((k) => k.keyId === keyId)?.lastUsedAt ?? undefined, {
      timeoutMs: 30_000,
      description: 'the key table to show lastUsedAt',
    });
    await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'KeyIssued', 30_000);
  }, 300_000);

  afterAll(async () => {
    await stack.close();
  }, 90_000);

  it('settings: has every saved setting after its restart, and its next change reaches the other services', async () => {
    await restart('settings');
    expect((await settings.get(`/v1/orgs/${ORG}/settings`).set(admin).expect(200)).body).toMatchObject({ ...SETTINGS, mediaMaxBase64Bytes: 1000 });
    await settings.patch(`/v1/orgs/${ORG}/settings`).set(admin).send({ defaultGraceDays: 6 }).expect(200);
    // The registry's default grace is checked once it has restarted too (below).
  }, 120_000);

  it('key-registry: answers with Z and shows lastUsedAt, its scheduler uses the saved notice period, its defaults the saved grace and interval', async () => {
    await restart('key-registry', { SCHEDULER_TICK_MS: '500' });
    const res = await registry.get(`/v1/orgs/${ORG}/keys`).set({ ...admin, 'X-Trace-Id': 'table-after-1' }).expect(200);
    expect(res.headers['x-trace-id']).toBe('table-after-1');
    const key = (res.body.keys as Array<Record<string, string | null>>).find((k) => k.keyId === keyId)!;
    expect(key.createdAt).toMatch(ISO_Z);
    expect(key.lastUsedAt).toBe(lastUsedAt);
    // 60 days left: due only under the saved 90-day notice period (the default is 30).
    const notice = await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'ExpiryNoticeIssued', 30_000);
    expect(notice.to).toEqual([NOTIFY]);
    expect(notice.text).toContain(`It was last used at ${lastUsedAt}.`);
    const { body } = await waitFor(
      async () => {
        const r = await registry.post(`/v1/orgs/${ORG}/keys/${keyId}/revoke`).set(admin).send({});
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 10_000, description: 'the revocation' },
    );
    expect(Date.parse(body.revoked.graceEndsAt) - Date.parse(body.revoked.revokedAt)).toBe(6 * DAY_MS);
    expect(Date.parse(body.issued.expiresAt) - Date.parse(body.issued.createdAt)).toBe(100 * DAY_MS);
    secret = body.secret;
    keyId = body.issued.keyId;
    await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'KeyRevoked', 30_000);
  }, 120_000);

  it("edge-validator: honours X-Trace-Id, rewrites the upstream's date-times and refuses a body over the media limit", async () => {
    await restart('edge-validator');
    const res = await accepted(secret, 'edge-after-1');
    expect(upstream.last().headers['x-trace-id']).toBe('edge-after-1');
    expect(res.body.createdAt).toBe('2025-11-23T12:44:11Z');
    const big = await edge
      .post('/v1/media')
      .set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'too-big-1', 'Content-Type': 'text/plain' })
      .send('A'.repeat(3000))
      .expect(413);
    expect(big.headers['x-trace-id']).toBe('too-big-1');
    await stack.process('edge-validator').waitForLog(/"requestId":"too-big-1".*"status":413/);
  }, 120_000);

  it('notifier: mails what happened while it was down once, to the saved addresses, and nothing it had sent again', async () => {
    await stack.process('notifier').stop();
    await registry.post(`/v1/orgs/${ORG}/keys/${keyId}/remove-expiration`).set(admin).expect(200);
    await stack.start('notifier');
    const mail = await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'ExpirationRemoved', 30_000);
    expect(mail.to).toEqual([NOTIFY]);
    await expectEachMailOnce();
  }, 120_000);

  it('key-cache-projection: applies what was recorded while it was down, so the edge refuses the revoked key', async () => {
    await stack.process('key-cache-projection').stop();
    const { body } = await registry.post(`/v1/orgs/${ORG}/keys/${keyId}/revoke`).set(admin).send({ grace: 'P0D' }).expect(200);
    await stack.start('key-cache-projection');
    await waitFor(async () => (await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}` })).status === 401, {
      timeoutMs: 30_000,
      description: 'the edge to refuse the key revoked while the projection was down',
    });
    await accepted(body.secret, 'projection-after-1');
    await expectEachMailOnce();
  }, 120_000);
});
