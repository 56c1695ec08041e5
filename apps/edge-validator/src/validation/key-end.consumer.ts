import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { envelopeFromMessage, KeyRingEvent, parseKeyRingEvent, Topics } from '@keywarden/contracts';
import type { ConsumerHandle, IncomingMessage, MessageBus } from '@keywarden/messaging';
import type { EndedKeys } from './ended-keys';
import type { SecretValidator } from './secret-validator';

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
 * consumer group, starting at the end of the topic, like the InvalidationConsumer.
 */
export class KeyEndConsumer {
  private handle?: ConsumerHandle;
  readonly groupId = `keywarden-edge-key-ends-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly bus: MessageBus,
    private readonly ended: EndedKeys,
    private readonly validator: SecretValidator,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.handle = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [Topics.keyLifecycle],
      fromBeginning: false,
      handler: async (message) => this.onMessage(message),
    });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private onMessage(message: IncomingMessage): void {
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
