import { join } from 'node:path';
import request from 'supertest';
import { keyRingStream } from '@keywarden/contracts';
import { SqliteEventStore } from '@keywarden/event-store';
import { codeIn, readMailFiles, waitForMailFile } from '../../../../../test/support/eml-mailbox';
import { decodeJwtPayload, EmbeddedHarness } from '../../../../../test/support/embedded-harness';
import { startKeyCacheProjection } from '../../../../key-cache-projection/src/key-cache-projection.service';
import { startNotifier } from '../../../../notifier/src/notifier.service';
import { startKeyRegistry } from '../../key-registry.service';

// The OTP-gated view of a key ("Copying the API Key"), as an admin does it, on the embedded adapters:
// the code arrives as an .eml file under the data folder, time moves with the harness's ManualClock.
describe('reveal a key with a one-time code sent by email (embedded mode)', () => {
  let harness: EmbeddedHarness;
  let api: ReturnType<typeof request>;
  let org = '';
  let email = '';
  let token = '';
  let counter = 0;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await harness.start(startKeyCacheProjection, startNotifier, startKeyRegistry);
    api = request(harness.url('key-registry'));
  });

  afterAll(async () => harness.stop());

  beforeEach(async () => {
    org = `reveal-${++counter}`;
    email = `admin@${org}.test`;
    token = await harness.token(org, 'admin', email);
  });

  const auth = (t = token) => ({ Authorization: `Bearer ${t}` });
  const issue = async () => (await api.post(`/v1/orgs/${org}/keys`).set(auth()).send({}).expect(201)).body as { key: { keyId: string; hint: string }; secret: string };
  const askForCode = (keyId: string, t = token) => api.post(`/v1/orgs/${org}/keys/${keyId}/reveal-requests`).set(auth(t)).send();
  const reveal = (keyId: string, requestId: string, code: string, t = token) => api.post(`/v1/orgs/${org}/keys/${keyId}/reveal`).set(auth(t)).send({ requestId, code });
  const codeFor = async (requestId: string) =>
    codeIn((await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-reveal-request-id') === requestId)).text);
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('sends a code to the admin and returns the current Secret for it, once, and records who viewed the key', async () => {
    const issued = await issue();
    const asked = await askForCode(issued.key.keyId).expect(202);
    expect(asked.body).toEqual({
      requestId: expect.stringMatching(/^rvl_[0-9a-f]{32}$/),
      expiresAt: '2026-03-01T10:10:00',
      sentTo: `a***n@${org}.test`,
    });

    const mail = await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-reveal-request-id') === asked.body.requestId);
    expect(mail.to).toEqual([email]);
    expect(mail.subject).toBe(`Your code to view API key ${issued.key.hint}`);
    expect(mail.text).toContain('expires at 2026-03-01T10:10:00');
    expect(mail.html).toContain(codeIn(mail.text));
    // A log line names the file, and no log line carries the code.
    expect(harness.logs.parsed().some((l) => l.msg === 'mail written to file' && l.file === mail.file)).toBe(true);
    expect(harness.logs.text).not.toMatch(new RegExp(`\\b${codeIn(mail.text)}\\b`));

    const revealed = await reveal(issued.key.keyId, asked.body.requestId, codeIn(mail.text)).expect(200);
    expect(revealed.body.key).toMatchObject({ keyId: issued.key.keyId, hint: issued.key.hint, status: 'active' });
    expect(decodeJwtPayload(revealed.body.secret).client_secret).toBe(decodeJwtPayload(issued.secret).client_secret);
    expect(decodeJwtPayload(revealed.body.secret).key_id).toBe(issued.key.keyId);

    // The same code again: the request is used up.
    const again = await reveal(issued.key.keyId, asked.body.requestId, codeIn(mail.text)).expect(410);
    expect(again.body).toMatchObject({ statusCode: 410, details: { code: 'REVEAL_REQUEST_USED' } });

    const store = new SqliteEventStore(join(harness.dataDir, 'events.sqlite'));
    try {
      const revealedEvents = (await store.readStream(keyRingStream(org))).filter((e) => e.type === 'KeyRevealed');
      expect(revealedEvents.map((e) => e.data)).toEqual([
        {
          orgId: org,
          keyId: issued.key.keyId,
          revealedAt: '2026-03-01T10:00:00.000Z',
          revealRequestId: asked.body.requestId,
          actor: { sub: `dev:${email}`, email },
        },
      ]);
    } finally {
      await store.close();
    }
  });

  it('answers 401 to wrong codes, locks the request at the 5th (429), and then refuses even the right code', async () => {
    const { key } = await issue();
    const { requestId } = (await askForCode(key.keyId).expect(202)).body;
    const code = await codeFor(requestId);
    for (const attemptsLeft of [4, 3, 2, 1]) {
      const res = await reveal(key.keyId, requestId, wrong(code)).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, details: { code: 'REVEAL_CODE_WRONG', attemptsLeft } });
      expect(res.body.message).toMatch(/not right/);
    }
    const locked = await reveal(key.keyId, requestId, wrong(code)).expect(429);
    expect(locked.body).toMatchObject({ statusCode: 429, details: { code: 'REVEAL_LOCKED' } });
    expect(locked.body.message).toMatch(/new code/);
    await reveal(key.keyId, requestId, code).expect(429);

    // A new request gets a new code that works.
    const next = (await askForCode(key.keyId).expect(202)).body.requestId;
    await reveal(key.keyId, next, await codeFor(next)).expect(200);
  });

  it('answers 410 once the code is older than 10 minutes', async () => {
    const { key } = await issue();
    const { requestId } = (await askForCode(key.keyId).expect(202)).body;
    const code = await codeFor(requestId);
    harness.clock.advance(10 * 60 * 1000 - 1000);
    const stillValid = (await askForCode(key.keyId).expect(202)).body.requestId;
    harness.clock.advance(1000);
    const expired = await reveal(key.keyId, requestId, code).expect(410);
    expect(expired.body).toMatchObject({ details: { code: 'REVEAL_REQUEST_EXPIRED' } });
    expect(expired.body.message).toMatch(/10 minutes/);
    // The later request is still within its 10 minutes.
    await reveal(key.keyId, stillValid, await codeFor(stillValid)).expect(200);
  });

  it('limits how many codes an admin may ask for, with Retry-After', async () => {
    const { key } = await issue();
    for (let i = 0; i < 5; i++) await askForCode(key.keyId).expect(202);
    harness.clock.advance(60_000);
    const limited = await askForCode(key.keyId).expect(429);
    expect(limited.headers['retry-after']).toBe(String(14 * 60));
    expect(limited.body).toMatchObject({ statusCode: 429, details: { code: 'REVEAL_RATE_LIMITED', retryAfterSeconds: 14 * 60 } });
    // Another admin of the organisation has their own allowance.
    await askForCode(key.keyId, await harness.token(org, 'admin', `second@${org}.test`)).expect(202);
    harness.clock.advance(14 * 60 * 1000);
    await askForCode(key.keyId).expect(202);
  });

  it('lets only admins of the organisation view its keys, each only with their own code', async () => {
    const { key } = await issue();
    const other = await harness.token('someone-else');
    await askForCode(key.keyId, other).expect(403);

    const operator = await harness.token('platform', 'operator', 'ops@platform.test');
    const refused = await askForCode(key.keyId, operator).expect(403);
    expect(refused.body).toMatchObject({ details: { code: 'REVEAL_NOT_ALLOWED' } });
    expect(refused.body.message).toMatch(/operators/);

    const { requestId } = (await askForCode(key.keyId).expect(202)).body;
    const code = await codeFor(requestId);
    // A second admin of the same organisation cannot use the first admin's request.
    const colleague = await harness.token(org, 'admin', `colleague@${org}.test`);
    await reveal(key.keyId, requestId, code, colleague).expect(404);
    await reveal(key.keyId, requestId, code, operator).expect(403);
    await reveal(key.keyId, requestId, code).expect(200);
    await api.post(`/v1/orgs/${org}/keys/${key.keyId}/reveal`).send({ requestId, code }).expect(401);

    const noEmail = await harness.token(org, 'admin', '');
    expect((await askForCode(key.keyId, noEmail).expect(403)).body.message).toMatch(/no email address/);
  });

  it('refuses unknown requests (404), malformed bodies (400), unknown and expired keys', async () => {
    const { key } = await issue();
    await reveal(key.keyId, `rvl_${'0'.repeat(32)}`, '123456').expect(404);
    await reveal(key.keyId, 'nope', '123456').expect(400);
    const { requestId } = (await askForCode(key.keyId).expect(202)).body;
    await reveal(key.keyId, requestId, '12345').expect(400);
    await api.post(`/v1/orgs/${org}/keys/${key.keyId}/reveal`).set(auth()).send({ requestId, code: '123456', extra: 1 }).expect(400);
    await askForCode('key_000000000000000000000000').expect(404);
    // A code for one key does not open another.
    const revoked = (await api.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(auth()).send({ grace: 'P0D' }).expect(200)).body;
    await reveal(revoked.issued.keyId, requestId, await codeFor(requestId)).expect(404);
    // The revoked key stopped at once (grace 0): it can no longer be viewed.
    expect((await askForCode(key.keyId).expect(409)).body.details.code).toBe('KEY_EXPIRED');
  });

  it('sends the code only to the admin who asked, never to other admins of the organisation', async () => {
    const { key } = await issue();
    await askForCode(key.keyId, await harness.token(org, 'admin', `colleague@${org}.test`)).expect(202);
    const { requestId } = (await askForCode(key.keyId).expect(202)).body;
    await codeFor(requestId);
    const codeMails = (await readMailFiles(harness.dataDir)).filter((m) => m.header('x-keywarden-org') === org && m.header('x-keywarden-notification') === 'RevealCodeIssued');
    expect(codeMails.map((m) => m.to)).toEqual(expect.arrayContaining([[email], [`colleague@${org}.test`]]));
    expect(codeMails.every((m) => m.to.length === 1)).toBe(true);
  });
});
