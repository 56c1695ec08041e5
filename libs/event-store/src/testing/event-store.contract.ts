import { randomUUID } from 'node:crypto';
import { EventStore, NewEvent, RecordedEvent, Subscription, WrongExpectedRevisionError } from '../event-store.port';

export type EventStoreFixture = Readonly<{ store: EventStore; cleanup(): Promise<void> }>;

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Names unique per call, so the suite can share one EventStoreDB with other runs. */
export function uniqueName(label: string): string {
  return `${label}-${randomUUID().replace(/-/g, '')}`;
}

export function newEvent(type: string, data: unknown = { n: Math.random() }, metadata?: Record<string, unknown>): NewEvent {
  return { eventId: randomUUID(), type, data, ...(metadata ? { metadata } : {}) };
}

const ids = (events: readonly { eventId: string }[]) => events.map((event) => event.eventId);

/** Collects what a subscription delivers, and anything it reports to onError. */
export function collector() {
  const received: RecordedEvent[] = [];
  const errors: Error[] = [];
  return {
    received,
    errors,
    handler: async (event: RecordedEvent) => {
      received.push(event);
    },
    onError: (error: Error) => {
      errors.push(error);
    },
  };
}

/**
 * The behaviour every EventStore adapter promises. `factory` is called for each test; each test
 * writes to its own streams, so a shared server with other data is fine.
 */
