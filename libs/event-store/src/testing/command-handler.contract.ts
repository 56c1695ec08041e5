import { CommandHandler, CommandHandlerOptions, ConcurrentChangeError } from '../command-handler';
import { EventStore } from '../event-store.port';
import { newEvent, uniqueName } from './event-store.contract';

/**
 * A store for the handler's contract, and a second connection to the same data (another process):
 * `second()` may return the same store when the adapter has no second connection (in memory).
 */
export type CommandHandlerFixture = Readonly<{ store: EventStore; second(): EventStore; cleanup(): Promise<void> }>;

// A counter that may not go above its limit: small enough to see each step of the handler.
type Added = Readonly<{ type: 'Added'; data: { by: number } }>;
type Add = Readonly<{ type: 'Add'; by: number; limit: number }>;

const counter = (overrides: Partial<CommandHandlerOptions<number, Add, Added>> = {}): CommandHandlerOptions<number, Add, Added> => ({
  streamId: (id) => `counter-${id}`,
  parse: (type, data) => {
    if (type !== 'Added') throw new Error(`unknown event ${type}`);
    return { type, data: data as Added['data'] };
  },
  fold: (events, from = 0) => events.reduce((total, e) => total + e.data.by, from),
  decide: (command, total) => {
    if (total + command.by > command.limit) throw Object.assign(new Error(`over the limit at ${total}`), { code: 'OVER_LIMIT' });
    return command.by === 0 ? [] : [{ type: 'Added', data: { by: command.by } }];
  },
  metadata: () => ({ schemaVersion: 1 }),
  describe: (id) => `the counter ${id}`,
  ...overrides,
});

const add = (by: number, limit = 100): Add => ({ type: 'Add', by, limit });

/**
 * The behaviour the one command handler promises on any EventStore adapter: read, fold, decide,
 * append with the expected revision; conflicts refused or retried on fresh state; the link and
 * cache hooks. Each test writes its own stream, so a shared server is fine.
 */
