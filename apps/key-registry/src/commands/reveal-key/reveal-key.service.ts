import { actorOf } from '@keywarden/auth';
import { randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AdminPrincipal } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { KEYWARDEN_CONFIG, KeywardenConfig } from '@keywarden/config';
import {
  envelopeToHeaders,
  formatInstant,
  NOTIFICATION_SCHEMA_VERSION,
  REVEAL_CODE_ISSUED_TYPE,
  revealCodeAad,
  RevealCodeIssued,
  Topics,
} from '@keywarden/contracts';
import { OtpHasher, SealedBox } from '@keywarden/crypto';
import { CONFLICT_ATTEMPTS } from '@keywarden/event-store';
import { MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { currentRequestId, withDeadline } from '@keywarden/observability';
import { findKey, statusAt } from '../../domain/key-ring.decider';
import { KeyRingError } from '../../domain/key-ring.errors';

import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { KeyView } from '../../key-ring/key.view';
import { maskEmail } from './mask-email';
import { RevealError } from './reveal.errors';
import { NOTIFICATION_BOX, OTP_HASHER, REVEAL_LOGGER } from './reveal.tokens';
import { REVEAL_REQUEST_STORE, RevealRequestStore } from './reveal-request.store.port';

/** A code is valid this long (the article's dialog waits for it). */
export const REVEAL_CODE_TTL_MS = 10 * 60 * 1000;
/** The wrong code that reaches this count locks the request. */
export const REVEAL_MAX_ATTEMPTS = 5;
/** Codes an admin may ask for per window: enough for typos and lost mail, too few to spam an inbox. */
export const REVEAL_REQUESTS_PER_WINDOW = 5;
export const REVEAL_REQUEST_WINDOW_MS = 15 * 60 * 1000;

/** Retry-After when the code could not be handed to the notifier (Kafka down). */
const REVEAL_RETRY_AFTER_SECONDS = 30;

export type RevealRequested = Readonly<{ requestId: string; expiresAt: string; sentTo: string }>;
export type Revealed = Readonly<{ secret: string; key: KeyView }>;

/**
 * The OTP-gated view of a key ("Copying the API Key"): a 6-digit code from a CSPRNG, stored only as
 * an HMAC, mailed to the asking admin through the notifier (sealed on Kafka), good for one view of
 * the current Secret within 10 minutes. Every successful view is recorded as KeyRevealed.
 *
 * Who may view: admins of the organisation only. Platform operators may act on any organisation,
 * but the article reserves viewing to "an Admin", and a key is the customer's credential: an
 * operator token without the admin role of this organisation is refused (403).
 */
@Injectable()
export class RevealKeyService implements OnApplicationBootstrap {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    private readonly presenter: KeyTablePresenter,
    @Inject(REVEAL_REQUEST_STORE) private readonly requests: RevealRequestStore,
    @Inject(OTP_HASHER) private readonly hasher: OtpHasher,
    @Inject(NOTIFICATION_BOX) private readonly box: SealedBox,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(REVEAL_LOGGER) private readonly logger: Logger,
    @Inject(KEYWARDEN_CONFIG) private readonly config: KeywardenConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([{ topic: Topics.notifications }]);
  }

  async request(orgId: string, keyId: string, admin: AdminPrincipal): Promise<RevealRequested> {
    const email = this.assertMayReveal(orgId, admin);
    const now = this.clock.now();
    const { ring } = await this.repository.load(orgId);
    const key = findKey(ring, keyId);
    if (!key) throw new KeyRingError('KEY_NOT_FOUND', `key ${keyId} does not exist in this organisation (or was deleted)`, { keyId });
    if (statusAt(key, now.toISOString()) === 'expired') {
      throw new KeyRingError('KEY_EXPIRED', `key ${keyId} has expired and can no longer be viewed`, { keyId });
    }
    const admission = await this.requests.admit(`${orgId}:${admin.sub}`, now.getTime(), REVEAL_REQUESTS_PER_WINDOW, REVEAL_REQUEST_WINDOW_MS);
    if (!admission.admitted) {
      const retryAfterSeconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      throw new RevealError(
        'REVEAL_RATE_LIMITED',
        `you asked for ${REVEAL_REQUESTS_PER_WINDOW} codes in the last ${REVEAL_REQUEST_WINDOW_MS / 60_000} minutes; try again in ${retryAfterSeconds} seconds`,
        { retryAfterSeconds },
        retryAfterSeconds,
      );
    }

    const requestId = `rvl_${randomBytes(16).toString('hex')}`;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(now.getTime() + REVEAL_CODE_TTL_MS);
    await this.requests.save(
      { requestId, orgId, keyId, sub: admin.sub, codeHash: this.hasher.hash(requestId, code), expiresAtMs: expiresAt.getTime() },
      now.getTime(),
    );
    const message: RevealCodeIssued = {
      orgId,
      keyId,
      keyHint: key.hint,
      revealRequestId: requestId,
      recipient: email,
      issuedAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      sealedCode: this.box.seal(code, revealCodeAad({ orgId, revealRequestId: requestId, recipient: email })),
    };
    try {
      // Kafka down must not hold the admin's request: past the deadline it is a 503, and the request
      // is discarded, so a code that still goes out late opens nothing.
      await withDeadline(this.bus.publish([
        {
          topic: Topics.notifications,
          key: orgId,
          value: JSON.stringify(message),
          headers: envelopeToHeaders({
            id: randomBytes(16).toString('hex'),
            type: REVEAL_CODE_ISSUED_TYPE,
            source: 'keywarden/key-registry',
            schemaVersion: NOTIFICATION_SCHEMA_VERSION,
            orgId,
            time: now.toISOString(),
            correlationId: currentRequestId(),
            causationId: requestId,
          }),
        },
      ]), this.config.requestDependencyTimeoutMs, 'the notification topic (Kafka)');
    } catch (error) {
      this.logger.error({ err: error, keyId, revealRequestId: requestId }, 'the reveal mail could not be handed to the notifier');
      await this.requests.discard(requestId);
      throw new RevealError('REVEAL_CODE_NOT_SENT', 'the code could not be sent right now; try again in a minute', undefined, REVEAL_RETRY_AFTER_SECONDS);
    }
    this.logger.info({ keyId, revealRequestId: requestId }, 'reveal mail handed to the notifier');
    const style = await this.presenter.styleFor(orgId);
    return { requestId, expiresAt: formatInstant(expiresAt, style), sentTo: maskEmail(email) };
  }

  async reveal(orgId: string, keyId: string, admin: AdminPrincipal, requestId: string, code: string): Promise<Revealed> {
    this.assertMayReveal(orgId, admin);
    const now = this.clock.now();
    const attempt = await this.requests.attempt({
      requestId,
      orgId,
      keyId,
      sub: admin.sub,
      codeHash: this.hasher.hash(requestId, code),
      nowMs: now.getTime(),
      maxAttempts: REVEAL_MAX_ATTEMPTS,
    });
    switch (attempt.outcome) {
      case 'accepted':
        break;
      case 'wrong':
        this.logger.warn({ keyId, revealRequestId: requestId, attemptsLeft: attempt.attemptsLeft }, 'reveal refused: wrong one-time password');
        throw new RevealError(
          'REVEAL_CODE_WRONG',
          `the code is not right; ${attempt.attemptsLeft} more wrong ${attempt.attemptsLeft === 1 ? 'code locks' : 'codes lock'} this request`,
          { attemptsLeft: attempt.attemptsLeft },
        );
      case 'locked':
        this.logger.warn({ keyId, revealRequestId: requestId }, 'reveal request locked after too many wrong codes');
        throw new RevealError('REVEAL_LOCKED', `too many wrong codes: this request is locked; ask for a new code to view the key`);
      case 'used':
        throw new RevealError('REVEAL_REQUEST_USED', 'this code was already used; ask for a new code to view the key again');
      case 'expired':
        throw new RevealError('REVEAL_REQUEST_EXPIRED', `the code has expired (codes are valid ${REVEAL_CODE_TTL_MS / 60_000} minutes); ask for a new code`);
      case 'not-found':
        throw new RevealError('REVEAL_REQUEST_NOT_FOUND', `you have no reveal request ${requestId} for key ${keyId}; ask for a code with POST .../reveal-requests`);
      default: {
        const unknown: never = attempt;
        return unknown;
      }
    }
    const ring = await this.recordReveal(orgId, keyId, requestId, admin, now);
    const key = findKey(ring, keyId);
    if (!key) throw new KeyRingError('KEY_NOT_FOUND', `key ${keyId} does not exist in this organisation (or was deleted)`, { keyId });
    const apiKey = await this.material.open(key);
    const secret = await this.material.mintSecret(apiKey, key, now);
    this.logger.info({ keyId, revealRequestId: requestId }, 'key revealed');
    return { secret, key: await this.presenter.presentOne(orgId, key, now) };
  }

  /** The audit record comes before the Secret is returned; a concurrent change only means "decide again". */
  private async recordReveal(orgId: string, keyId: string, revealRequestId: string, admin: AdminPrincipal, now: Date) {
    const { ring } = await this.repository.execute(
      orgId,
      { type: 'RecordReveal', data: { keyId, revealRequestId }, metadata: { now: now.toISOString(), actor: actorOf(admin) } },
      { attempts: CONFLICT_ATTEMPTS },
    );
    return ring;
  }

  private assertMayReveal(orgId: string, admin: AdminPrincipal): string {
    if (!admin.roles.includes('admin') || admin.orgId !== orgId) {
      throw new RevealError(
        'REVEAL_NOT_ALLOWED',
        `viewing a key needs an admin of organisation ${orgId}; platform operators cannot view an organisation's keys`,
      );
    }
    if (!admin.email) throw new RevealError('REVEAL_NOT_ALLOWED', 'your admin token carries no email address to send the code to');
    return admin.email;
  }
}