export function runEventStoreContract(name: string, factory: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;
    const subscriptions: Subscription[] = [];

    const subscribe = (...args: Parameters<EventStore['subscribeToAll']>): Subscription => {
      const subscription = store.subscribeToAll(...args);
      subscriptions.push(subscription);
      return subscription;
    };

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
      await fixture.cleanup();
    });

    describe('appendToStream', () => {
      it('creates a stream with no_stream and reads it back in order', async () => {
        const stream = uniqueName('contract');
        const events = [newEvent('Opened', { a: 1 }, { correlationId: 'c-1' }), newEvent('Renamed', { b: [2] })];

        const result = await store.appendToStream(stream, events, 'no_stream');

        const stored = await store.readStream(stream);
        expect(result.nextExpectedRevision).toBe(1n);
        expect(ids(stored)).toEqual(ids(events));
        expect(stored.map((event) => event.revision)).toEqual([0n, 1n]);
        expect(stored[0]).toMatchObject({ streamId: stream, type: 'Opened', data: { a: 1 }, metadata: { correlationId: 'c-1' } });
        expect(stored[1]).toMatchObject({ type: 'Renamed', data: { b: [2] }, metadata: {} });
        expect(typeof stored[0].position).toBe('bigint');
        expect(stored[1].position).toBeGreaterThan(stored[0].position);
        expect(result.position).toBe(stored[1].position);
        expect(stored[0].recordedAt).toBeInstanceOf(Date);
        expect(Number.isNaN(stored[0].recordedAt.getTime())).toBe(false);
      });

      it('appends at the exact expected revision', async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A'), newEvent('B')], 'no_stream');

        const result = await store.appendToStream(stream, [newEvent('C')], 1n);

        expect(result.nextExpectedRevision).toBe(2n);
        expect((await store.readStream(stream)).map((event) => event.type)).toEqual(['A', 'B', 'C']);
      });

      it('reads a stream from a revision on: the events from there, none past its end', async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A'), newEvent('B'), newEvent('C')], 'no_stream');

        expect((await store.readStream(stream, { fromRevision: 1n })).map((event) => [event.type, event.revision])).toEqual([
          ['B', 1n],
          ['C', 2n],
        ]);
        expect(await store.readStream(stream, { fromRevision: 3n })).toEqual([]);
        expect((await store.readStream(stream, { fromRevision: 0n })).map((event) => event.type)).toEqual(['A', 'B', 'C']);
        expect(await store.readStream(uniqueName('missing'), { fromRevision: 1n })).toEqual([]);
      });

      it('appends with any, to a new stream and to an existing one', async () => {
        const stream = uniqueName('contract');

        expect((await store.appendToStream(stream, [newEvent('A')], 'any')).nextExpectedRevision).toBe(0n);
        expect((await store.appendToStream(stream, [newEvent('B')], 'any')).nextExpectedRevision).toBe(1n);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('refuses no_stream on an existing stream and leaves it unchanged', async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A')], 'no_stream');
        const before = await store.readStream(stream);

        const attempt = store.appendToStream(stream, [newEvent('B')], 'no_stream');

        await expect(attempt).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        await expect(attempt).rejects.toMatchObject({
          code: 'WRONG_EXPECTED_REVISION',
          streamId: stream,
          expected: 'no_stream',
          actual: 0n,
        });
        expect(await store.readStream(stream)).toEqual(before);
      });

      it('refuses a stale revision, or a revision on a missing stream, and changes nothing', async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A'), newEvent('B')], 'no_stream');
        const before = await store.readStream(stream);
        const missing = uniqueName('contract-missing');

        await expect(store.appendToStream(stream, [newEvent('C')], 0n)).rejects.toMatchObject({
          code: 'WRONG_EXPECTED_REVISION',
          expected: 0n,
          actual: 1n,
        });
        await expect(store.appendToStream(missing, [newEvent('C')], 0n)).rejects.toMatchObject({
          code: 'WRONG_EXPECTED_REVISION',
          actual: 'no_stream',
        });
        expect(await store.readStream(stream)).toEqual(before);
        expect(await store.readStream(missing)).toEqual([]);
      });

      it('lets exactly one of two concurrent appends at the same revision win', async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A')], 'no_stream');
        const contenders = [newEvent('B'), newEvent('C')];

        const outcomes = await Promise.allSettled(contenders.map((event) => store.appendToStream(stream, [event], 0n)));

        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const losers = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(1);
        expect(losers[0].reason).toBeInstanceOf(WrongExpectedRevisionError);
        const stored = await store.readStream(stream);
        expect(stored).toHaveLength(2);
        expect(contenders[outcomes.indexOf(winners[0])].eventId).toBe(stored[1].eventId);
      });

      it('lets exactly one of two concurrent creations of a stream win', async () => {
        const stream = uniqueName('contract');

        const outcomes = await Promise.allSettled([
          store.appendToStream(stream, [newEvent('A')], 'no_stream'),
          store.appendToStream(stream, [newEvent('B')], 'no_stream'),
        ]);

        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('returns the original result when the same event ids are appended again', async () => {
        const stream = uniqueName('contract');
        const first = [newEvent('A'), newEvent('B')];
        const original = await store.appendToStream(stream, first, 'no_stream');

        expect(await store.appendToStream(stream, first, 'no_stream')).toEqual(original);

        const next = [newEvent('C')];
        const nextResult = await store.appendToStream(stream, next, 1n);
        expect(await store.appendToStream(stream, next, 1n)).toEqual(nextResult);
        // A late retry of the first append, after the stream moved on, is still recognised.
        expect(await store.appendToStream(stream, first, 'no_stream')).toEqual(original);
        expect(ids(await store.readStream(stream))).toEqual(ids([...first, ...next]));
      });
    });

    describe('readStream', () => {
      it('reads a stream that does not exist as empty', async () => {
        expect(await store.readStream(uniqueName('contract-missing'))).toEqual([]);
      });
    });

    describe('readLastEvent', () => {
      it("reads a stream's latest event, and nothing for a missing stream", async () => {
        const stream = uniqueName('contract');
        await store.appendToStream(stream, [newEvent('A'), newEvent('B')], 'no_stream');
        const last = newEvent('C', { n: 3 });
        await store.appendToStream(stream, [last], 1n);

        expect(await store.readLastEvent(stream)).toEqual((await store.readStream(stream))[2]);
        expect(await store.readLastEvent(stream)).toMatchObject({ eventId: last.eventId, revision: 2n, data: { n: 3 } });
        expect(await store.readLastEvent(uniqueName('contract-missing'))).toBeUndefined();
      });
    });

    describe('headPosition', () => {
      it('is the position of the latest recorded event, which no readAll goes past', async () => {
        const before = await store.headPosition();
        const stream = uniqueName('contract');
        const appended = await store.appendToStream(stream, [newEvent('A'), newEvent('B')], 'no_stream');
        const head = await store.headPosition();
        expect(head).toBeGreaterThan(before);
        expect(head).toBeGreaterThanOrEqual(appended.position);
        expect(await store.readAll({ fromPosition: head })).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('reads strictly after a position, in position order, with a limit and a stream prefix', async () => {
        const prefix = uniqueName('contract');
        const other = uniqueName('contract-other');
        const [e0, e1, x, e2, e3] = ['E0', 'E1', 'X', 'E2', 'E3'].map((type) => newEvent(type));
        const start = await store.appendToStream(`${prefix}-a`, [e0], 'no_stream');
        await store.appendToStream(`${prefix}-b`, [e1], 'no_stream');
        await store.appendToStream(other, [x], 'no_stream');
        await store.appendToStream(`${prefix}-a`, [e2, e3], 0n);

        const ours = await store.readAll({ fromPosition: start.position, streamPrefix: prefix });
        expect(ids(ours)).toEqual(ids([e1, e2, e3]));
        expect(ours.map((event) => event.streamId)).toEqual([`${prefix}-b`, `${prefix}-a`, `${prefix}-a`]);
        expect(ours.map((event) => event.revision)).toEqual([0n, 1n, 2n]);

        expect(ids(await store.readAll({ fromPosition: start.position, streamPrefix: prefix, limit: 2 }))).toEqual(ids([e1, e2]));
        expect(ids(await store.readAll({ fromPosition: ours[1].position, streamPrefix: prefix }))).toEqual(ids([e3]));
        expect(ids(await store.readAll({ streamPrefix: prefix }))).toEqual(ids([e0, e1, e2, e3]));

        // Without a prefix other writers' events may interleave: check ours keep their order.
        const mine = new Set(ids([e0, e1, x, e2, e3]));
        const everything = await store.readAll({ fromPosition: start.position });
        expect(ids(everything.filter((event) => mine.has(event.eventId)))).toEqual(ids([e1, x, e2, e3]));
        const positions = everything.map((event) => event.position);
        expect(positions.every((position, i) => position > start.position && (i === 0 || position > positions[i - 1]))).toBe(true);
      });
    });

    describe('readReplayPage', () => {
      it('reads the same events as readAll, with only the metadata fields asked for', async () => {
        const prefix = uniqueName('contract');
        const first = newEvent('E0', { n: 0, text: 'kw_…abcd' }, { requestId: 'req-0', chain: 'c0', flags: { a: [1, true, null] } });
        const second = newEvent('E1', { n: 1 }, { chain: 'c1', count: 7, empty: null });
        const third = newEvent('E2', { n: 2 });
        const before = await store.headPosition();
        await store.appendToStream(`${prefix}-a`, [first], 'no_stream');
        await store.appendToStream(uniqueName('contract-other'), [newEvent('X')], 'no_stream');
        await store.appendToStream(`${prefix}-b`, [second, third], 'no_stream');
        const full = await store.readAll({ fromPosition: before, streamPrefix: prefix });
        const without = ({ streamId, revision, position, type, data }: RecordedEvent) => ({ streamId, revision, position, type, data });

        expect(full.map((event) => event.type)).toEqual(['E0', 'E1', 'E2']);
        const bare = await store.readReplayPage({ fromPosition: before, streamPrefix: prefix, limit: 10 });
        expect(bare).toEqual(full.map((event) => ({ ...without(event), metadata: {} })));

        const picked = await store.readReplayPage({
          fromPosition: before,
          streamPrefix: prefix,
          limit: 10,
          metadataFields: ['requestId', 'flags', 'count', 'empty'],
        });
        expect(picked.map((event) => event.metadata)).toEqual([
          { requestId: 'req-0', flags: { a: [1, true, null] } },
          { count: 7, empty: null },
          {},
        ]);
        expect(picked.map((event) => event.data)).toEqual([{ n: 0, text: 'kw_…abcd' }, { n: 1 }, { n: 2 }]);

        const paged = await store.readReplayPage({ fromPosition: full[0].position, streamPrefix: prefix, limit: 1 });
        expect(paged.map((event) => event.type)).toEqual(['E1']);
      });

      it('refuses a metadata field that is not a plain name', async () => {
        await expect(store.readReplayPage({ limit: 1, metadataFields: ["x') OR 1=1 --"] })).rejects.toThrow(/not a plain name/);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers the events after a checkpoint, then keeps delivering live appends', async () => {
        const prefix = uniqueName('contract');
        const [e0, e1, e2, e3] = ['E0', 'E1', 'E2', 'E3'].map((type) => newEvent(type));
        const checkpoint = await store.appendToStream(`${prefix}-s`, [e0], 'no_stream');
        await store.appendToStream(`${prefix}-s`, [e1], 0n);
        const sink = collector();

        subscribe(sink.handler, { fromPosition: checkpoint.position, streamPrefix: prefix, onError: sink.onError });
        await waitFor(() => sink.received.length >= 1, 'the stored event after the checkpoint');
        await store.appendToStream(uniqueName('contract-other'), [newEvent('Elsewhere')], 'no_stream');
        await store.appendToStream(`${prefix}-s`, [e2], 1n);
        await store.appendToStream(`${prefix}-t`, [e3], 'no_stream');
        await waitFor(() => sink.received.length >= 3, 'the live appends');

        expect(ids(sink.received)).toEqual(ids([e1, e2, e3]));
        expect(sink.errors).toEqual([]);
      });

      it('delivers from the start when no checkpoint is given', async () => {
        const prefix = uniqueName('contract');
        const events = [newEvent('A'), newEvent('B')];
        await store.appendToStream(`${prefix}-1`, events, 'no_stream');
        const sink = collector();

        subscribe(sink.handler, { streamPrefix: prefix, onError: sink.onError });
        await waitFor(() => sink.received.length >= 2, 'both stored events');

        expect(ids(sink.received)).toEqual(ids(events));
      });

      it('delivers one event at a time, awaiting the handler, in position order', async () => {
        const prefix = uniqueName('contract');
        const received: RecordedEvent[] = [];
        let running = 0;
        let overlapped = false;
        subscribe(
          async (event) => {
            running += 1;
            overlapped ||= running > 1;
            await new Promise((resolve) => setTimeout(resolve, 1));
            received.push(event);
            running -= 1;
          },
          { streamPrefix: prefix },
        );

        await Promise.all(
          [1, 2, 3, 4].map((n) => store.appendToStream(`${prefix}-${n}`, [newEvent('A'), newEvent('B')], 'no_stream')),
        );
        await waitFor(() => received.length >= 8, 'eight events');

        expect(overlapped).toBe(false);
        expect(received).toHaveLength(8);
        const positions = received.map((event) => event.position);
        expect(positions.every((position, i) => i === 0 || position > positions[i - 1])).toBe(true);
      });

      it('stops at the first handler error and reports it to onError', async () => {
        const prefix = uniqueName('contract');
        const failure = new Error('projection broke');
        const errors: Error[] = [];
        let calls = 0;
        const subscription = subscribe(
          async () => {
            calls += 1;
            throw failure;
          },
          { streamPrefix: prefix, onError: (error) => errors.push(error) },
        );

        await store.appendToStream(`${prefix}-1`, [newEvent('A'), newEvent('B')], 'no_stream');
        await waitFor(() => errors.length > 0, 'the handler error');
        await subscription.close();

        expect(errors).toEqual([failure]);
        expect(calls).toBe(1);
      });

      it('calls the handler no more once close() has resolved', async () => {
        const prefix = uniqueName('contract');
        const closed = collector();
        const witness = collector();
        const subscription = subscribe(closed.handler, { streamPrefix: prefix, onError: closed.onError });
        await store.appendToStream(`${prefix}-1`, [newEvent('A')], 'no_stream');
        await waitFor(() => closed.received.length === 1, 'the first event');

        await subscription.close();
        const later = await store.appendToStream(`${prefix}-2`, [newEvent('B')], 'no_stream');
        subscribe(witness.handler, { streamPrefix: prefix, onError: witness.onError });
        // Once a fresh subscription has seen the later event, the closed one had its chance too.
        await waitFor(() => witness.received.some((event) => event.position === later.position), 'the later event');

        expect(closed.received).toHaveLength(1);
        expect(closed.errors).toEqual([]);
      });
    });
  });
}
