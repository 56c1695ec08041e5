import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Inject, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { CLOCK, Clock } from '@keywarden/clock';
import {
  dateTimeStyleOf,
  Envelope,
  keyRingStream,
  ORG_SETTINGS_READER,
  OrgSettingsReader,
  parseKeyRingEvent,
  parseRevealCodeIssued,
  REVEAL_CODE_ISSUED_TYPE,
  revealCodeAad,
  Topics,
} from '@keywarden/contracts';
import { SealedBox, UnreadableSealedValueError } from '@keywarden/crypto';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';
import { EnvelopePipe, MESSAGE_BUS, MessageBus, PoisonMessageError } from '@keywarden/messaging';
import { counter } from '@keywarden/observability';
import { SENT_LEDGER, SentLedger } from '../ledger/sent-ledger.port';
import { MAIL_TRANSPORT, MailDeliveryError, MailTransport } from '../mail/mail-transport.port';
import { revealCodeMail } from '../messages/notification-messages';
import { NOTIFICATION_BOX, NOTIFIER_LOGGER, NOTIFIER_OPTIONS, NotifierOptions } from '../notifier.tokens';
import { isNotified, Plan, planLifecycleMail, PlannedMail } from './notification-planner';
import { ringContextOf } from './ring-context';

/** Mails by result: sent, failed (retried later) and dead-lettered (given up); the notifier's /metrics. */
const mailsCounter = () =>
  counter({ name: 'keywarden_notifier_emails_total', help: 'Notification mails by result: sent, failed (to be retried), dead-lettered', labelNames: ['result'] });

export type ResolvedNotifierOptions = NotifierOptions & Readonly<{ groupId: string; maxSendAttempts: number; retryForMs: number }>;

const DEFAULT_CLAIM_TTL_MS = 60_000;

/** The group the handlers declare; it joins the configured `NotifierOptions.groupId` (see `startNotifier`). */
export const NOTIFIER_GROUP = 'keywarden-notifier';

/**
 * Turns lifecycle events and notification requests into email, each exactly once as far as the
 * notifier can tell: an event id is claimed before sending, recorded as sent right after the
 * server accepted the message, and only then is the Kafka offset committed. A redelivered or
 * replayed event finds its record and is skipped.
 *
 * Failures: a transient send failure (SMTP 4xx, connection refused, timeout) is retried by the bus
 * with its backoff until it has failed `maxSendAttempts` times over at least `retryForMs` (an SMTP
 * outage shorter than that loses no mail), then dead-lettered with the reason; a permanent one
 * (5xx) and a malformed message are dead-lettered at once.
 */