export function runCommandHandlerContract(name: string, open: () => CommandHandlerFixture): void {
  describe(`CommandHandler contract: ${name}`, () => {
    let fixture: CommandHandlerFixture;
    let id: string;
    let readStream: EventStore['readStream'];
    beforeEach(() => {
      fixture = open();
      id = uniqueName('c');
      readStream = fixture.store.readStream.bind(fixture.store);
    });
    afterEach(async () => {
      jest.restoreAllMocks();
      await fixture.cleanup();
    });

    /** Appends `by` to the stream behind the handler's back, once, on its next read. */
    const raceOnNextRead = (store: EventStore, by: number) =>
      jest.spyOn(store, 'readStream').mockImplementationOnce(async (streamId, options) => {
        const events = await readStream(streamId, options);
        await fixture.second().appendToStream(streamId, [newEvent('Added', { by })], 'any');
        return events;
      });

    it('reads, folds, decides and appends with the expected revision, with the metadata asked for', async () => {
      const handler = new CommandHandler(fixture.store, counter());
      expect(await handler.handle(id, add(2))).toEqual({ events: [{ type: 'Added', data: { by: 2 } }], state: 2, revision: 0n });
      expect(await handler.handle(id, add(3))).toMatchObject({ state: 5, revision: 1n });
      const recorded = await fixture.store.readStream(`counter-${id}`);
      expect(recorded.map((e) => [e.revision, e.data, e.metadata])).toEqual([
        [0n, { by: 2 }, { schemaVersion: 1, causationId: expect.any(String), command: 'Add' }],
        [1n, { by: 3 }, { schemaVersion: 1, causationId: expect.any(String), command: 'Add' }],
      ]);
      expect(recorded[0].metadata.causationId).not.toBe(recorded[1].metadata.causationId);
      expect(await handler.load(id)).toEqual({ state: 5, revision: 1n, link: null });
    });

    it('appends nothing when the decision is empty, and nothing when the decider refuses', async () => {
      const handler = new CommandHandler(fixture.store, counter());
      expect(await handler.handle(id, add(0))).toEqual({ events: [], state: 0, revision: 'no_stream' });
      await handler.handle(id, add(4, 5));
      await expect(handler.handle(id, add(4, 5))).rejects.toMatchObject({ code: 'OVER_LIMIT' });
      expect(await fixture.store.readStream(`counter-${id}`)).toHaveLength(1);
    });

    it('refuses a decision another writer raced with CONCURRENT_CHANGE and a message to retry; only the other write is stored', async () => {
      const handler = new CommandHandler(fixture.store, counter());
      await handler.handle(id, add(1));
      raceOnNextRead(fixture.store, 10);
      const refused = handler.handle(id, add(2));
      await expect(refused).rejects.toBeInstanceOf(ConcurrentChangeError);
      await expect(refused).rejects.toMatchObject({ code: 'CONCURRENT_CHANGE', message: expect.stringMatching(/^the counter c-\w+ were changed .*; reload and retry$/) });
      expect((await fixture.store.readStream(`counter-${id}`)).map((e) => e.data)).toEqual([{ by: 1 }, { by: 10 }]);
    });

    it('with attempts, decides again on the fresh stream after a conflict', async () => {
      const handler = new CommandHandler(fixture.store, counter());
      raceOnNextRead(fixture.store, 10);
      expect(await handler.handle(id, add(2), { attempts: 2 })).toMatchObject({ state: 12, revision: 1n });
      // The second decision sees the racer's event: now over the limit, it is refused, not conflicted.
      raceOnNextRead(fixture.store, 80);
      await expect(handler.handle(id, add(20), { attempts: 3 })).rejects.toMatchObject({ code: 'OVER_LIMIT' });
      expect((await fixture.store.readStream(`counter-${id}`)).map((e) => e.data)).toEqual([{ by: 10 }, { by: 2 }, { by: 80 }]);
    });

    it('gives up after its attempts, each of which lost a race', async () => {
      const handler = new CommandHandler(fixture.store, counter());
      for (let i = 0; i < 3; i++) raceOnNextRead(fixture.store, 1);
      await expect(handler.handle(id, add(2), { attempts: 3 })).rejects.toMatchObject({ code: 'CONCURRENT_CHANGE' });
      expect((await fixture.store.readStream(`counter-${id}`)).map((e) => e.data)).toEqual([{ by: 1 }, { by: 1 }, { by: 1 }]);
    });

    it('links each event to the one before it through the hook, across handlers on the same store', async () => {
      const link = {
        genesis: 'genesis',
        of: (metadata: Readonly<Record<string, unknown>>) => (typeof metadata.link === 'string' ? metadata.link : null),
        next: (previous: string, event: { data: unknown }, metadata: Readonly<Record<string, unknown>>) => {
          const next = `${previous}+${(event.data as Added['data']).by}`;
          return { link: next, metadata: { ...metadata, link: next } };
        },
      };
      const first = new CommandHandler(fixture.store, counter({ link }));
      const second = new CommandHandler(fixture.second(), counter({ link, decide: (c) => [{ type: 'Added', data: { by: c.by } }, { type: 'Added', data: { by: 1 } }] }));
      expect((await first.load(id)).link).toBe('genesis');
      await first.handle(id, add(2));
      await second.handle(id, add(3));
      await first.handle(id, add(4));
      const links = (await fixture.store.readStream(`counter-${id}`)).map((e) => e.metadata.link);
      expect(links).toEqual(['genesis+2', 'genesis+2+3', 'genesis+2+3+1', 'genesis+2+3+1+4']);
      expect((await second.load(id)).link).toBe('genesis+2+3+1+4');
    });

    it('with a cache, a load reads only what was appended since, by this handler or another', async () => {
      const cached = new CommandHandler(fixture.store, counter({ cache: { maxSize: 100, sizeOf: () => 1 } }));
      const other = new CommandHandler(fixture.second(), counter());
      await cached.handle(id, add(1));
      await other.handle(id, add(2));
      const reads = jest.spyOn(fixture.store, 'readStream');
      expect(await cached.load(id)).toMatchObject({ state: 3, revision: 1n });
      expect(await cached.handle(id, add(4))).toMatchObject({ state: 7, revision: 2n });
      expect(reads.mock.calls.map(([, options]) => options?.fromRevision)).toEqual([1n, 2n]);
    });
  });
}
