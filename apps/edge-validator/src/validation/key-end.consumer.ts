import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { envelopeFromMessage, KeyRingEvent, parseKeyRingEvent, Topics } from '@keywarden/contracts';
import type { IncomingMessage } from '@keywarden/messaging';
import { EDGE_LOGGER } from '../edge.tokens';
import { EndedKeys } from './ended-keys';
import { SecretValidator } from './secret-validator';

/** The group the handler declares; each process binds it to its own `keyEndGroupId()` at start. */
export const EDGE_KEY_END_GROUP = 'keywarden-edge-key-ends';

/** Every edge instance must see every key end: a consumer group of its own, from the end of the topic. */
export const keyEndGroupId = (): string =>
  `${EDGE_KEY_END_GROUP}-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** A key that stops being accepted the moment this event is recorded; other ends are in the entry's acceptUntil. */
export function endsKeyNow(event: KeyRingEvent): boolean {
  if (event.type === 'KeyDeleted') return true;
  if (event.type === 'KeyRevoked') return Date.parse(event.data.graceEndsAt) <= Date.parse(event.data.revokedAt);
  return false;
}

/**
 * Follows the registry's lifecycle topic for keys that end now (grace-0 revocations, deletions), so
 * they are refused at this edge without waiting for the key-cache projection: with it down, its
 * invalidations never come and Redis keeps the key as active. Each edge instance has its own
 * consumer group (`keyEndGroupId`), starting at the end of the topic, like the InvalidationConsumer.
 */
@Controller()
export class KeyEndConsumer {
  constructor(
    @Inject(EndedKeys) private readonly ended: EndedKeys,
    @Inject(SecretValidator) private readonly validator: SecretValidator,
    @Inject(EDGE_LOGGER) private readonly logger: Logger,
  ) {}

  // The raw message, not EnvelopePipe: a bad envelope is the projection's to dead-letter, not this edge's.
  @EventPattern(Topics.keyLifecycle, { groupId: EDGE_KEY_END_GROUP, fromBeginning: false })
  onMessage(@Payload() message: IncomingMessage): void {
    let event: KeyRingEvent;
    let requestId: string;
    try {
      const envelope = envelopeFromMessage(message.headers, message.key, message.value);
      event = parseKeyRingEvent(envelope.type, envelope.data);
      requestId = envelope.correlationId ?? envelope.id;
    } catch {
      // Poison is the projection's to dead-letter; this consumer only looks for ends.
      return;
    }
    if (!endsKeyNow(event)) return;
    this.ended.add(event.data.orgId, event.data.keyId);
    this.validator.evict(event.data.orgId, event.data.keyId, null);
    this.logger.info({ requestId, orgId: event.data.orgId, keyId: event.data.keyId, cause: event.type }, 'key ended: refused at this edge from now on');
  }
}
