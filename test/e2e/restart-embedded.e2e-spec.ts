import { DAY_MS } from '@keywarden/clock';
import { ServiceProcess } from '../support/service-process';
import { waitForMailFile } from '../support/eml-mailbox';
import { ServiceStack } from '../support/service-stack';
import { waitFor } from '../support/wait-for';

// A restart of the all-in-one (`npm start`, a real process on its embedded adapters) forgets
// nothing: every setting in every service, "last used", and which mails went out. The first run
// has the scheduler off, so the expiry notice can only come from the restarted process, with the
// notice period it read back.

const ORG = 'acme-restart';
const NOTIFY = 'ops@acme-restart.test';
const SETTINGS = {
  isoUtcTimestamps: true,
  requestIdHeader: 'X-Trace-Id',
  rotationIntervalDays: 100,
  defaultGraceDays: 7,
  expiryNoticeDays: 90,
  notificationEmails: [NOTIFY],
  leakedKeyAction: 'notify',
};
const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('the all-in-one (npm start) across a restart', () => {
  const stack = new ServiceStack('restart', 'embedded');
  const { dataDir, upstream } = stack;
  let keywarden: ServiceProcess | undefined;
  let registry: ServiceStack['registry'];
  let settings: ServiceStack['settings'];
  let edge: ServiceStack['edge'];
  let admin: Record<string, string>;
  let keyId = '';
  let secret = '';
  let lastUsedAt = '';

  const start = async (overrides: Record<string, string>): Promise<void> => {
    keywarden = await stack.restart('keywarden', overrides);
  };
  const keyTable = async () => (await registry.get(`/v1/orgs/${ORG}/keys`).set(admin).expect(200)).body.keys as Array<Record<string, string | null>>;
  const expectEachMailOnce = async () => expect(await stack.mailsSentTwice()).toEqual([]);

  beforeAll(async () => {
    upstream.handler = (req, res) => {
      const body = JSON.stringify({ createdAt: '2025-11-23T14:44:11.500+02:00', method: req.method });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    await stack.prepare({ EDGE_USAGE_FLUSH_MS: '200' });
    ({ registry, settings, edge } = stack);
    await start({ SCHEDULER_TICK_MS: '0' });
    admin = await stack.authorization(ORG);
    const operator = await stack.authorization('platform', 'operator', 'ops@keywarden.test');

    await settings.patch(`/v1/orgs/${ORG}/settings`).set(admin).send(SETTINGS).expect(200);
    await settings.patch(`/v1/orgs/${ORG}/settings`).set(operator).send({ mediaMaxBase64Bytes: 1000 }).expect(200);
    const issued = (await registry.post(`/v1/orgs/${ORG}/keys`).set(admin).send({ validity: 'P60D' }).expect(201)).body;
    keyId = issued.key.keyId;
    secret = issued.secret;
    // Used through the edge, once the edge has the key and the settings.
    await waitFor(async () => (await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'before-1' })).headers['x-trace-id'] === 'before-1', {
      timeoutMs: 30_000,
      description: 'the edge to accept the key under the saved request-id header',
    });
    lastUsedAt = await waitFor(async () => (await keyTable()).find((k) => k.keyId === keyId)?.lastUsedAt ?? undefined, {
      timeoutMs: 30_000,
      description: 'the key table to show lastUsedAt',
    });
    await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'KeyIssued', 30_000);
    await keywarden!.stop();
    await start({ SCHEDULER_TICK_MS: '500' });
  }, 240_000);

  afterAll(async () => {
    await stack.close();
  }, 60_000);

  it('the settings service still has every setting', async () => {
    expect((await settings.get(`/v1/orgs/${ORG}/settings`).set(admin).expect(200)).body).toMatchObject({ ...SETTINGS, mediaMaxBase64Bytes: 1000 });
  });

  it('the settings were on the bus at start: replayed before the services listened, no republish needed', () => {
    const logged = keywarden!.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const replayed = logged.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('following the settings topic'));
    expect(replayed.length).toBeGreaterThan(0);
    for (const line of replayed) expect(line.organisations).toBeGreaterThanOrEqual(1);
    expect(logged.filter((l) => l.msg === 'the topic holds nothing the relay published: republishing from the first event')).toEqual([]);
  });

  it('the registry answers date-times with Z, and the key table still shows when the key was last used', async () => {
    const res = await registry.get(`/v1/orgs/${ORG}/keys`).set({ ...admin, 'X-Trace-Id': 'table-after-1' }).expect(200);
    expect(res.headers['x-trace-id']).toBe('table-after-1');
    const key = (res.body.keys as Array<Record<string, string | null>>).find((k) => k.keyId === keyId)!;
    expect(key.createdAt).toMatch(ISO_Z);
    expect(key.lastUsedAt).toMatch(ISO_Z);
    expect(key.lastUsedAt).toBe(lastUsedAt);
  });

  it("the edge honours X-Trace-Id, rewrites the upstream's date-times and refuses a body over the media limit", async () => {
    const res = await edge.get('/v1/orders').set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'after-1' }).expect(200);
    expect(res.headers['x-trace-id']).toBe('after-1');
    expect(upstream.last().headers['x-trace-id']).toBe('after-1');
    expect(res.body.createdAt).toBe('2025-11-23T12:44:11Z');
    const big = await edge
      .post('/v1/media')
      .set({ Authorization: `Bearer ${secret}`, 'X-Trace-Id': 'too-big-1', 'Content-Type': 'text/plain' })
      .send('A'.repeat(3000))
      .expect(413);
    expect(big.headers['x-trace-id']).toBe('too-big-1');
    expect(big.body.message).toMatch(/1000/);
    await keywarden!.waitForLog(/"requestId":"too-big-1".*"status":413/);
  });

  it('the scheduler notices the key with the saved notice period, and the mail says when it was last used', async () => {
    // 60 days left: only the saved 90-day notice period makes it due (the default is 30).
    const notice = await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'ExpiryNoticeIssued', 30_000);
    expect(notice.to).toEqual([NOTIFY]);
    expect(notice.text).toContain(`It was last used at ${lastUsedAt}.`);
    expect(notice.text).not.toContain('never been used');
    expect(notice.text).toMatch(/stops working at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, in (59|60) days/);
  });

  it('a revocation with no grace or validity given uses the saved default grace and rotation interval', async () => {
    const { body } = await registry.post(`/v1/orgs/${ORG}/keys/${keyId}/revoke`).set(admin).send({}).expect(200);
    expect(Date.parse(body.revoked.graceEndsAt) - Date.parse(body.revoked.revokedAt)).toBe(7 * DAY_MS);
    expect(Date.parse(body.issued.expiresAt) - Date.parse(body.issued.createdAt)).toBe(100 * DAY_MS);
    const revoked = await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'KeyRevoked', 30_000);
    expect(revoked.to).toEqual([NOTIFY]);
    await expectEachMailOnce();
  });

  it('sends no mail twice after a crash (SIGKILL) and a start: the bus positions and the sent ledger were kept', async () => {
    await keywarden!.kill();
    await start({ SCHEDULER_TICK_MS: '500' });
    const current = (await keyTable()).find((k) => k.status === 'active' && k.keyId !== keyId)!;
    await registry.post(`/v1/orgs/${ORG}/keys/${current.keyId}/remove-expiration`).set(admin).expect(200);
    // Its mail comes after anything the restart redelivered on the organisation's partition.
    await waitForMailFile(dataDir, (m) => m.header('x-keywarden-notification') === 'ExpirationRemoved', 30_000);
    await expectEachMailOnce();
  }, 120_000);
});
