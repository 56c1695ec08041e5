import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { loadConfig } from '@keywarden/config';
import { deadLetterTopic, REVEAL_CODE_ISSUED_TYPE, Topics } from '@keywarden/contracts';
import { DLQ_HEADERS, IncomingMessage, KafkaMessageBus, MessageBus } from '@keywarden/messaging';
import { Infrastructure, RunningService } from '@keywarden/platform';
import { decodeJwtPayload, EmbeddedHarness } from '../../../test/support/embedded-harness';
import { expectNoSecretIn, logBlobs, messageBlobs, SecretSet } from '../../../test/support/secret-scan';
import { ReceivedMail, SmtpTestServer } from '../../../test/support/smtp-test-server';
import { revealCodeMessage } from '../../../test/support/reveal-code-message';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';
import { startNotifier } from './notifier.service';
import { readTopics as readTopicsOnBus } from '../../../test/support/topic-reader';

// The notifier and the reveal flow on the production adapters: a real Kafka broker and Redis (from the
// Jest global setup) and a real SMTP server started here. The services run in this process, over HTTP,
// on their own namespace of topics, groups and Redis keys; time moves with the ManualClock.
jest.setTimeout(90_000);

const header = (mail: ReceivedMail, name: string): string | undefined => {
  const value = mail.headers.get(name.toLowerCase());
  return value === undefined ? undefined : String(value);
};
const codeIn = (text: string): string => /^ {4}(\d{6})$/m.exec(text)?.[1] ?? '';

/** Everything on a set of topics (and their dead letters), read back from the beginning with a group of its own. */
async function readTopics(bus: MessageBus, topics: string[]): Promise<{ messages: IncomingMessage[]; stop: () => Promise<void> }> {
  const all = [...topics, ...topics.map(deadLetterTopic)];
  await bus.ensureTopics(topics.map((topic) => ({ topic })));
  return readTopicsOnBus(bus, { topics: all, fromBeginning: true });
}

