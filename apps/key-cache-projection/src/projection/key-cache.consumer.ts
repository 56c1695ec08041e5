import { Controller, Inject, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
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
import { ACTIVE_KEY_CACHE, ActiveKeyCache, invalidates, projectKeyEvent, rebuildActiveKeyCache, reconcileOrgs } from '@keywarden/key-cache';
import { EnvelopePipe, MESSAGE_BUS, MessageBus, PoisonMessageError } from '@keywarden/messaging';


export const PROJECTION_LOGGER = Symbol('PROJECTION_LOGGER');
/** How often (ms) the projection checks the cache's completeness marker. */
export const PROJECTION_CACHE_CHECK_MS = Symbol('PROJECTION_CACHE_CHECK_MS');
export const PROJECTION_GROUP_ID = 'keywarden-key-cache-projection';

/**
 * Applies the lifecycle topic to the active-key cache. The write is guarded by the ring revision
 * (one Lua script), so redeliveries and replays change nothing; the offset is committed only
 * after the write. Invalidations are published even for a stale (already applied) event: the
 * first delivery may have crashed between the write and the publish.
 */
@Controller()
export class KeyCacheConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private checkTimer?: NodeJS.Timeout;
  private rebuilding?: Promise<void>;
  /** Organisations this consumer wrote while a rebuild ran: its replay may have read them before. */
  private writtenDuringRebuild?: Set<string>;
  private lastCheckWarnAtMs = -Infinity;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(ACTIVE_KEY_CACHE) private readonly cache: ActiveKeyCache,
    @Inject(PROJECTION_LOGGER) private readonly logger: Logger,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PROJECTION_CACHE_CHECK_MS) private readonly cacheCheckMs: number,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([{ topic: Topics.keyLifecycle }, { topic: Topics.cacheInvalidations }]);
    // A cache without the completeness marker (a fresh in-memory one, a flushed or restarted Redis)
    // is rebuilt from the store before consuming: committed offsets would never bring old keys back.
    await this.rebuildIfIncomplete();
    // Redis can lose everything while this process runs (FLUSHALL, a restart without persistence):
    // the edge answers 503 until the marker is back, so the rebuild must not wait for a restart.
    this.checkTimer = setInterval(() => void this.checkMarker(), this.cacheCheckMs);
    this.checkTimer.unref();
  }

  /** Rebuilds the cache from the store when its marker is missing, then marks it complete. One at a time. */
  rebuildIfIncomplete(): Promise<void> {
    this.rebuilding ??= (async () => {
      try {
        if (await this.cache.isComplete()) return;
        const startedAt = Date.now();
        this.writtenDuringRebuild = new Set();
        const report = await rebuildActiveKeyCache(this.store, this.cache, this.clock.now());
        // A live write newer than the replay's read makes the restore skip that organisation, leaving
        // only what the live write put in an emptied cache: replay those from their streams.
        await reconcileOrgs(this.store, this.cache, this.writtenDuringRebuild, this.clock.now());
        await this.cache.markComplete();
        this.logger.warn({ ...report, tookMs: Date.now() - startedAt }, 'active-key cache had no completeness marker (empty or flushed): rebuilt from the event store');
      } finally {
        this.writtenDuringRebuild = undefined;
        this.rebuilding = undefined;
      }
    })();
    return this.rebuilding;
  }

  private async checkMarker(): Promise<void> {
    try {
      await this.rebuildIfIncomplete();
    } catch (error) {
      // Redis down: the next tick tries again; one warn line per 10 s is enough.
      const nowMs = Date.now();
      if (nowMs - this.lastCheckWarnAtMs < 10_000) return;
      this.lastCheckWarnAtMs = nowMs;
      this.logger.warn({ err: error }, 'active-key cache completeness check failed: retrying');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.checkTimer);
    await this.rebuilding?.catch(() => undefined);
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
    this.writtenDuringRebuild?.add(envelope.orgId);
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
