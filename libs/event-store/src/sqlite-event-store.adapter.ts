import { openPrivateSqlite } from '@keywarden/sqlite';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  AppendResult,
  checkMetadataFields,
  DuplicateEventIdError,
  EventStore,
  EventStoreUnavailableError,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  ReplayedEvent,
  ReplayPageOptions,
  SubscribeOptions,
  Subscription,
} from './event-store.port';
import { checkExpectedRevision, originalResult, StoredId } from './append-rules';
import { CatchUpSubscription } from './catch-up-subscription';

export type SqliteEventStoreOptions = Readonly<{
  /**
   * How often an idle subscription looks for appends made by other processes on the same file;
   * appends through this instance wake it at once.
   * @default 200
   */
  pollIntervalMs?: number;
  /**
   * How long a write waits for another connection's write lock before failing with SQLITE_BUSY.
   * @default 5000
   */
  busyTimeoutMs?: number;
}>;

type EventRow = {
  position: bigint;
  event_id: string;
  stream_id: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
};

type AppendOutcome = { appended: boolean; result: AppendResult };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, revision)
  )`;

const MAX_POSITION = 2n ** 63n - 1n;

/**
 * The embedded event store: one append-only table in a SQLite file (WAL), shareable by several
 * processes. Positions are the table's AUTOINCREMENT row ids. Every append holds the database's
 * write lock from its first read to its commit, so positions are allocated in commit order: a
 * reader that has seen position N will never later find a committed row below N, which is what
 * lets subscriptions follow the table with a plain `position > cursor` query.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteEventStore['prepare']>;
  private readonly appendInTransaction: Database.Transaction<
    (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision) => AppendOutcome
  >;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  /** Replay page statements by the metadata fields they select. */
  private readonly replayStatements = new Map<string, Database.Statement>();
  private readonly pollIntervalMs: number;

  constructor(
    readonly path: string,
    options: SqliteEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    // The store holds every organisation's history: owner-only, like the key stores.
    this.db = openPrivateSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    // Positions and revisions are bigints end to end; numbers would round past 2^53.
    this.db.defaultSafeIntegers(true);
    this.db.exec(SCHEMA);
    this.statements = this.prepare();
    this.appendInTransaction = this.db.transaction((streamId, events, expected) =>
      this.appendRows(streamId, events, expected),
    );
  }

  async appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError(`append to ${streamId}: no events given`);
    // IMMEDIATE takes the write lock before the revision check, so two processes cannot both pass it.
    const outcome = unavailableOnIo(() => this.appendInTransaction.immediate(streamId, events, expectedRevision));
    if (outcome.appended) for (const subscription of this.subscriptions) subscription.notify();
    return outcome.result;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return unavailableOnIo(() => (this.statements.readStream.all(streamId, options.fromRevision ?? 0n) as EventRow[]).map(toRecordedEvent));
  }

  async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const row = unavailableOnIo(() => this.statements.readLast.get(streamId) as EventRow | undefined);
    return row && toRecordedEvent(row);
  }

  async headPosition(): Promise<bigint> {
    return unavailableOnIo(() => this.statements.head.get() as bigint);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return unavailableOnIo(() => this.readRange(options.fromPosition ?? 0n, MAX_POSITION, options.streamPrefix, options.limit));
  }

  async readReplayPage(options: ReplayPageOptions): Promise<ReplayedEvent[]> {
    const fields = checkMetadataFields(options.metadataFields);
    const statement = this.replayStatement(fields);
    const rows = unavailableOnIo(
      () => statement.all({ from: options.fromPosition ?? 0n, prefix: options.streamPrefix ?? null, limit: options.limit }) as unknown[][],
    );
    const events = new Array<ReplayedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const metadata: Record<string, unknown> = {};
      // Each asked field comes as its JSON text (NULL when absent), so every JSON type round-trips.
      for (let f = 0; f < fields.length; f++) if (row[5 + f] !== null) metadata[fields[f]] = JSON.parse(row[5 + f] as string);
      events[i] = {
        position: row[0] as bigint,
        streamId: row[1] as string,
        revision: row[2] as bigint,
        type: row[3] as string,
        data: JSON.parse(row[4] as string) as unknown,
        metadata,
      };
    }
    return events;
  }

  subscribeToAll(handler: (event: RecordedEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    if (!this.db.open) throw new Error(`event store ${this.path} is closed`);
    const subscription = new CatchUpSubscription(
      {
        head: () => this.statements.head.get() as bigint,
        range: (from, to, prefix, limit) => this.readRange(from, to, prefix, limit),
      },
      handler,
      options,
      this.pollIntervalMs,
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.db.open) this.db.close();
  }

  private prepare() {
    return {
      lastRevision: this.db.prepare('SELECT MAX(revision) FROM events WHERE stream_id = ?').pluck(),
      storedIds: this.db.prepare(
        'SELECT position, event_id, stream_id, revision FROM events WHERE event_id IN (SELECT value FROM json_each(?))',
      ),
      insert: this.db.prepare(
        'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      readStream: this.db.prepare('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision'),
      readLast: this.db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
      // Raw rows (arrays) for the long reads: no per-row object with column names to build and collect.
      readRange: this.db
        .prepare(
          `SELECT position, event_id, stream_id, revision, type, data, metadata, recorded_at FROM events
           WHERE position > @from AND position <= @to
             AND (@prefix IS NULL OR substr(stream_id, 1, length(@prefix)) = @prefix)
           ORDER BY position LIMIT @limit`,
        )
        .raw(true),
      head: this.db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
    };
  }

  /**
   * The replay read selects only the columns a fold reads, and each asked metadata field extracted
   * by SQLite: turning a row's text into JavaScript values is about half of what a replay costs.
   */
  private replayStatement(fields: readonly string[]): Database.Statement {
    const cacheKey = fields.join(',');
    let statement = this.replayStatements.get(cacheKey);
    if (!statement) {
      const extracted = fields.map((field) => `, metadata -> '$.${field}'`).join('');
      statement = this.db
        .prepare(
          `SELECT position, stream_id, revision, type, data${extracted} FROM events
           WHERE position > @from AND (@prefix IS NULL OR substr(stream_id, 1, length(@prefix)) = @prefix)
           ORDER BY position LIMIT @limit`,
        )
        .raw(true);
      this.replayStatements.set(cacheKey, statement);
    }
    return statement;
  }

  private readRange(from: bigint, to: bigint, prefix: string | undefined, limit: number | undefined): RecordedEvent[] {
    const rows = this.statements.readRange.all({ from, to, prefix: prefix ?? null, limit: limit ?? -1 }) as RawEventRow[];
    const events = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = fromRawRow(rows[i]);
    return events;
  }

  private appendRows(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendOutcome {
    const ids = events.map((event) => event.eventId);
    if (new Set(ids).size !== ids.length) throw new DuplicateEventIdError(streamId, ids);
    const current = (this.statements.lastRevision.get(streamId) as bigint | null) ?? undefined;
    const stored = this.statements.storedIds.all(JSON.stringify(ids)) as StoredId[];
    if (stored.length > 0) {
      return { appended: false, result: originalResult(streamId, ids, stored, expected, current) };
    }
    checkExpectedRevision(streamId, expected, current);
    const recordedAt = new Date().toISOString();
    let revision = current ?? -1n;
    let position = 0n;
    for (const event of events) {
      revision += 1n;
      const info = this.statements.insert.run(
        event.eventId,
        streamId,
        revision,
        event.type,
        asciiJson(event.data ?? null),
        asciiJson(event.metadata ?? {}),
        recordedAt,
      );
      position = BigInt(info.lastInsertRowid);
    }
    return { appended: true, result: { nextExpectedRevision: revision, position } };
  }
}

const NON_ASCII = /[\u0080-\uffff]/g;
const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * How the embedded store writes data and metadata: JSON text with every non-ASCII character
 * escaped (`…` as `\u2026`, the same JSON value). V8 reads ASCII text back as a one-byte string,
 * which it decodes and parses faster than a two-byte one, and a replay is mostly that decoding
 * (docs/adr/0003-hot-path-measurements.md).
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(NON_ASCII, escapeChar);
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    recordedAt: new Date(row.recorded_at),
  };
}

type RawEventRow = [position: bigint, eventId: string, streamId: string, revision: bigint, type: string, data: string, metadata: string, recordedAt: string];

function fromRawRow(row: RawEventRow): RecordedEvent {
  return {
    eventId: row[1],
    streamId: row[2],
    revision: row[3],
    position: row[0],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as Record<string, unknown>,
    recordedAt: new Date(row[7]),
  };
}

/** SQLite's answers that mean "not now" (I/O, locks, a full or vanished file), not a caller's bug. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL)/;

function unavailableOnIo<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((typeof code === 'string' && UNAVAILABLE.test(code)) || /database connection is not open/.test((error as Error)?.message ?? '')) {
      throw new EventStoreUnavailableError(error);
    }
    throw error;
  }
}
