import { Client } from 'pg';
import { TestDatabase } from '../../../test/support/postgres-database';
import { EventStoreUnavailableError, RecordedEvent } from './event-store.port';
import { PostgresEventStore } from './postgres-event-store.adapter';
import { collector, newEvent, runEventStoreContract, uniqueName, waitFor } from './testing/event-store.contract';

runEventStoreContract('PostgreSQL', async () => {
  const database = await TestDatabase.create('contract');
  const store = new PostgresEventStore(database.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
});

describe('PostgresEventStore', () => {
  let database: TestDatabase;
  let stores: PostgresEventStore[];
  let clients: Client[];

  const open = (options?: ConstructorParameters<typeof PostgresEventStore>[1]) => {
    const store = new PostgresEventStore(database.url, options);
    stores.push(store);
    return store;
  };
  const connect = async () => {
    const client = new Client({ connectionString: database.url });
    clients.push(client);
    await client.connect();
    return client;
  };

  beforeEach(async () => {
    database = await TestDatabase.create('store');
    stores = [];
    clients = [];
  });

  afterEach(async () => {
    // The test's own connections first: one may still hold an append open.
    for (const client of clients) await client.end().catch(() => undefined);
    for (const store of stores) await store.close();
    await database.drop();
  });

  it('delivers to a subscription the appends made through another instance, woken by NOTIFY rather than the poll', async () => {
    // A poll far longer than the wait below: only the notification can deliver in time.
    const reader = open({ pollIntervalMs: 60_000 });
    const writer = open();
    const prefix = uniqueName('notify');
    const checkpoint = await writer.appendToStream(`${prefix}-0`, [newEvent('Before')], 'no_stream');
    const latencies: number[] = [];
    let sentAt = 0;
    const sink = collector();
    reader.subscribeToAll(
      async (event) => {
        latencies.push(performance.now() - sentAt);
        await sink.handler(event);
      },
      { fromPosition: checkpoint.position, streamPrefix: prefix, onError: sink.onError },
    );
    // The first append may come before the listener is connected: wait for its delivery through the first read.
    await writer.appendToStream(`${prefix}-0`, [newEvent('Warm-up')], 0n);
    await waitFor(() => sink.received.length === 1, 'the warm-up event', 5000);
    latencies.length = 0;

    for (let n = 1; n <= 40; n++) {
      sentAt = performance.now();
      await writer.appendToStream(`${prefix}-${n}`, [newEvent('Live')], 'no_stream');
      await waitFor(() => sink.received.length === n + 1, `live event ${n}`, 2000);
    }

    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
    process.stdout.write(`[postgres-event-store] append→delivery across instances (LISTEN/NOTIFY), ${sorted.length} appends: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms\n`);
    expect(sink.errors).toEqual([]);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(200);
  });

  it('goes on delivering by polling when its LISTEN connection is killed', async () => {
    const reader = open({ pollIntervalMs: 100 });
    const writer = open();
    const prefix = uniqueName('poll');
    const sink = collector();
    reader.subscribeToAll(sink.handler, { streamPrefix: prefix, onError: sink.onError });
    await writer.appendToStream(`${prefix}-1`, [newEvent('A')], 'no_stream');
    await waitFor(() => sink.received.length === 1, 'the first event');
    const admin = await connect();
    const killed = await admin.query(
      "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'keywarden-event-store-listener' AND datname = current_database()",
    );
    expect(killed.rows.length).toBeGreaterThan(0);

    await writer.appendToStream(`${prefix}-2`, [newEvent('B')], 'no_stream');
    await waitFor(() => sink.received.length === 2, 'the event appended after the listener died');

    expect(sink.received.map((event) => event.type)).toEqual(['A', 'B']);
    expect(sink.errors).toEqual([]);
  });

  it('never lets a reader skip an event whose append commits after a later one was appended (appends held open, concurrent appenders)', async () => {
    const appenders = [open(), open(), open(), open()];
    const follower = open({ pollIntervalMs: 20 });
    const pager = open();
    const prefix = uniqueName('race');
    const delivered: RecordedEvent[] = [];
    const sink = collector();
    follower.subscribeToAll(
      async (event) => {
        delivered.push(event);
      },
      { streamPrefix: prefix, onError: sink.onError },
    );
    // A second reader pages through readAll as fast as it can while the appends run.
    const paged: RecordedEvent[] = [];
    let paging = true;
    const pageLoop = (async () => {
      let cursor = 0n;
      while (paging || (await pager.headPosition()) > cursor) {
        const page = await pager.readAll({ fromPosition: cursor, streamPrefix: prefix, limit: 50 });
        for (const event of page) paged.push(event);
        if (page.length > 0) cursor = page[page.length - 1].position;
        else await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    // Holding an append open: a placeholder row with the event id of that append, inserted by another
    // transaction that stays open, makes the append's INSERT wait on the unique index with its
    // position already chosen, until that transaction rolls back.
    await pager.headPosition(); // creates the table
    const admin = await connect();
    const waitingOn = async (event: string) =>
      (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = $1 AND datname = current_database()", [event])).rows[0].n as number;
    const expected: string[] = [];
    const holdOpen = async (i: number, appender: PostgresEventStore) => {
      const holder = await connect();
      const event = newEvent('Held');
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO events (position, event_id, stream_id, revision, type, data, metadata) VALUES ($1, $2, $3, 0, 'P', '{}', '{}')`,
        [-(i + 1), event.eventId, `placeholder-${i}`],
      );
      expected.push(event.eventId);
      return { holder, append: appender.appendToStream(`${prefix}-held-${i}`, [event], 'no_stream') };
    };
    const first = await holdOpen(0, appenders[0]);
    await waitForAsync(async () => (await waitingOn('transactionid')) === 1, 'the first held append waiting at its INSERT');
    const perAppender = 25;
    const others = appenders.map(async (store, a) => {
      for (let n = 0; n < perAppender; n++) {
        const events = [newEvent('E'), newEvent('E')];
        expected.push(...events.map((event) => event.eventId));
        await store.appendToStream(`${prefix}-${a}-${n}`, events, 'no_stream');
      }
    });
    const second = await holdOpen(1, appenders[1]);
    // The other appenders queue behind the held one rather than commit past it.
    await waitForAsync(async () => (await waitingOn('advisory')) >= 4, 'the other appenders queued behind the held append');
    expect(delivered.filter((event) => event.type === 'E')).toEqual([]);
    await first.holder.query('ROLLBACK');
    await first.append;
    await waitForAsync(async () => (await waitingOn('transactionid')) === 1, 'the second held append waiting at its INSERT');
    await second.holder.query('ROLLBACK');
    await Promise.all([second.append, ...others]);
    paging = false;
    await pageLoop;
    await waitFor(() => delivered.length === expected.length, 'every event delivered', 15_000);

    for (const [name, seen] of [
      ['subscription', delivered],
      ['readAll pages', paged],
    ] as const) {
      const positions = seen.map((event) => event.position);
      expect({ name, inOrder: positions.every((position, i) => i === 0 || position > positions[i - 1]) }).toEqual({ name, inOrder: true });
      expect({ name, ids: [...seen.map((event) => event.eventId)].sort() }).toEqual({ name, ids: [...expected].sort() });
    }
    expect(sink.errors).toEqual([]);
    // Gapless: the positions of this database are 1..n.
    expect(delivered.map((event) => event.position)).toEqual(delivered.map((_event, i) => BigInt(i + 1)));
  }, 30_000);

  it('shares the streams between instances: the revision check holds across them', async () => {
    const [a, b] = [open(), open()];
    await a.appendToStream('s-1', [newEvent('A')], 'no_stream');

    await b.appendToStream('s-1', [newEvent('B')], 0n);

    await expect(a.appendToStream('s-1', [newEvent('C')], 0n)).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', actual: 1n });
    expect(await a.readStream('s-1')).toHaveLength(2);
  });

  it('round-trips data and metadata values, non-ASCII text included', async () => {
    const store = open();
    const data = { hint: 'kw_…abcd', name: 'Zoë 東京 😀', nested: { list: [1, 2.5, true, null], big: 9007199254740991 }, quote: '"\\' };
    const metadata = { actor: 'José', requestId: 'req-1' };
    await store.appendToStream('s-1', [newEvent('A', data, metadata)], 'no_stream');

    const [event] = await store.readStream('s-1');

    expect(event.data).toEqual(data);
    expect(event.metadata).toEqual(metadata);
  });

  it('answers unavailable, and records nothing, when the server cannot be reached', async () => {
    const url = new URL(database.url);
    url.port = String(await closedPort());
    const store = new PostgresEventStore(url.toString(), { connectionTimeoutMs: 1000 });
    stores.push(store);

    await expect(store.appendToStream('s-1', [newEvent('A')], 'no_stream')).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(store.readStream('s-1')).rejects.toBeInstanceOf(EventStoreUnavailableError);
  });

  it('refuses an empty append', async () => {
    await expect(open().appendToStream('s-1', [], 'no_stream')).rejects.toBeInstanceOf(RangeError);
  });
});

async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
