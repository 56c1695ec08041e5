import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { envelopeFromMessage, KEY_INVALIDATED_TYPE, parseKeyInvalidated, Topics } from '@keywarden/contracts';
import type { ConsumerHandle, IncomingMessage, MessageBus } from '@keywarden/messaging';
import type { SecretValidator } from './secret-validator';

/**
 * Follows the projection's invalidations and evicts at once what this process holds for the key,
 * so a deletion or a grace-0 revocation stops working within the propagation bound instead of at
 * the next re-read. Every edge instance must see every invalidation, so each one joins its own
 * consumer group (starting at the end of the topic: what it holds was read after that point).
 */
export class InvalidationConsumer {
  private handle?: ConsumerHandle;
  readonly groupId = `keywarden-edge-validator-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly bus: MessageBus,
    private readonly validator: SecretValidator,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.handle = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [Topics.cacheInvalidations],
      fromBeginning: false,
      handler: async (message) => this.onMessage(message),
    });
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  private onMessage(message: IncomingMessage): void {
    const envelope = envelopeFromMessage(message.headers, message.key, message.value);
    if (envelope.type !== KEY_INVALIDATED_TYPE) return;
    const invalidation = parseKeyInvalidated(envelope.data);
    this.validator.evict(invalidation.orgId, invalidation.keyId, invalidation.fingerprint);
    // The admin call's request id, as a field (no request context: see EdgeHttpServer).
    this.logger.info(
      { requestId: envelope.correlationId ?? envelope.id, orgId: invalidation.orgId, keyId: invalidation.keyId, cause: invalidation.cause },
      'key invalidated: evicted from the in-process cache',
    );
  }
}
