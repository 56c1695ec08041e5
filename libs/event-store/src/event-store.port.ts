/**
 * The event store port. Adapters: SQLite (embedded default), PostgreSQL and EventStoreDB.
 * Revisions are per stream and start at 0; positions are global, increasing and opaque to callers
 * beyond ordering (a bigint: SQLite's row id, PostgreSQL's gapless counter, EventStoreDB's commit position).
 */

export type ExpectedRevision = 'no_stream' | 'any' | bigint;

export type NewEvent = Readonly<{
  /** Caller-chosen UUID: re-appending the same ids is idempotent. */
  eventId: string;
  type: string;
  data: unknown;
  metadata?: Readonly<Record<string, unknown>>;
}>;

export type RecordedEvent = Readonly<{
  eventId: string;
  streamId: string;
  /** Revision within the stream, from 0. */
  revision: bigint;
  /** Global position in the store. */
  position: bigint;
  type: string;
  data: unknown;
  metadata: Readonly<Record<string, unknown>>;
  /** When the store recorded it. */
  recordedAt: Date;
}>;

/**
 * An event as a long replay reads it: what a fold needs, and of its metadata only the fields the
 * caller named (absent fields left out). A `RecordedEvent` is one too.
 */
export type ReplayedEvent = Omit<RecordedEvent, 'eventId' | 'recordedAt'>;

export type ReadStreamOptions = Readonly<{
  /** The first revision to read (inclusive); undefined = from the stream's start. */
  fromRevision?: bigint;
}>;

export type ReadAllOptions = Readonly<{
  /** Strictly after this position; undefined = from the start. */
  fromPosition?: bigint;
  limit?: number;
  streamPrefix?: string;
}>;

export type ReplayPageOptions = ReadAllOptions &
  Readonly<{
    limit: number;
    /** Metadata fields to return (plain names: letters, digits, `_`); none when omitted. */
    metadataFields?: readonly string[];
  }>;

const METADATA_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The metadata fields of a replay read, refused unless each is a plain name (so also a JSON path). */
export function checkMetadataFields(fields: readonly string[] = []): readonly string[] {
  const invalid = fields.find((field) => !METADATA_FIELD.test(field));
  if (invalid !== undefined) throw new RangeError(`metadata field ${JSON.stringify(invalid)} is not a plain name (letters, digits, _)`);
  return fields;
}

export type AppendResult = Readonly<{ nextExpectedRevision: bigint; position: bigint }>;

export interface Subscription {
  /** Resolves once the subscription stopped and its handler will not be called again. */
  close(): Promise<void>;
}

export type SubscribeOptions = Readonly<{
  /** Deliver events strictly after this position; undefined = from the start. */
  fromPosition?: bigint;
  /** Only streams with this prefix. */
  streamPrefix?: string;
  /** Called when the handler throws or the store fails; the subscription stops. */
  onError?: (error: Error) => void;
}>;

/** Called by a long replay after each page: events so far, and the position of the last one read. */
export type ReplayProgress = (eventsReplayed: number, position: bigint) => void;

export interface EventStore {
  appendToStream(streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /**
   * The stream's events in order, from `fromRevision` on (default 0: all of them); an empty array
   * when the stream does not exist or holds nothing from there.
   */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stream's latest event, undefined when the stream does not exist; cheap on long streams. */
  readLastEvent(streamId: string): Promise<RecordedEvent | undefined>;
  /**
   * The position of the latest recorded event (0n when nothing is recorded): where a replay that
   * starts now will end, so a long one can show how far it has come.
   */
  headPosition(): Promise<bigint>;
  /** Up to `limit` events strictly after `fromPosition` (undefined = from the start), in order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * One page of a long replay (audit, cache rebuild): the events `readAll` returns, without the
   * event id, the recording time and the metadata fields not asked for. The embedded store then
   * decodes less of each row, and decoding is about half of a replay's cost there.
   */
  readReplayPage(options: ReplayPageOptions): Promise<ReplayedEvent[]>;
  /**
   * Catch-up subscription: delivers every stored event after `fromPosition`, then keeps delivering
   * live appends, one at a time and in order (the next waits for the handler's promise).
   */
  subscribeToAll(handler: (event: RecordedEvent) => Promise<void>, options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

/** Another writer changed the stream first: reload and retry (the API maps it to 409). */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId} is at revision ${String(actual)}, expected ${String(expected)}`);
  }
}

/**
 * Some of the given event ids are already stored but this is not a retry of that append (a mix of
 * old and new ids, other streams, another order): a caller bug, retrying cannot help. EventStoreDB
 * reports most such cases as a wrong expected revision instead.
 */
export class DuplicateEventIdError extends Error {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(
    readonly streamId: string,
    readonly eventIds: readonly string[],
  ) {
    super(`stream ${streamId}: event ids ${eventIds.join(', ')} are already stored by another append`);
  }
}

/**
 * The store cannot be reached or written right now (disk I/O, a lock held too long, EventStoreDB
 * unreachable or not leader): nothing was recorded, and the same call may succeed shortly. The
 * API answers 503; the message carries no internals.
 */
export class EventStoreUnavailableError extends Error {
  readonly code = 'EVENT_STORE_UNAVAILABLE';
  readonly retriable = true;
  constructor(cause: unknown) {
    super('the event store is unavailable right now; nothing was changed, retry in a few seconds', { cause });
  }
}
