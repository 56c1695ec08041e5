import { randomUUID } from 'node:crypto';
import { deadLetterTopic, envelopeToHeaders, Topics } from '@keywarden/contracts';
import { SealedBox } from '@keywarden/crypto';
import { DLQ_HEADERS, IncomingMessage, InProcessMessageBus } from '@keywarden/messaging';
import { EmbeddedHarness } from '../../../../test/support/embedded-harness';
import { revealCodeMessage } from '../../../../test/support/reveal-code-message';
import { waitFor } from '../../../../test/support/wait-for';
import { MailDeliveryError, MailTransport, OutgoingMail, SentMail } from '../mail/mail-transport.port';
import { startNotifier } from '../notifier.service';

/** A mail server whose answers the test scripts: the unit tier's stand-in for SMTP (the int tier uses a real one). */
class ScriptedTransport implements MailTransport {
  readonly sent: OutgoingMail[] = [];
  readonly failures: MailDeliveryError[] = [];
  attempts = 0;

  async send(mail: OutgoingMail): Promise<SentMail> {
    this.attempts += 1;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(mail);
    return { messageId: mail.messageId, accepted: [...mail.to], rejected: [] };
  }

  async close(): Promise<void> {}
}

// The notifier's consumer on the in-process bus: once per event, retry then dead-letter, and the
// messages it must refuse. Messages are published as the registry would.
describe('notification consumer', () => {
  let harness: EmbeddedHarness;
  let transport: ScriptedTransport;
  let bus: InProcessMessageBus;
  let org = '';
  let counter = 0;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    transport = new ScriptedTransport();
    await harness.start((infra) => startNotifier(infra, { transport, maxSendAttempts: 3, retryForMs: 60_000 }));
    bus = harness.infra.messageBus() as InProcessMessageBus;
  });

  afterAll(async () => harness.stop());

  beforeEach(() => {
    org = `consumer-${++counter}`;
    transport.failures.length = 0;
  });

  const box = () => harness.infra.keyMaterial().notificationBox;

  const revealCode = (options: { code?: string; expiresAt?: string; recipient?: string; sealWith?: SealedBox; tamperRecipient?: string } = {}) =>
    revealCodeMessage({
      orgId: org,
      box: options.sealWith ?? box(),
      code: options.code ?? '424242',
      issuedAt: new Date('2026-03-01T10:00:00.000Z'),
      ...(options.expiresAt ? { expiresAt: new Date(options.expiresAt) } : {}),
      ...(options.recipient ? { recipient: options.recipient } : {}),
      ...(options.tamperRecipient ? { deliverTo: options.tamperRecipient } : {}),
    });

  const sentFor = (eventId: string) => transport.sent.filter((m) => m.headers['X-Keywarden-Event-Id'] === eventId);
  const deadLetters = (eventId: string): IncomingMessage[] =>
    [...bus.readTopic(deadLetterTopic(Topics.notifications)), ...bus.readTopic(deadLetterTopic(Topics.keyLifecycle))].filter(
      (m) => m.headers.ce_id === eventId,
    );
  /** A later message of the same organisation is handled after the earlier ones: a barrier. */
  async function drain(): Promise<void> {
    const marker = revealCode();
    await bus.publish([marker.message]);
    await waitFor(() => sentFor(marker.id).length === 1, { description: 'the marker mail' });
  }

  it('sends a redelivered message once', async () => {
    const { id, message } = revealCode();
    await bus.publish([message]);
    await waitFor(() => sentFor(id).length === 1);
    await bus.publish([message]);
    await drain();
    expect(sentFor(id)).toHaveLength(1);
    expect(sentFor(id)[0]).toMatchObject({ to: [`admin@${org}.test`], messageId: `<${id}@keywarden>` });
    expect(harness.logs.parsed().some((l) => l.msg === 'already sent: not sent again' && l.eventId === id)).toBe(true);
  });

  it('retries a transient failure with backoff and sends once it passes', async () => {
    transport.failures.push(new MailDeliveryError('SMTP 451: try again later', false), new MailDeliveryError('ECONNREFUSED: connect failed', false));
    const { id, message } = revealCode();
    await bus.publish([message]);
    await waitFor(() => sentFor(id).length === 1);
    await drain();
    expect(sentFor(id)).toHaveLength(1);
    expect(deadLetters(id)).toEqual([]);
    const retries = harness.logs.parsed().filter((l) => l.msg === 'mail not sent: will retry' && l.eventId === id);
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
  });

  it('keeps retrying past the attempts while the outage is shorter than the retry budget, and sends once it passes', async () => {
    transport.failures.push(...[1, 2, 3, 4, 5].map(() => new MailDeliveryError('SMTP 421: service not available', false)));
    const { id, message } = revealCode();
    const before = transport.attempts;
    await bus.publish([message]);
    await waitFor(() => sentFor(id).length === 1, { description: 'sent after five failures within the budget' });
    expect(transport.attempts - before).toBe(6);
    expect(deadLetters(id)).toEqual([]);
  });

  it('dead-letters a message whose sends keep failing, with the reason, once both the attempts and the retry budget are spent', async () => {
    transport.failures.push(...[1, 2, 3].map(() => new MailDeliveryError('SMTP 421: service not available', false)));
    const { id, message } = revealCode();
    const before = transport.attempts;
    await bus.publish([message]);
    await waitFor(() => transport.attempts - before === 3 && transport.failures.length === 0, { description: 'three failed sends' });
    // Three attempts, but no time has passed on the clock: not dead-lettered, retried.
    expect(deadLetters(id)).toEqual([]);
    harness.clock.advance(60_000);
    transport.failures.push(new MailDeliveryError('SMTP 421: service not available', false));
    const [dead] = await waitFor(() => (deadLetters(id).length ? deadLetters(id) : undefined));
    expect(dead.headers[DLQ_HEADERS.error]).toMatch(/mail not delivered after 4 attempts over 60 s: SMTP 421: service not available/);
    expect(dead.value).toBe(message.value);
    expect(transport.attempts - before).toBe(4);
    expect(sentFor(id)).toEqual([]);
  });

  it('dead-letters at once a message the server refuses for good (5xx)', async () => {
    transport.failures.push(new MailDeliveryError('SMTP 550: mailbox unavailable', true));
    const { id, message } = revealCode();
    await bus.publish([message]);
    const [dead] = await waitFor(() => (deadLetters(id).length ? deadLetters(id) : undefined));
    expect(dead.headers[DLQ_HEADERS.error]).toMatch(/refused the message for good: SMTP 550/);
    await drain();
    expect(sentFor(id)).toEqual([]);
  });

  it('does not send a code that expired before it could be sent', async () => {
    const { id, message } = revealCode({ expiresAt: '2026-03-01T09:59:59.000Z' });
    await bus.publish([message]);
    await drain();
    expect(sentFor(id)).toEqual([]);
    expect(deadLetters(id)).toEqual([]);
  });

  it('dead-letters a code sealed under another KEK, or whose recipient was changed on the way', async () => {
    const foreign = revealCode({ sealWith: new SealedBox(Buffer.alloc(32, 7)) });
    const redirected = revealCode({ tamperRecipient: 'attacker@evil.test' });
    await bus.publish([foreign.message, redirected.message]);
    const [a] = await waitFor(() => (deadLetters(foreign.id).length ? deadLetters(foreign.id) : undefined));
    const [b] = await waitFor(() => (deadLetters(redirected.id).length ? deadLetters(redirected.id) : undefined));
    expect(a.headers[DLQ_HEADERS.error]).toMatch(/do not share the same KEK/);
    expect(b.headers[DLQ_HEADERS.error]).toMatch(/failed authentication/);
    expect(transport.sent.some((m) => m.to.includes('attacker@evil.test'))).toBe(false);
  });

  it('dead-letters a lifecycle event that is not in the store it reads (a misconfigured notifier)', async () => {
    await bus.ensureTopics([{ topic: Topics.keyLifecycle }]);
    const id = randomUUID();
    const data = { orgId: org, keyId: 'key_0123456789abcdef0123', removedAt: '2026-03-01T10:00:00.000Z', actor: { sub: 'u', email: 'a@b.test' } };
    await bus.publish([
      {
        topic: Topics.keyLifecycle,
        key: org,
        value: JSON.stringify(data),
        headers: envelopeToHeaders({ id, type: 'ExpirationRemoved', source: 'test', schemaVersion: 1, orgId: org, streamId: `keyring-${org}`, streamRevision: 3, time: data.removedAt }),
      },
    ]);
    const [dead] = await waitFor(() => (deadLetters(id).length ? deadLetters(id) : undefined));
    expect(dead.headers[DLQ_HEADERS.error]).toMatch(/is not at revision 3 of keyring-/);
  });

  it('never writes the code in a log line', async () => {
    const { id, message } = revealCode({ code: '987123' });
    await bus.publish([message]);
    await waitFor(() => sentFor(id).length === 1);
    expect(sentFor(id)[0].text).toContain('987123');
    expect(harness.logs.text).not.toContain('987123');
  });
});
