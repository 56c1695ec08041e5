import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ANY,
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  BACKWARDS,
  END,
  EventStoreDBClient,
  JSONType,
  NO_STREAM,
  Position,
  ReadPosition,
  ResolvedEvent,
  START,
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
} from '@eventstore/db-client';
import {
  AppendResult,
  checkMetadataFields,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReplayedEvent,
  ReplayPageOptions,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
  EventStoreUnavailableError,
} from './event-store.port';

const READ_PAGE = 500;
// Stream reads from servers older than 22.6 report "no position" as the largest uint64.
const NO_POSITION = 2n ** 64n - 1n;

/**
 * The production event store. Our bigint position is the event's commit position in the
 * transaction log. Appends over gRPC are implicit transactions, in which each event's prepare
 * position equals its commit position, so a position handed back to us is turned into
 * `{ commit: p, prepare: p }`. Events written inside legacy explicit (TCP) transactions break
 * that equality; this store never writes any.
 */
export class EventStoreDbStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EsdbSubscription>();

  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError(`append to ${streamId}: no events given`);
    const data = events.map((event) =>
      jsonEvent({
        id: event.eventId,
        type: event.type,
        data: (event.data ?? null) as JSONType,
        metadata: event.metadata ?? {},
      }),
    );
    try {
      const result = await this.client.appendToStream(streamId, data, {
        expectedRevision: toAppendExpectedRevision(expectedRevision),
      });
      const position = usablePosition(result.position?.commit);
      return {
        nextExpectedRevision: result.nextExpectedRevision,
        // An idempotent retry comes back without a position: take the original one from the log.
        position: position ?? (await this.positionAt(streamId, result.nextExpectedRevision)),
      };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = typeof error.actualVersion === 'bigint' ? error.actualVersion : 'no_stream';
        throw new WrongExpectedRevisionError(streamId, expectedRevision, actual);
      }
      throw unavailableOr(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, { fromRevision: options.fromRevision ?? START })) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw unavailableOr(error);
    }
    return events;
  }

  async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    try {
      for await (const resolved of this.client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        return toRecordedEvent(resolved);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw unavailableOr(error);
    }
    return undefined;
  }

  /** The commit position at the end of $all (system events included: an upper bound for a progress bar). */
  async headPosition(): Promise<bigint> {
    try {
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
        return usablePosition(resolved.event?.position?.commit ?? resolved.commitPosition) ?? 0n;
      }
    } catch (error) {
      throw unavailableOr(error);
    }
    return 0n;
  }

  /** The client decodes every event whole anyway: a page of readAll with the asked metadata kept. */
  async readReplayPage(options: ReplayPageOptions): Promise<ReplayedEvent[]> {
    const fields = checkMetadataFields(options.metadataFields);
    return (await this.readAll(options)).map(({ streamId, revision, position, type, data, metadata }) => ({
      streamId,
      revision,
      position,
      type,
      data,
      metadata: Object.fromEntries(fields.filter((field) => Object.hasOwn(metadata, field)).map((field) => [field, metadata[field]])),
    }));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    let after = options.fromPosition;
    let from: ReadPosition = after === undefined ? START : toLogPosition(after);
    // The client's readAll has no server-side filter: page through $all and filter here.
    while (events.length < limit) {
      let count = 0;
      let lastSeen: Position | undefined;
      for await (const resolved of this.client.readAll({ fromPosition: from, maxCount: READ_PAGE })) {
        count += 1;
        lastSeen = resolved.event?.position ?? lastSeen;
        const event = toRecordedEvent(resolved);
        // Reading from a position includes the event at it; the port wants strictly after.
        if (!event || (after !== undefined && event.position <= after) || events.length >= limit) continue;
        if (isUserEvent(event) && hasPrefix(event, options.streamPrefix)) events.push(event);
      }
      if (count < READ_PAGE || !lastSeen) break;
      from = lastSeen;
      after = lastSeen.commit;
    }
    return events;
  }

  subscribeToAll(handler: (event: RecordedEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    const stream = this.client.subscribeToAll({
      fromPosition: options.fromPosition === undefined ? START : toLogPosition(options.fromPosition),
      filter: options.streamPrefix ? streamNameFilter({ prefixes: [options.streamPrefix] }) : excludeSystemEvents(),
    });
    const subscription = new EsdbSubscription(stream, handler, options, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private async positionAt(streamId: string, revision: bigint): Promise<bigint> {
    for await (const resolved of this.client.readStream(streamId, { fromRevision: revision, maxCount: 1 })) {
      const event = toRecordedEvent(resolved);
      if (event) return event.position;
    }
    throw new Error(`stream ${streamId} has no event at revision ${revision}`);
  }
}

function toAppendExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return expected;
}

function toLogPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

function usablePosition(position: bigint | undefined): bigint | undefined {
  return position === undefined || position < 0n || position >= NO_POSITION ? undefined : position;
}

function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event) return undefined;
  const position = usablePosition(event.position?.commit ?? resolved.commitPosition);
  if (position === undefined) {
    throw new Error(`EventStoreDB gave no position for event ${event.id}: server 22.6 or later is required`);
  }
  const metadata = event.metadata;
  return {
    eventId: event.id,
    streamId: event.streamId,
    revision: event.revision,
    position,
    type: event.type,
    data: event.data,
    metadata: isRecord(metadata) ? metadata : {},
    recordedAt: event.created,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** System streams and events ($stats, $metadata, projections, links) are the server's business. */
function isUserEvent(event: RecordedEvent): boolean {
  return !event.type.startsWith('$') && !event.streamId.startsWith('$');
}

function hasPrefix(event: RecordedEvent, prefix: string | undefined): boolean {
  return prefix === undefined || event.streamId.startsWith(prefix);
}

// Lets close() tell when it is called from inside this subscription's own handler.
const handlerScope = new AsyncLocalStorage<EsdbSubscription>();

class EsdbSubscription implements Subscription {
  private closed = false;
  private stopping: Promise<void> | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly stream: AllStreamSubscription,
    private readonly handler: (event: RecordedEvent) => Promise<void>,
    private readonly options: SubscribeOptions,
    onStopped: () => void,
  ) {
    // Without onError a failure rejects `done` unobserved: the process fails loudly rather than
    // a relay silently stopping.
    this.done = this.follow()
      .catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (!this.options.onError) throw failure;
        this.options.onError(failure);
      })
      .finally(onStopped);
  }

  async close(): Promise<void> {
    await this.stop();
    // From inside the handler, waiting for the loop would wait for ourselves; the flag suffices.
    if (handlerScope.getStore() === this) return;
    await this.done.catch(() => undefined);
  }

  private async follow(): Promise<void> {
    // The server resumes after the checkpoint; the cursor also guards against a redelivery.
    let cursor = this.options.fromPosition ?? -1n;
    try {
      for await (const resolved of this.stream) {
        if (this.closed) return;
        const event = toRecordedEvent(resolved);
        if (!event || event.position <= cursor || !isUserEvent(event)) continue;
        if (!hasPrefix(event, this.options.streamPrefix)) continue;
        await handlerScope.run(this, () => this.handler(event));
        cursor = event.position;
      }
      if (!this.closed) throw new Error('EventStoreDB ended the subscription to $all');
    } catch (error) {
      // Destroying the stream on close ends the iteration with a premature-close error.
      if (!this.closed) throw error;
    } finally {
      await this.stop();
    }
  }

  private stop(): Promise<void> {
    this.closed = true;
    this.stopping ??= this.stream
      .unsubscribe()
      .catch(() => undefined)
      .then(() => {
        this.stream.destroy();
      });
    return this.stopping;
  }
}

/** The client's "not now" errors become the port's EventStoreUnavailableError (503, retriable). */
function unavailableOr(error: unknown): unknown {
  const notNow = [UnavailableError, DeadlineExceededError, NotLeaderError, CancelledError, TimeoutError].some((type) => error instanceof type);
  return notNow ? new EventStoreUnavailableError(error) : error;
}
