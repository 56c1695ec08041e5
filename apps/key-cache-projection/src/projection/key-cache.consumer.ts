import { Controller, Inject, OnApplicationBootstrap } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import {
  Envelope,
  envelopeToHeaders,
  KEY_INVALIDATED_TYPE,
  KeyInvalidated,
  parseKeyRingEvent,
  Topics,
} from '@keywarden/contracts';
import { CLOCK, Clock } from '@keywarden/clock';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';
import { ACTIVE_KEY_CACHE, ActiveKeyCache, invalidates, projectKeyEvent, rebuildActiveKeyCache } from '@keywarden/key-cache';
import { EnvelopePipe, MESSAGE_BUS, MessageBus, PoisonMessageError } from '@keywarden/messaging';


export const PROJECTION_LOGGER = Symbol('PROJECTION_LOGGER');
export const PROJECTION_GROUP_ID = 'keywarden-key-cache-projection';

/**
 * Applies the lifecycle topic to the active-key cache. The write is guarded by the ring revision
 * (one Lua script), so redeliveries and replays change nothing; the offset is committed only
 * after the write. Invalidations are published even for a stale (already applied) event: the
 * first delivery may have crashed between the write and the publish.
 */
@Controller()
export class KeyCacheConsumer implements OnApplicationBootstrap {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(ACTIVE_KEY_CACHE) private readonly cache: ActiveKeyCache,
    @Inject(PROJECTION_LOGGER) private readonly logger: Logger,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([{ topic: Topics.keyLifecycle }, { topic: Topics.cacheInvalidations }]);
    // An empty cache (a fresh in-memory one, or a flushed Redis) is rebuilt from the store before
    // consuming: the topic's committed offsets would otherwise never bring the old keys back.
    if ((await this.cache.listOrgIds()).length === 0) {
      const report = await rebuildActiveKeyCache(this.store, this.cache, this.clock.now());
      this.logger.info(report, 'active-key cache was empty: rebuilt from the event store');
    }
  }

  @EventPattern(Topics.keyLifecycle, { groupId: PROJECTION_GROUP_ID, fromBeginning: true })
  async handle(@Payload(EnvelopePipe) envelope: Envelope): Promise<void> {
    if (envelope.streamRevision === undefined || !Number.isInteger(envelope.streamRevision)) {
      throw new PoisonMessageError('lifecycle message without a stream revision');
    }
    const event = parseKeyRingEvent(envelope.type, envelope.data);
    const revision = envelope.streamRevision;
    const current = await this.cache.findByKeyId(envelope.orgId, event.data.keyId);
    const change = projectKeyEvent(current, event);
    const outcome = await this.cache.applyRingChange(envelope.orgId, revision, change);
    this.logger.info({ type: event.type, keyId: event.data.keyId, revision, outcome }, 'lifecycle event projected');
    if (!invalidates(event)) return;
    const invalidation: KeyInvalidated = {
      orgId: envelope.orgId,
      keyId: event.data.keyId,
      fingerprint: current?.fingerprint ?? null,
      cause: event.type,
    };
    await this.bus.publish([
      {
        topic: Topics.cacheInvalidations,
        key: envelope.orgId,
        value: JSON.stringify(invalidation),
        headers: envelopeToHeaders({
          id: `${envelope.id}:invalidation`,
          type: KEY_INVALIDATED_TYPE,
          source: 'keywarden/key-cache-projection',
          schemaVersion: 1,
          orgId: envelope.orgId,
          time: envelope.time,
          correlationId: envelope.correlationId,
          causationId: envelope.id,
        }),
      },
    ]);
  }
}
