import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { Envelope, KEY_INVALIDATED_TYPE, parseKeyInvalidated, Topics } from '@keywarden/contracts';
import { EnvelopePipe } from '@keywarden/messaging';
import { EDGE_LOGGER } from '../edge.tokens';
import { SecretValidator } from './secret-validator';

/** The group the handler declares; each process binds it to its own `invalidationGroupId()` at start. */
export const EDGE_INVALIDATION_GROUP = 'keywarden-edge-validator';

/**
 * Every edge instance must see every invalidation, so each one joins a consumer group of its own
 * (starting at the end of the topic: what it holds was read after that point).
 */
export const invalidationGroupId = (): string =>
  `${EDGE_INVALIDATION_GROUP}-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Follows the projection's invalidations and evicts at once what this process holds for the key,
 * so a deletion or a grace-0 revocation stops working within the propagation bound instead of at
 * the next re-read.
 */
@Controller()
export class InvalidationConsumer {
  constructor(
    @Inject(SecretValidator) private readonly validator: SecretValidator,
    @Inject(EDGE_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(Topics.cacheInvalidations, { groupId: EDGE_INVALIDATION_GROUP, fromBeginning: false })
  onInvalidation(@Payload(EnvelopePipe) envelope: Envelope): void {
    if (envelope.type !== KEY_INVALIDATED_TYPE) return;
    const invalidation = parseKeyInvalidated(envelope.data);
    this.validator.evict(invalidation.orgId, invalidation.keyId, invalidation.fingerprint);
    // The admin call's request id as a field too: the edge's logger may not read the request context (see EdgeHttpServer).
    this.logger.info(
      { requestId: envelope.correlationId ?? envelope.id, orgId: invalidation.orgId, keyId: invalidation.keyId, cause: invalidation.cause },
      'key invalidated: evicted from the in-process cache',
    );
  }
}
