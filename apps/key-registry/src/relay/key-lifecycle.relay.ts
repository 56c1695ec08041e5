import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { envelopeToHeaders, KEY_RING_SCHEMA_VERSION, KEY_RING_STREAM_PREFIX, orgIdOfStream, Topics } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, RecordedEvent, Subscription } from '@keywarden/event-store';
import { MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { runWithRequestContext } from '@keywarden/observability';
import { RELAY_LOGGER, RELAY_OPTIONS } from './relay.tokens';
import { RelayCheckpointStore } from './relay-checkpoint.store';

export type RelayOptions = Readonly<{
  /** Write the checkpoint at most this often; a crash republishes at most this window. @default 500 */
  checkpointEveryMs?: number;
}>;

/**
 * Publishes every key-ring event to Kafka, following the store from a durable checkpoint. The
 * store is the outbox: an event is published only once recorded, and the checkpoint moves only
 * after Kafka acknowledged it, so a crash republishes (at least once) and never skips.
 * Consumers de-duplicate on the ring revision or event id carried in the headers.
 */
@Injectable()
export class KeyLifecycleRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription?: Subscription;
  private lastPublished?: bigint;
  private lastSaved?: bigint;
  private lastSavedAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private flushTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private stopping = false;
  private failures = 0;
  private readonly checkpointEveryMs: number;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly checkpoints: RelayCheckpointStore,
    @Inject(RELAY_LOGGER) private readonly logger: Logger,
    @Optional() @Inject(RELAY_OPTIONS) options?: RelayOptions,
  ) {
    this.checkpointEveryMs = options?.checkpointEveryMs ?? 500;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.bus.ensureTopics([{ topic: Topics.keyLifecycle }]);
    const from = await this.checkpoints.load();
    this.lastSaved = from;
    this.lastPublished = from;
    this.follow();
    // When events stop, the last ones still reach the checkpoint shortly after.
    this.flushTimer = setInterval(() => void this.saveCheckpoint(true).catch(() => undefined), this.checkpointEveryMs);
    this.flushTimer.unref();
  }

  /**
   * Subscribes from the last published position. A failure (broker down, store error) stops the
   * subscription; it is resumed after a growing pause, so the relay outlives a broker outage.
   */
  private follow(): void {
    this.logger.info({ fromPosition: this.lastPublished?.toString() ?? 'start' }, 'relay following the event store');
    this.subscription = this.store.subscribeToAll((event) => this.relay(event), {
      fromPosition: this.lastPublished,
      streamPrefix: KEY_RING_STREAM_PREFIX,
      onError: (error) => {
        if (this.stopping) return;
        this.failures++;
        const pauseMs = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
        this.logger.error({ err: error, retryInMs: pauseMs }, 'relay failed to publish; retrying from the last published event');
        this.retryTimer = setTimeout(() => {
          if (!this.stopping) this.follow();
        }, pauseMs);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.flushTimer);
    await this.subscription?.close();
    this.subscription = undefined;
    await this.saveCheckpoint(true);
  }

  private async relay(event: RecordedEvent): Promise<void> {
    const orgId = orgIdOfStream(event.streamId)!;
    const requestId = typeof event.metadata.requestId === 'string' ? event.metadata.requestId : undefined;
    await runWithRequestContext({ requestId: requestId ?? event.eventId, fromCaller: requestId !== undefined, orgId }, async () => {
      await this.bus.publish([
        {
          topic: Topics.keyLifecycle,
          key: orgId,
          value: JSON.stringify(event.data),
          headers: envelopeToHeaders({
            id: event.eventId,
            type: event.type,
            source: 'keywarden/key-registry',
            schemaVersion: KEY_RING_SCHEMA_VERSION,
            orgId,
            streamId: event.streamId,
            streamRevision: Number(event.revision),
            time: event.recordedAt.toISOString(),
            correlationId: requestId,
            causationId: typeof event.metadata.causationId === 'string' ? event.metadata.causationId : undefined,
          }),
        },
      ]);
      this.logger.debug({ type: event.type, revision: Number(event.revision) }, 'relayed');
    });
    this.lastPublished = event.position;
    this.failures = 0;
    await this.saveCheckpoint(false);
  }

  /** Serialised, so the timer and the relay never write checkpoints out of order. */
  private saveCheckpoint(force: boolean): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(async () => {
      if (this.lastPublished === undefined || this.lastPublished === this.lastSaved) return;
      if (!force && Date.now() - this.lastSavedAt < this.checkpointEveryMs) return;
      const position = this.lastPublished;
      await this.checkpoints.save(position);
      this.lastSaved = position;
      this.lastSavedAt = Date.now();
    });
    return this.saving;
  }
}
