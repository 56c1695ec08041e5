import type { Logger } from 'pino';
import { orgIdOfStream } from '@keywarden/contracts';
import { EventStore, RecordedEvent, Subscription } from '@keywarden/event-store';
import { MessageBus, OutgoingMessage, TopicSpec } from '@keywarden/messaging';
import { observeGauge, runWithRequestContext } from '@keywarden/observability';
import { RelayCheckpoints } from './relay-checkpoints';

/** What one relay publishes: which streams it follows and the messages each recorded event becomes. */
export type RelayRoute = Readonly<{
  /** Names the relay in its log lines, e.g. `key-lifecycle`. */
  name: string;
  /** Only streams with this prefix are followed (`keyring-`, `settings-`). */
  streamPrefix: string;
  /** Created (with their dead-letter topics) before the first publish. */
  topics: TopicSpec[];
  /** The messages of one recorded event, published together; none to skip it. Runs in the event's request context. */
  messagesFor(event: RecordedEvent, orgId: string): Promise<OutgoingMessage[]>;
  /**
   * A compacted topic whose readers need every key's latest message: found holding nothing at start
   * while the checkpoint says events were published (an embedded data folder from before the bus was
   * durable, a topic deleted and recreated), it is refilled from the first event, not left empty.
   */
  refillWhenEmpty?: string;
}>;

export type EventStoreRelayOptions = Readonly<{
  /** Write the checkpoint at most this often; a crash republishes at most this window. @default 500 */
  checkpointEveryMs?: number;
  /** Longest pause before following again after a failure (broker down). @default 30_000 */
  maxRetryPauseMs?: number;
}>;

/** The request id of the admin call that recorded the event, from the metadata the command handlers write. */
export const requestIdOf = (event: RecordedEvent): string | undefined =>
  typeof event.metadata.requestId === 'string' ? event.metadata.requestId : undefined;

export const causationIdOf = (event: RecordedEvent): string | undefined =>
  typeof event.metadata.causationId === 'string' ? event.metadata.causationId : undefined;

/** Beyond this the lag gauge reads as this: a scrape stays cheap however far behind the relay is. */
const LAG_COUNT_LIMIT = 10_000;

/**
 * Publishes recorded events to Kafka, following the store from a durable checkpoint. The store is
 * the outbox: an event is published only once recorded, and the checkpoint moves only after the
 * bus acknowledged it, so a crash republishes (at least once) and never skips. A failure stops
 * the subscription; it resumes from the last published event after a growing pause, so the relay
 * outlives a broker outage. Each event is published inside its request context, so the log lines
 * it causes carry the admin call's request id.
 */
export class EventStoreRelay {
  private subscription?: Subscription;
  private lastPublished?: bigint;
  private lastSaved?: bigint;
  private lastSavedAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private flushTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private stopping = false;
  private failures = 0;
  private unobserve?: () => void;
  private readonly checkpointEveryMs: number;
  private readonly maxRetryPauseMs: number;

  constructor(
    private readonly store: EventStore,
    private readonly bus: MessageBus,
    private readonly checkpoints: RelayCheckpoints,
    private readonly logger: Logger,
    private readonly route: RelayRoute,
    options: EventStoreRelayOptions = {},
  ) {
    this.checkpointEveryMs = options.checkpointEveryMs ?? 500;
    this.maxRetryPauseMs = options.maxRetryPauseMs ?? 30_000;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.bus.ensureTopics(this.route.topics);
    let from = await this.checkpoints.load();
    if (from !== undefined && this.route.refillWhenEmpty !== undefined && (await this.holdsNothing(this.route.refillWhenEmpty))) {
      this.logger.warn({ relay: this.route.name, topic: this.route.refillWhenEmpty }, 'the topic holds nothing the relay published: republishing from the first event');
      from = undefined;
    }
    this.lastSaved = from;
    this.lastPublished = from;
    this.follow();
    // When events stop, the last ones still reach the checkpoint shortly after.
    this.flushTimer = setInterval(() => void this.saveCheckpoint(true).catch(() => undefined), this.checkpointEveryMs);
    this.flushTimer.unref();
    this.unobserve = observeGauge(
      { name: 'keywarden_relay_unpublished_events', help: `Events recorded in the store but not yet published (relay lag), counted up to ${LAG_COUNT_LIMIT}`, labelNames: ['relay'] },
      async () => [[{ relay: this.route.name }, await this.unpublished()]],
    );
  }

  private async holdsNothing(topic: string): Promise<boolean> {
    return (await this.bus.partitionOffsets(topic)).every((p) => p.start === p.end);
  }

  /** Relay lag for /metrics: one bounded read of what follows the last published event. */
  private async unpublished(): Promise<number> {
    const pending = await this.store.readAll({ fromPosition: this.lastPublished, limit: LAG_COUNT_LIMIT, streamPrefix: this.route.streamPrefix });
    return pending.length;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unobserve?.();
    clearTimeout(this.retryTimer);
    clearInterval(this.flushTimer);
    await this.subscription?.close();
    this.subscription = undefined;
    await this.saveCheckpoint(true);
  }

  private follow(): void {
    this.logger.info({ relay: this.route.name, fromPosition: this.lastPublished?.toString() ?? 'start' }, 'relay following the event store');
    this.subscription = this.store.subscribeToAll((event) => this.relay(event), {
      fromPosition: this.lastPublished,
      streamPrefix: this.route.streamPrefix,
      onError: (error) => {
        if (this.stopping) return;
        this.failures++;
        const pauseMs = Math.min(this.maxRetryPauseMs, 250 * 2 ** Math.min(this.failures, 7));
        this.logger.error({ relay: this.route.name, err: error, retryInMs: pauseMs }, 'relay failed to publish; retrying from the last published event');
        this.retryTimer = setTimeout(() => {
          if (!this.stopping) this.follow();
        }, pauseMs);
      },
    });
  }

  private async relay(event: RecordedEvent): Promise<void> {
    const orgId = orgIdOfStream(event.streamId);
    if (orgId !== null) {
      const requestId = requestIdOf(event);
      await runWithRequestContext({ requestId: requestId ?? event.eventId, fromCaller: requestId !== undefined, orgId }, async () => {
        const messages = await this.route.messagesFor(event, orgId);
        await this.bus.publish(messages);
        this.logger.debug({ relay: this.route.name, type: event.type, revision: Number(event.revision), messages: messages.length }, 'relayed');
      });
    }
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
