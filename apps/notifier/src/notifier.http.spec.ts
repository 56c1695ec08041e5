import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { keyRingStream } from '@keywarden/contracts';
import { MailFile, readMailFiles, waitForMailFile } from '../../../test/support/eml-mailbox';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';
import { startNotifier } from './notifier.service';

// What admins receive, as they would see it: the all-in-one services on the embedded adapters, admin
// calls over HTTP, mail read from the .eml files, the registry's scheduler ticking on the ManualClock.
describe('notifier: lifecycle mail (embedded mode)', () => {
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let org = '';
  let counter = 0;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z', env: { SCHEDULER_TICK_MS: '25' } });
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry);
    registry = request(harness.url('key-registry'));
    settings = request(harness.url('settings'));
  });

  afterAll(async () => harness.stop());

  beforeEach(() => {
    org = `mail-${++counter}`;
  });

  const admin = (name = 'admin') => harness.token(org, 'admin', `${name}@${org}.test`);
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const mailOf = (subject: RegExp | string) =>
    waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-org') === org && (typeof subject === 'string' ? m.subject === subject : subject.test(m.subject)));
  const mailsOfOrg = async (): Promise<MailFile[]> => (await readMailFiles(harness.dataDir)).filter((m) => m.header('x-keywarden-org') === org);

  it('tells the admins a key was issued, with its hint and expiry, in text and HTML', async () => {
    const token = await admin();
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201)).body;
    const mail = await mailOf(`New API key ${key.hint} issued`);
    expect(mail.to).toEqual([`admin@${org}.test`]);
    expect(mail.text).toContain(`by admin@${org}.test`);
    expect(mail.text).toContain('Expires: 2027-03-01T10:00:00');
    expect(mail.html).toContain(key.hint);
    expect(mail.html).toContain('2027-03-01T10:00:00');
  });

  it('tells every admin who acted on the ring about a revoke: who, the grace end, the replacement; one mail for the change', async () => {
    const first = await admin();
    const second = await admin('second');
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(first)).send({}).expect(201)).body;
    const revoked = (
      await registry.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(as(second)).send({ grace: 'P7D', reason: 'laptop <lost>' }).expect(200)
    ).body;
    const mail = await mailOf(`API key ${key.hint} revoked`);
    expect(mail.to.sort()).toEqual([`admin@${org}.test`, `second@${org}.test`]);
    expect(mail.text).toContain(`revoked by second@${org}.test at 2026-03-01T10:00:00`);
    expect(mail.text).toContain('until 2026-03-08T10:00:00');
    expect(mail.text).toContain(`Replacement: ${revoked.issued.hint}`);
    expect(mail.text).toContain('Reason given: laptop <lost>');
    expect(mail.html).toContain('laptop &lt;lost&gt;');
    // The replacement's KeyIssued is part of the same change: no second mail for it.
    await waitFor(async () => (await mailsOfOrg()).length === 2);
    expect((await mailsOfOrg()).map((m) => m.subject).sort()).toEqual([`API key ${key.hint} revoked`, `New API key ${key.hint} issued`].sort());
  });

  it('says that a key revoked without grace already stopped working', async () => {
    const token = await admin();
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201)).body;
    await registry.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(as(token)).send({ grace: 'P0D' }).expect(200);
    const mail = await mailOf(`API key ${key.hint} revoked`);
    expect(mail.text).toContain('already stopped working');
    expect(mail.text).toContain('Stops working: already stopped');
  });

  it('warns when a key is set to never expire', async () => {
    const token = await admin();
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201)).body;
    await registry.post(`/v1/orgs/${org}/keys/${key.keyId}/remove-expiration`).set(as(token)).expect(200);
    const mail = await mailOf(`API key ${key.hint} set to never expire`);
    expect(mail.text).toContain("We don't recommend doing so");
    expect(mail.text).toContain('no expiry notices will be sent');
    expect(mail.html).toContain('Warning:');
  });

  it("sends to the organisation's notification addresses, with its date-time format", async () => {
    const token = await admin();
    await settings
      .patch(`/v1/orgs/${org}/settings`)
      .set(as(token))
      .send({ notificationEmails: [`security@${org}.test`, `ops@${org}.test`], isoUtcTimestamps: true })
      .expect(200);
    await waitFor(async () => (await (await harness.infra.orgSettings()).get(org)).isoUtcTimestamps);
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201)).body;
    const mail = await mailOf(`New API key ${key.hint} issued`);
    expect(mail.to).toEqual([`security@${org}.test`, `ops@${org}.test`]);
    expect(mail.text).toContain('Expires: 2027-03-01T10:00:00Z');
  });

  it('rotates on schedule and sends the rotation and the 30-day notice (never used: no action needed); the expiry sends nothing', async () => {
    const token = await admin();
    const { key } = (await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201)).body;
    await mailOf(`New API key ${key.hint} issued`);

    harness.clock.advance(335 * DAY_MS);
    const rotated = await mailOf(/^API key rotated: /);
    expect(rotated.to).toEqual([`admin@${org}.test`]);
    expect(rotated.text).toContain(`It replaces ${key.hint}, which keeps working until 2027-03-01T10:00:00`);
    const notice = await mailOf(`API key ${key.hint} stops working at 2027-03-01T10:00:00`);
    expect(notice.text).toContain('in 30 days');
    expect(notice.text).toContain('This key has never been used to call the API');
    expect(notice.text).toContain('no action is required');
    expect(notice.text).toMatch(/Replacement: kw_…/);

    harness.clock.advance(30 * DAY_MS);
    const recorded = async () => (await harness.infra.eventStore().readStream(keyRingStream(org))).map((e) => e.type);
    await waitFor(async () => (await recorded()).includes('KeyExpired'));
    // A later change of the same ring is delivered after the expiry (one partition per organisation):
    // once its mail is here, the expiry was handled, and it sent nothing.
    const current = (await registry.get(`/v1/orgs/${org}/keys`).set(as(token)).expect(200)).body.keys[0];
    await registry.post(`/v1/orgs/${org}/keys/${current.keyId}/remove-expiration`).set(as(token)).expect(200);
    await mailOf(/set to never expire$/);
    expect((await mailsOfOrg()).map((m) => m.subject).sort()).toEqual(
      [
        `New API key ${key.hint} issued`,
        `API key rotated: ${current.hint} replaces ${key.hint}`,
        `API key ${key.hint} stops working at 2027-03-01T10:00:00`,
        `API key ${current.hint} set to never expire`,
      ].sort(),
    );
  });
});