describe('notifier and reveal on real Kafka, Redis and SMTP', () => {
  const namespace = `ntf-${randomUUID().slice(0, 8)}`;
  const smtp = new SmtpTestServer();
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;
  let settingsApi: ReturnType<typeof request>;
  let env: Record<string, string>;
  /** Every code, Secret and API key inside one this file sees (and the key material): none may appear in a log line or a Kafka message. */
  const secrets = new SecretSet();
  let counter = 0;
  let org = '';

  beforeAll(async () => {
    await smtp.start();
    env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      REDIS_URL: process.env.REDIS_URL!,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      KEYWARDEN_NAMESPACE: namespace,
      NOTIFIER_MAX_SEND_ATTEMPTS: '3',
      // The time budget of a failing send is the unit spec's (ManualClock); here: dead-letter after 3.
      NOTIFIER_RETRY_FOR_MS: '0',
      SCHEDULER_TICK_MS: '100',
    };
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z', env });
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry);
    registry = request(harness.url('key-registry'));
    settingsApi = request(harness.url('settings'));
  });

  afterAll(async () => {
    await harness?.stop();
    await smtp.stop();
  });

  beforeEach(() => {
    org = `${namespace}-org-${++counter}`;
  });

  const tokenOf = (name = 'admin') => harness.token(org, 'admin', `${name}@${org}.test`);
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const mailsOf = (orgId = org) => smtp.messages.filter((m) => header(m, 'x-keywarden-org') === orgId);
  const mailOf = (subject: string | RegExp, orgId = org) =>
    smtp.waitFor((m) => header(m, 'x-keywarden-org') === orgId && (typeof subject === 'string' ? m.subject === subject : subject.test(m.subject)), 30_000);

  async function issue(token: string): Promise<{ keyId: string; hint: string }> {
    const { body } = await registry.post(`/v1/orgs/${org}/keys`).set(as(token)).send({}).expect(201);
    secrets.addSecret(body.secret);
    return body.key;
  }

  it('a new admin views a key: asks for a code, reads it from the mail, gets the Secret; wrong codes, lockout, reuse and expiry', async () => {
    const token = await tokenOf();
    const key = await issue(token);
    const ask = () => registry.post(`/v1/orgs/${org}/keys/${key.keyId}/reveal-requests`).set(as(token)).send();
    const reveal = (requestId: string, code: string) => registry.post(`/v1/orgs/${org}/keys/${key.keyId}/reveal`).set(as(token)).send({ requestId, code });
    const codeFor = async (requestId: string) => {
      const mail = await smtp.waitFor((m) => header(m, 'x-keywarden-reveal-request-id') === requestId, 30_000);
      expect(mail.envelope.to).toEqual([`admin@${org}.test`]);
      const code = codeIn(mail.text);
      secrets.addCode(code);
      return code;
    };
    const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

    const asked = (await ask().expect(202)).body;
    expect(asked).toMatchObject({ expiresAt: '2026-03-01T10:10:00', sentTo: `a***n@${org}.test` });
    const code = await codeFor(asked.requestId);
    const revealed = (await reveal(asked.requestId, code).expect(200)).body;
    expect(revealed.key.keyId).toBe(key.keyId);
    // Checked before the revealed Secret joins the set: its API key is the one issued.
    expect(secrets.has(JSON.parse(Buffer.from(revealed.secret.split('.')[1], 'base64url').toString()).client_secret)).toBe(true);
    secrets.addSecret(revealed.secret);
    expect((await reveal(asked.requestId, code).expect(410)).body.details.code).toBe('REVEAL_REQUEST_USED');

    const second = (await ask().expect(202)).body.requestId;
    const secondCode = await codeFor(second);
    for (const attemptsLeft of [4, 3, 2, 1]) expect((await reveal(second, wrong(secondCode)).expect(401)).body.details.attemptsLeft).toBe(attemptsLeft);
    await reveal(second, wrong(secondCode)).expect(429);
    await reveal(second, secondCode).expect(429);

    const third = (await ask().expect(202)).body.requestId;
    const thirdCode = await codeFor(third);
    harness.clock.advance(10 * 60 * 1000);
    expect((await reveal(third, thirdCode).expect(410)).body.details.code).toBe('REVEAL_REQUEST_EXPIRED');

    // Five codes per admin per 15 minutes (counted in Redis, on the ManualClock).
    await ask().expect(202);
    await ask().expect(202);
    const limited = await ask().expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('sends each lifecycle message once, to the right people, with the right content', async () => {
    const first = await tokenOf();
    const second = await tokenOf('second');
    const key = await issue(first);
    const revoked = (await registry.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(as(second)).send({ grace: 'P7D' }).expect(200)).body;
    secrets.addSecret(revoked.secret);
    await registry.post(`/v1/orgs/${org}/keys/${revoked.issued.keyId}/remove-expiration`).set(as(first)).expect(200);

    const issuedMail = await mailOf(`New API key ${key.hint} issued`);
    expect(issuedMail.envelope.to).toEqual([`admin@${org}.test`]);
    const revokedMail = await mailOf(`API key ${key.hint} revoked`);
    expect(revokedMail.envelope.to.sort()).toEqual([`admin@${org}.test`, `second@${org}.test`]);
    expect(revokedMail.text).toContain(`by second@${org}.test`);
    expect(revokedMail.text).toContain(`Replacement: ${revoked.issued.hint}`);
    expect(revokedMail.html).toContain(revoked.issued.hint);
    // The last change of the ring: once it is here, every earlier one was handled (one partition per organisation).
    const neverMail = await mailOf(`API key ${revoked.issued.hint} set to never expire`);
    expect(neverMail.text).toContain("We don't recommend");

    expect(mailsOf().map((m) => m.subject).sort()).toEqual([issuedMail.subject, revokedMail.subject, neverMail.subject].sort());
    const eventIds = mailsOf().map((m) => header(m, 'x-keywarden-event-id'));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    expect(mailsOf().every((m) => m.messageId === `<${header(m, 'x-keywarden-event-id')}@keywarden>`)).toBe(true);
  });

  it("sends to the organisation's notification addresses, in its date-time format", async () => {
    const token = await tokenOf();
    await settingsApi
      .patch(`/v1/orgs/${org}/settings`)
      .set(as(token))
      .send({ notificationEmails: [`security@${org}.test`], isoUtcTimestamps: true })
      .expect(200);
    await waitFor(async () => (await (await harness.infra.orgSettings()).get(org)).isoUtcTimestamps, { timeoutMs: 20_000 });
    const key = await issue(token);
    const mail = await mailOf(`New API key ${key.hint} issued`);
    expect(mail.envelope.to).toEqual([`security@${org}.test`]);
    expect(mail.text).toContain('Expires: 2027-03-01T10:10:00Z');
  });

  describe('with a notifier of its own (its own namespace, SMTP server and mail)', () => {
    const started: Array<{ infra: Infrastructure; service?: RunningService }> = [];
    const ownSmtp = new SmtpTestServer();

    beforeAll(async () => ownSmtp.start());
    afterAll(async () => {
      for (const { infra, service } of started.reverse()) {
        await service?.close().catch(() => undefined);
        await infra.close();
      }
      await ownSmtp.stop();
    });
    beforeEach(() => ownSmtp.acceptAll());

    /** Same data folder as the harness (so the same KEK opens the codes), its own namespace. */
    function infraFor(name: string, ns: string, smtpPort: number): Infrastructure {
      const config = loadConfig({ ...env, KEYWARDEN_DATA_DIR: harness.dataDir, KEYWARDEN_NAMESPACE: ns, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, LOG_LEVEL: 'info' });
      const infra = new Infrastructure(config, name, { clock: harness.clock, logDestination: harness.logs });
      started.push({ infra });
      return infra;
    }

    async function publishCode(infra: Infrastructure, recipient = `admin@${org}.test`): Promise<string> {
      const code = String(100_000 + Math.floor(Math.random() * 900_000));
      secrets.addCode(code);
      const { id, message } = revealCodeMessage({ orgId: org, box: infra.keyMaterial().notificationBox, code, issuedAt: harness.clock.now(), recipient });
      await infra.messageBus().ensureTopics([{ topic: Topics.notifications }]);
      await infra.messageBus().publish([message]);
      return id;
    }

    const received = (eventId: string) => ownSmtp.messages.filter((m) => header(m, 'x-keywarden-event-id') === eventId);

    it('does not send a message again when the notifier was stopped after sending it and before committing it', async () => {
      const ns = `${namespace}-kill`;
      let crashed: Promise<void> | undefined;
      const first = infraFor('notifier-a', ns, ownSmtp.port);
      const a = await startNotifier(first, {
        groupId: 'crash-test',
        // The worst moment: mail accepted and recorded, offset not committed. The process "dies" here.
        afterDelivery: async () => {
          crashed ??= a.close();
          throw new Error('simulated crash before the commit');
        },
      });
      const eventId = await publishCode(first);
      await waitFor(() => received(eventId).length === 1 && crashed !== undefined, { timeoutMs: 30_000, description: 'the mail, then the crash' });
      await crashed;

      // The next instance of the group gets the uncommitted message again, and does not send it.
      const second = infraFor('notifier-b', ns, ownSmtp.port);
      started.push({ infra: second, service: await startNotifier(second, { groupId: 'crash-test' }) });
      await waitFor(() => harness.logs.parsed().find((l) => l.msg === 'already sent: not sent again' && l.eventId === eventId), {
        timeoutMs: 45_000,
        description: 'the redelivery to be recognised',
      });
      // And it goes on with the next message normally.
      const next = await publishCode(second);
      await waitFor(() => received(next).length === 1, { timeoutMs: 30_000 });
      expect(received(eventId)).toHaveLength(1);
      expect(received(next)).toHaveLength(1);
    });

    it('retries while the SMTP server fails, then dead-letters with the reason; a refusal for good is dead-lettered at once', async () => {
      const ns = `${namespace}-fail`;
      const down = new SmtpTestServer();
      await down.start();
      const downPort = down.port;
      await down.stop(); // nothing listens there now: every connection is refused
      const flakyInfra = infraFor('notifier-flaky', ns, ownSmtp.port);
      started.push({ infra: flakyInfra, service: await startNotifier(flakyInfra, { groupId: 'flaky' }) });
      const dlq = await readTopics(flakyInfra.messageBus(), [Topics.notifications]);
      try {
        // Two transient refusals, then accepted: sent once, not dead-lettered.
        ownSmtp.rejectWith({ code: 451, message: 'Try again later', times: 2 });
        const transient = await publishCode(flakyInfra);
        await waitFor(() => received(transient).length === 1, { timeoutMs: 30_000 });
        expect(ownSmtp.rejected).toBeGreaterThanOrEqual(2);

        // A permanent refusal: dead-lettered at once.
        ownSmtp.rejectWith({ code: 550, message: 'Mailbox unavailable', times: 1 });
        const refused = await publishCode(flakyInfra);
        const refusedDead = await waitFor(() => dlq.messages.find((m) => m.topic === deadLetterTopic(Topics.notifications) && m.headers.ce_id === refused), { timeoutMs: 30_000 });
        expect(refusedDead.headers[DLQ_HEADERS.error]).toMatch(/refused the message for good: SMTP 550/);
        expect(refusedDead.headers[DLQ_HEADERS.sourceTopic]).toBe(`${ns}.${Topics.notifications}`);
      } finally {
        await dlq.stop();
      }

      // The server is down: three attempts with backoff, then the dead-letter topic with the reason.
      const downInfra = infraFor('notifier-down', `${ns}-down`, downPort);
      started.push({ infra: downInfra, service: await startNotifier(downInfra, { groupId: 'down' }) });
      const downDlq = await readTopics(downInfra.messageBus(), [Topics.notifications]);
      try {
        const lost = await publishCode(downInfra);
        const dead = await waitFor(() => downDlq.messages.find((m) => m.topic === deadLetterTopic(Topics.notifications) && m.headers.ce_id === lost), { timeoutMs: 45_000 });
        expect(dead.headers[DLQ_HEADERS.error]).toMatch(/mail not delivered after 3 attempts over \d+ s: ECONNREFUSED/);
        const retries = harness.logs.parsed().filter((l) => l.msg === 'mail not sent: will retry' && l.eventId === lost);
        expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
      } finally {
        await downDlq.stop();
      }
    });
  });

  it('rotates on schedule: the rotation and the 30-day notice reach the admins once', async () => {
    const token = await tokenOf();
    const key = await issue(token);
    await mailOf(`New API key ${key.hint} issued`);
    harness.clock.advance(335 * DAY_MS);
    const rotated = await mailOf(/^API key rotated: /);
    const notice = await mailOf(/ stops working at /);
    expect(rotated.envelope.to).toEqual([`admin@${org}.test`]);
    expect(notice.text).toContain('in 30 days');
    expect(notice.text).toContain('never been used');
    expect(mailsOf().filter((m) => /rotated|stops working/.test(m.subject))).toHaveLength(2);

    // The key the scheduler issued was never shown: reveal it, so the scan below knows its Secret and API key.
    const keys = (await registry.get(`/v1/orgs/${org}/keys`).set(as(token)).expect(200)).body.keys as Array<{ keyId: string; status: string }>;
    const replacement = keys.find((k) => k.status === 'active' && k.keyId !== key.keyId)!;
    expect(replacement).toBeDefined();
    const requestId = (await registry.post(`/v1/orgs/${org}/keys/${replacement.keyId}/reveal-requests`).set(as(token)).send().expect(202)).body.requestId;
    const code = codeIn((await smtp.waitFor((m) => header(m, 'x-keywarden-reveal-request-id') === requestId, 30_000)).text);
    secrets.addCode(code);
    const revealed = (await registry.post(`/v1/orgs/${org}/keys/${replacement.keyId}/reveal`).set(as(token)).send({ requestId, code }).expect(200)).body;
    expect(decodeJwtPayload(revealed.secret).key_id).toBe(replacement.keyId);
    secrets.addSecret(revealed.secret);
  });

  it('never lets a code, a key, a Secret, the pepper, the KEK or a signing key into a log line or a Kafka message', async () => {
    expect(secrets.count('secret') + secrets.count('api-key') + secrets.count('otp-code')).toBeGreaterThanOrEqual(8);
    // Every API key inside a Secret, the scheduled rotation's included.
    expect(secrets.count('api-key')).toBeGreaterThanOrEqual(6);
    secrets.addLocalKeyMaterial(harness.dataDir);
    expect([...secrets.kinds()].sort()).toEqual(['api-key', 'kek', 'otp-code', 'pepper', 'secret', 'signing-key-d']);
    // Every topic (readTopics adds each one's dead letters), key usage included, of every namespace this
    // file used: the notifiers of their own dead-letter in theirs. A bus without a namespace reads them all.
    const namespaces = [namespace, `${namespace}-kill`, `${namespace}-fail`, `${namespace}-fail-down`];
    const bus = new KafkaMessageBus({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'keywarden-secret-scan' });
    const topics = await readTopics(bus, namespaces.flatMap((ns) => Object.values(Topics).map((t) => `${ns}.${t}`)));
    try {
      // Read until this file's own messages are all there: the last rotation's notice is among the last,
      // the dead letters of both failing notifiers in theirs.
      const deadIn = (ns: string) => topics.messages.some((m) => m.topic === deadLetterTopic(`${ns}.${Topics.notifications}`));
      await waitFor(
        () =>
          topics.messages.some((m) => m.headers.ce_type === 'ExpiryNoticeIssued') &&
          topics.messages.some((m) => m.headers.ce_type === REVEAL_CODE_ISSUED_TYPE) &&
          deadIn(`${namespace}-fail`) &&
          deadIn(`${namespace}-fail-down`),
        { timeoutMs: 30_000 },
      );
      expect(topics.messages.length).toBeGreaterThan(10);
      expectNoSecretIn(secrets, [...logBlobs(harness.logs.lines), ...messageBlobs(topics.messages)]);
      // The scan is real: every kind in every encoding the set holds is caught when planted.
      const controls = secrets.controlBlobs();
      expect(new Set(secrets.scan(controls).filter((f) => f.where.startsWith(`control ${f.kind} (`)).map((f) => f.where))).toEqual(new Set(controls.map((c) => c.where)));
    } finally {
      await topics.stop();
      await bus.close();
    }
  });
});
