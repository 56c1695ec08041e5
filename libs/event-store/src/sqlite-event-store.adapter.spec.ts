import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateEventIdError, WrongExpectedRevisionError } from './event-store.port';
import { SqliteEventStore } from './sqlite-event-store.adapter';
import { collector, newEvent, runEventStoreContract, uniqueName, waitFor } from './testing/event-store.contract';

function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kw-event-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

runEventStoreContract('SQLite', async () => {
  const temp = tempDir();
  const store = new SqliteEventStore(join(temp.dir, 'events.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      temp.remove();
    },
  };
});

describe('SqliteEventStore', () => {
  let temp: ReturnType<typeof tempDir>;
  let stores: SqliteEventStore[];

  const open = (path: string, pollIntervalMs?: number) => {
    const store = new SqliteEventStore(path, { pollIntervalMs });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    temp = tempDir();
    stores = [];
  });

  afterEach(async () => {
    for (const store of stores) await store.close();
    temp.remove();
  });

  it('creates the missing folders of its file', async () => {
    const path = join(temp.dir, 'nested', 'deeper', 'events.db');

    await open(path).appendToStream('s-1', [newEvent('A')], 'no_stream');

    expect(existsSync(path)).toBe(true);
  });

  it('keeps its events across close and reopen, and goes on numbering after them', async () => {
    const path = join(temp.dir, 'events.db');
    const first = open(path);
    const stored = await first.appendToStream('s-1', [newEvent('A', { n: 1 }), newEvent('B', { n: 2 })], 'no_stream');
    await first.close();

    const reopened = open(path);
    const events = await reopened.readStream('s-1');
    const next = await reopened.appendToStream('s-2', [newEvent('C')], 'no_stream');

    expect(events.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(events[1].position).toBe(stored.position);
    expect(next.position).toBeGreaterThan(stored.position);
  });

  it('writes data and metadata as ASCII-only JSON text that reads back as the same values', async () => {
    const path = join(temp.dir, 'events.db');
    const data = { hint: 'kw_…abcd', name: 'Zoë 東京 😀', separators: '\u2028\u2029', control: '\u007f\u0080', quote: '"\\' };
    const metadata = { actor: 'José', requestId: 'req-1' };
    await open(path).appendToStream('s-1', [newEvent('A', data, metadata)], 'no_stream');

    const raw = new Database(path, { readonly: true });
    const row = raw.prepare('SELECT data, metadata FROM events').get() as { data: string; metadata: string };
    raw.close();
    expect(row.data).toMatch(/^[\x00-\x7f]*$/);
    expect(row.metadata).toMatch(/^[\x00-\x7f]*$/);
    expect(row.data).toContain('kw_\\u2026abcd');
    const [event] = await open(path).readStream('s-1');
    expect(event.data).toEqual(data);
    expect(event.metadata).toEqual(metadata);
    expect((await open(path).readReplayPage({ limit: 1, metadataFields: ['actor'] }))[0]).toMatchObject({ data, metadata: { actor: 'José' } });
  });

  it('works in memory', async () => {
    const store = open(':memory:');

    await store.appendToStream('s-1', [newEvent('A')], 'no_stream');

    expect(await store.readStream('s-1')).toHaveLength(1);
  });

  it('delivers to a subscription the appends made through another instance on the same file', async () => {
    const path = join(temp.dir, 'events.db');
    const writer = open(path);
    const reader = open(path, 50);
    const prefix = uniqueName('shared');
    const checkpoint = await writer.appendToStream(`${prefix}-1`, [newEvent('Before')], 'no_stream');
    const sink = collector();
    reader.subscribeToAll(sink.handler, { fromPosition: checkpoint.position, streamPrefix: prefix, onError: sink.onError });

    const live = [newEvent('A'), newEvent('B')];
    await writer.appendToStream(`${prefix}-1`, live, 0n);
    await waitFor(() => sink.received.length >= 2, 'the appends of the other instance');

    expect(sink.received.map((event) => event.eventId)).toEqual(live.map((event) => event.eventId));
    expect(sink.errors).toEqual([]);
  });

  it('serialises the revision check across instances on the same file', async () => {
    const path = join(temp.dir, 'events.db');
    const [a, b] = [open(path), open(path)];
    await a.appendToStream('s-1', [newEvent('A')], 'no_stream');

    await b.appendToStream('s-1', [newEvent('B')], 0n);

    await expect(a.appendToStream('s-1', [newEvent('C')], 0n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(await a.readStream('s-1')).toHaveLength(2);
  });

  it('treats a retry with any as idempotent too', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const events = [newEvent('A'), newEvent('B')];
    const original = await store.appendToStream('s-1', events, 'any');

    expect(await store.appendToStream('s-1', events, 'any')).toEqual(original);
    expect(await store.readStream('s-1')).toHaveLength(2);
  });

  it('refuses a retry that names another expected revision than the original', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const events = [newEvent('A')];
    await store.appendToStream('s-1', [newEvent('Zero')], 'no_stream');
    await store.appendToStream('s-1', events, 0n);

    await expect(store.appendToStream('s-1', events, 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(store.appendToStream('s-1', events, 1n)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(await store.readStream('s-1')).toHaveLength(2);
  });

  it.each([
    ['a mix of stored and new ids', (a: string, _b: string) => [a, 'new']],
    ['stored ids in another order', (a: string, b: string) => [b, a]],
    ['a stored id given twice', (a: string) => [a, a]],
  ])('refuses %s and changes nothing', async (_case, pick) => {
    const store = open(join(temp.dir, 'events.db'));
    const events = [newEvent('A'), newEvent('B')];
    await store.appendToStream('s-1', events, 'no_stream');
    const byId = new Map(events.map((event) => [event.eventId, event]));
    const again = pick(events[0].eventId, events[1].eventId).map((id) => byId.get(id) ?? newEvent('New'));

    await expect(store.appendToStream('s-1', again, 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream('s-1')).toHaveLength(2);
  });

  it('refuses stored ids appended to another stream', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const events = [newEvent('A')];
    await store.appendToStream('s-1', events, 'no_stream');

    await expect(store.appendToStream('s-2', events, 'no_stream')).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream('s-2')).toEqual([]);
  });

  it('refuses an empty append', async () => {
    const store = open(join(temp.dir, 'events.db'));

    await expect(store.appendToStream('s-1', [], 'no_stream')).rejects.toBeInstanceOf(RangeError);
  });

  it('lets a handler close its own subscription', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const seen: string[] = [];
    const subscription = store.subscribeToAll(async (event) => {
      seen.push(event.eventId);
      await subscription.close();
    });

    const events = [newEvent('A'), newEvent('B')];
    await store.appendToStream('s-1', events, 'no_stream');
    await waitFor(() => seen.length > 0, 'the first event');
    await subscription.close();

    expect(seen).toEqual([events[0].eventId]);
  });

  it('skips past many filtered-out events and still delivers the matching ones', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const sink = collector();
    store.subscribeToAll(sink.handler, { streamPrefix: 'wanted-', onError: sink.onError });

    for (let n = 0; n < 300; n += 1) await store.appendToStream(`noise-${n}`, [newEvent('Noise')], 'no_stream');
    const wanted = newEvent('Wanted');
    await store.appendToStream('wanted-1', [wanted], 'no_stream');
    await waitFor(() => sink.received.length > 0, 'the wanted event');

    expect(sink.received.map((event) => event.eventId)).toEqual([wanted.eventId]);
  });

  it('stops its subscriptions when the store closes', async () => {
    const store = open(join(temp.dir, 'events.db'));
    const sink = collector();
    store.subscribeToAll(sink.handler, { onError: sink.onError });
    await store.appendToStream('s-1', [newEvent('A')], 'no_stream');
    await waitFor(() => sink.received.length === 1, 'the event');

    await store.close();

    expect(sink.errors).toEqual([]);
    expect(() => store.subscribeToAll(sink.handler)).toThrow(/closed/);
  });
});
