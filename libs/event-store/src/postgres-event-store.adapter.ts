import { Client, Pool, PoolClient } from 'pg';
import { inTransaction, SchemaOnce } from '@keywarden/postgres';
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

export type PostgresEventStoreOptions = Readonly<{
  /**
   * How often an idle subscription reads the table when no notification came (a lost LISTEN
   * connection, a notification dropped by a failover); notifications wake it at once.
   * @default 1000
   */
  pollIntervalMs?: number;
  /** Connections of the pool (appends, reads, catch-up pages; the listener has its own). @default 10 */
  maxConnections?: number;
  /** How long an operation waits for a free or new connection before failing as unavailable. @default 5000 */
  connectionTimeoutMs?: number;
}>;

/** The notification channel: its payload is the last position of a committed append. */
export const EVENTS_CHANNEL = 'keywarden_events';
/** The transaction-level advisory lock every append holds until it commits ("KWEV"). */
export const APPEND_LOCK_KEY = 0x4b574556;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position bigint PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    stream_id text NOT NULL,
    revision bigint NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, revision)
  )`;

const COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, recorded_at';

type EventRow = {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recorded_at: Date;
};

type AppendOutcome = { appended: boolean; result: AppendResult };

/**
 * The event store on PostgreSQL, shared by any number of processes (docs/adr/0001-postgres-event-positions.md).
 *
 * Global positions: every append takes one transaction-level advisory lock before it reads the
 * stream's revision, numbers its events from the table's highest position, inserts them and
 * commits, which releases the lock only once the commit is visible. Appends therefore commit in
 * position order, gapless, and a reader that has seen position N can never later find a committed
 * event below N: subscriptions follow the table with a plain `position > cursor` query, as on
 * SQLite. The price is that appends are serialised across streams (one short transaction each).
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly schema: SchemaOnce;
  private listener?: Promise<Client | undefined>;
  private closed = false;

  constructor(
    readonly connectionString: string,
    options: PostgresEventStoreOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.pool = new Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      application_name: 'keywarden-event-store',
    });
    // An idle connection dropped by the server: the pool replaces it; the next query reports any outage.
    this.pool.on('error', () => undefined);
    this.schema = new SchemaOnce(this.pool, APPEND_LOCK_KEY, SCHEMA);
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError(`append to ${streamId}: no events given`);
    const ids = events.map((event) => event.eventId);
    if (new Set(ids).size !== ids.length) throw new DuplicateEventIdError(streamId, ids);
    const outcome = await this.inTransaction((client) => this.appendRows(client, streamId, events, expectedRevision));
    if (outcome.appended) for (const subscription of this.subscriptions) subscription.notify();
    return outcome.result;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`,
      [streamId, String(options.fromRevision ?? 0n)],
    );
    return rows.map(toRecordedEvent);
  }

  async readLastEvent(streamId: string): Promise<RecordedEvent | undefined> {
    const rows = await this.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE stream_id = $1 ORDER BY revision DESC LIMIT 1`, [streamId]);
    return rows[0] && toRecordedEvent(rows[0]);
  }

  async headPosition(): Promise<bigint> {
    const rows = await this.query<{ head: string }>('SELECT COALESCE(MAX(position), 0) AS head FROM events', []);
    return BigInt(rows[0].head);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readRange(options.fromPosition ?? 0n, undefined, options.streamPrefix, options.limit);
  }

  async readReplayPage(options: ReplayPageOptions): Promise<ReplayedEvent[]> {
    const fields = checkMetadataFields(options.metadataFields);
    // Each asked field as its JSON text (NULL when absent), so a stored JSON null stays a null.
    const extracted = fields.map((_field, i) => `, (metadata -> $${i + 4})::text AS f${i}`).join('');
    const rows = await this.query<Record<string, unknown>>(
      `SELECT position, stream_id, revision, type, data${extracted} FROM events
       WHERE position > $1 AND ($2::text IS NULL OR starts_with(stream_id, $2))
       ORDER BY position LIMIT $3`,
      [String(options.fromPosition ?? 0n), options.streamPrefix ?? null, options.limit, ...fields],
    );
    return rows.map((row) => {
      const metadata: Record<string, unknown> = {};
      fields.forEach((field, i) => {
        const value = row[`f${i}`];
        if (value !== null) metadata[field] = JSON.parse(value as string);
      });
      return {
        position: BigInt(row.position as string),
        streamId: row.stream_id as string,
        revision: BigInt(row.revision as string),
        type: row.type as string,
        data: row.data,
        metadata,
      };
    });
  }

  subscribeToAll(handler: (event: RecordedEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new Error('the PostgreSQL event store is closed');
    const subscription = new CatchUpSubscription(
      {
        head: () => {
          void this.listen();
          return this.headPosition();
        },
        range: (from, to, prefix, limit) => this.readRange(from, to, prefix, limit),
      },
      handler,
      options,
      this.pollIntervalMs,
      () => {
        this.subscriptions.delete(subscription);
        if (this.subscriptions.size === 0) void this.unlisten();
      },
    );
    this.subscriptions.add(subscription);
    void this.listen();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.unlisten();
    await this.pool.end();
  }

  private async query<T>(text: string, values: unknown[]): Promise<T[]> {
    try {
      await this.schema.ensure();
      return (await this.pool.query(text, values)).rows as T[];
    } catch (error) {
      throw unavailableOnConnection(error);
    }
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      await this.schema.ensure();
      return await inTransaction(this.pool, work);
    } catch (error) {
      throw unavailableOnConnection(error);
    }
  }

  private async appendRows(client: PoolClient, streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendOutcome> {
    const ids = events.map((event) => event.eventId);
    // Held until COMMIT: the revision check, the numbering and the commit happen one append at a time.
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
    const state = await client.query<{ current: string | null; head: string; stored: StoredIdRow[] | null }>(
      `SELECT (SELECT MAX(revision) FROM events WHERE stream_id = $1) AS current,
              (SELECT COALESCE(MAX(position), 0) FROM events) AS head,
              (SELECT json_agg(json_build_object('position', position::text, 'event_id', event_id, 'stream_id', stream_id, 'revision', revision::text))
                 FROM events WHERE event_id = ANY($2::text[])) AS stored`,
      [streamId, ids],
    );
    const row = state.rows[0];
    const current = row.current === null ? undefined : BigInt(row.current);
    if (row.stored && row.stored.length > 0) {
      const stored: StoredId[] = row.stored.map((s) => ({ ...s, position: BigInt(s.position), revision: BigInt(s.revision) }));
      return { appended: false, result: originalResult(streamId, ids, stored, expected, current) };
    }
    checkExpectedRevision(streamId, expected, current);
    const first = BigInt(row.head) + 1n;
    const firstRevision = (current ?? -1n) + 1n;
    await client.query(
      `INSERT INTO events (position, event_id, stream_id, revision, type, data, metadata)
       SELECT $1::bigint + n - 1, e.event_id, $3, $2::bigint + n - 1, e.type, e.data, e.metadata
       FROM unnest($4::text[], $5::text[], $6::jsonb[], $7::jsonb[]) WITH ORDINALITY AS e(event_id, type, data, metadata, n)`,
      [
        String(first),
        String(firstRevision),
        streamId,
        ids,
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data ?? null)),
        events.map((event) => JSON.stringify(event.metadata ?? {})),
      ],
    );
    const last = first + BigInt(events.length) - 1n;
    // Delivered to the listeners at commit, not before.
    await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, String(last)]);
    return { appended: true, result: { nextExpectedRevision: firstRevision + BigInt(events.length) - 1n, position: last } };
  }

  private async readRange(from: bigint, to: bigint | undefined, prefix: string | undefined, limit: number | undefined): Promise<RecordedEvent[]> {
    const rows = await this.query<EventRow>(
      `SELECT ${COLUMNS} FROM events
       WHERE position > $1 AND ($2::bigint IS NULL OR position <= $2) AND ($3::text IS NULL OR starts_with(stream_id, $3))
       ORDER BY position LIMIT $4`,
      [String(from), to === undefined ? null : String(to), prefix ?? null, limit ?? null],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * One LISTEN connection per store, opened while it has subscriptions. When it fails the
   * subscriptions go on polling, and the next poll opens a new one.
   */
  private listen(): Promise<Client | undefined> {
    if (this.closed || this.subscriptions.size === 0) return Promise.resolve(undefined);
    this.listener ??= (async () => {
      const client = new Client({ connectionString: this.connectionString, application_name: 'keywarden-event-store-listener' });
      const drop = () => {
        if (this.listener === current) this.listener = undefined;
        void client.end().catch(() => undefined);
      };
      client.on('error', drop);
      client.on('end', drop);
      client.on('notification', () => {
        for (const subscription of this.subscriptions) subscription.notify();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
        return client;
      } catch {
        drop();
        return undefined;
      }
    })();
    const current = this.listener;
    return current;
  }

  private async unlisten(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    const client = await listener;
    await client?.end().catch(() => undefined);
  }
}

type StoredIdRow = { position: string; event_id: string; stream_id: string; revision: string };

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

/** Node's socket errors and PostgreSQL's "not now" classes: connection (08), resources (53), shutdown (57P). */
const UNAVAILABLE_CODES = /^(08|53|57P|ECONN|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|EAI_AGAIN)/;
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/;

function unavailableOnConnection(error: unknown): unknown {
  if (error instanceof EventStoreUnavailableError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? '';
  if ((typeof code === 'string' && UNAVAILABLE_CODES.test(code)) || UNAVAILABLE_MESSAGES.test(message)) return new EventStoreUnavailableError(error);
  return error;
}