@Controller()
export class NotificationConsumer implements OnApplicationBootstrap, OnApplicationShutdown {  /** Per event id: transient failures so far, and when the first one happened (by the Clock). */
  private readonly attempts = new Map<string, Readonly<{ count: number; firstAtMs: number }>>();

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    @Inject(SENT_LEDGER) private readonly ledger: SentLedger,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(NOTIFICATION_BOX) private readonly box: SealedBox,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER_LOGGER) private readonly logger: Logger,
    @Inject(NOTIFIER_OPTIONS) private readonly options: ResolvedNotifierOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([{ topic: Topics.keyLifecycle }, { topic: Topics.notifications }]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
    await this.ledger.close();
  }

  // A new group starts at the end of the topics: a first start sends no backlog of stale notices
  // and expired codes. Later starts resume from the committed offsets, so nothing is skipped.
  @EventPattern(Topics.keyLifecycle, { groupId: NOTIFIER_GROUP, fromBeginning: false })
  async onLifecycleEvent(@Payload(EnvelopePipe) envelope: Envelope): Promise<void> {
    await this.carryOut(envelope, await this.planLifecycle(envelope));
  }

  @EventPattern(Topics.notifications, { groupId: NOTIFIER_GROUP, fromBeginning: false })
  async onNotificationRequest(@Payload(EnvelopePipe) envelope: Envelope): Promise<void> {
    await this.carryOut(envelope, await this.planNotification(envelope));
  }

  private async carryOut(envelope: Envelope, plan: Plan): Promise<void> {
    if (plan.kind === 'skip') {
      this.logger.debug({ eventId: envelope.id, type: envelope.type, reason: plan.reason }, 'nothing to send');
      return;
    }
    await this.deliver(envelope, plan.mail);
  }

  private async planLifecycle(envelope: Envelope): Promise<Plan> {
    const event = parseKeyRingEvent(envelope.type, envelope.data);
    if (!isNotified(event)) return { kind: 'skip', reason: `${event.type} is not notified` };
    if (envelope.streamRevision === undefined || !Number.isInteger(envelope.streamRevision)) {
      throw new PoisonMessageError('lifecycle message without a stream revision');
    }
    // The store has every event the relay published (it publishes only what is stored): the ring
    // up to this event gives the other key's hint and the admins to fall back on, and a redelivery
    // renders the same mail, whatever happened to the ring since.
    const revision = BigInt(envelope.streamRevision);
    const recorded = (await this.store.readStream(keyRingStream(envelope.orgId))).filter((e) => e.revision <= revision);
    if (recorded.at(-1)?.revision !== revision || recorded.at(-1)?.eventId !== envelope.id) {
      throw new PoisonMessageError(
        `event ${envelope.id} is not at revision ${revision} of ${keyRingStream(envelope.orgId)} in the event store this notifier reads: is it configured with the registry's store?`,
      );
    }
    const ring = ringContextOf(recorded.map((e) => parseKeyRingEvent(e.type, e.data)));
    return planLifecycleMail(event, ring, await this.settings.get(envelope.orgId));
  }

  private async planNotification(envelope: Envelope): Promise<Plan> {
    if (envelope.type !== REVEAL_CODE_ISSUED_TYPE) throw new PoisonMessageError(`unknown notification type "${envelope.type}"`);
    const request = parseRevealCodeIssued(envelope.data);
    if (request.orgId !== envelope.orgId) throw new PoisonMessageError('the message key is not the organisation of the reveal request');
    if (this.clock.now().getTime() >= Date.parse(request.expiresAt)) {
      return { kind: 'skip', reason: 'the reveal code expired before it could be sent' };
    }
    let code: string;
    try {
      code = this.box.open(request.sealedCode, revealCodeAad(request));
    } catch (error) {
      if (error instanceof UnreadableSealedValueError) throw new PoisonMessageError(`the reveal code cannot be opened: ${error.message}`);
      throw error;
    }
    const style = dateTimeStyleOf((await this.settings.get(request.orgId)).isoUtcTimestamps);
    // The requesting admin only, never the organisation's notification list.
    const mail = revealCodeMail({ orgId: request.orgId, keyHint: request.keyHint, code, expiresAt: request.expiresAt }, style);
    return { kind: 'send', mail: { ...mail, to: [request.recipient], headers: { 'X-Keywarden-Reveal-Request-Id': request.revealRequestId } } };
  }

  private async deliver(envelope: Envelope, mail: PlannedMail): Promise<void> {
    const eventId = envelope.id;
    const claim = await this.ledger.claim(eventId, this.options.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS);
    if (claim.status === 'sent') {
      this.logger.info({ eventId, type: envelope.type }, 'already sent: not sent again');
      return;
    }
    if (claim.status === 'busy') {
      // Another instance is mid-send (it lost this partition in a rebalance): retry, and find its record.
      throw new Error(`another notifier is sending event ${eventId} right now`);
    }
    let sent;
    try {
      sent = await this.transport.send({
        ...mail,
        messageId: `<${eventId}@keywarden>`,
        headers: { ...mail.headers, 'X-Keywarden-Event-Id': eventId, 'X-Keywarden-Org': envelope.orgId, 'X-Keywarden-Notification': envelope.type },
      });
    } catch (error) {
      await this.ledger.release(eventId, claim.token).catch(() => undefined);
      const failure = this.failure(envelope, error);
      mailsCounter().inc({ result: failure instanceof PoisonMessageError ? 'dead-lettered' : 'failed' });
      throw failure;
    }
    mailsCounter().inc({ result: 'sent' });
    // Recorded first, before any other work: this is the window in which a crash sends twice.
    await this.recordSent(eventId, claim.token);
    this.attempts.delete(eventId);
    const where = sent.file ? { file: sent.file } : { accepted: sent.accepted.length, rejected: sent.rejected.length };
    this.logger.info({ eventId, type: envelope.type, recipients: mail.to.length, ...where }, sent.file ? 'mail written to file' : 'mail sent');
    await this.options.afterDelivery?.(eventId);
  }

  /** A Redis blip right after a send must not make the message go out again: retry the record a while. */
  private async recordSent(eventId: string, token: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ledger.recordSent(eventId, token);
      } catch (error) {
        if (attempt >= 8) throw error;
        this.logger.warn({ eventId, attempt, err: error }, 'could not record a sent mail yet: retrying');
        await sleep(Math.min(2_000, 50 * 2 ** attempt));
      }
    }
  }

  private failure(envelope: Envelope, error: unknown): Error {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof MailDeliveryError && error.permanent) {
      this.attempts.delete(envelope.id);
      return new PoisonMessageError(`the mail server refused the message for good: ${reason}`);
    }
    const nowMs = this.clock.now().getTime();
    const previous = this.attempts.get(envelope.id);
    const attempt = (previous?.count ?? 0) + 1;
    const firstAtMs = previous?.firstAtMs ?? nowMs;
    if (attempt >= this.options.maxSendAttempts && nowMs - firstAtMs >= this.options.retryForMs) {
      this.attempts.delete(envelope.id);
      return new PoisonMessageError(`mail not delivered after ${attempt} attempts over ${Math.round((nowMs - firstAtMs) / 1000)} s: ${reason}`);
    }
    this.attempts.set(envelope.id, { count: attempt, firstAtMs });
    this.logger.warn({ eventId: envelope.id, type: envelope.type, attempt, maxAttempts: this.options.maxSendAttempts, reason }, 'mail not sent: will retry');
    return error instanceof Error ? error : new Error(reason);
  }
}
