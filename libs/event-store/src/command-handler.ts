import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { EventStore, RecordedEvent, WrongExpectedRevisionError } from './event-store.port';

export type DomainEvent = Readonly<{ type: string; data: unknown }>;
export type StreamRevision = bigint | 'no_stream';
export type EventMetadata = Readonly<Record<string, unknown>>;

/** A stream as last read: its folded state, its revision, and the link its last event carries. */
export type LoadedStream<State> = Readonly<{ state: State; revision: StreamRevision; link: string | null }>;

export type HandledCommand<State, Event> = Readonly<{ events: Event[]; state: State; revision: StreamRevision }>;

/**
 * Links each appended event to the one before it through its metadata (the key ring's tamper
 * evidence chain). The expected revision guards the link too: a concurrent append moves the head.
 */
export type EventLink = Readonly<{
  /** The link before a stream's first event. */
  genesis: string;
  /** The link a recorded event carries, null when it carries none. */
  of(metadata: EventMetadata): string | null;
  /** The next event's link over `previous`, and its metadata carrying it. */
  next(previous: string, event: DomainEvent, metadata: EventMetadata): Readonly<{ link: string; metadata: EventMetadata }>;
}>;

export type CommandHandlerOptions<State, Command extends Readonly<{ type: string }>, Event extends DomainEvent> = Readonly<{
  streamId(id: string): string;
  /** A recorded event back into the domain's union (validated at the boundary). */
  parse(type: string, data: unknown): Event;
  /** `events` folded over `from`, or over the initial state when `from` is undefined. */
  fold(events: readonly Event[], from?: State): State;
  decide(command: Command, state: State): readonly Event[];
  /** The metadata every event of one decision is appended with, besides its causation id and the command's type. */
  metadata(command: Command): EventMetadata;
  /** Who lost a race, in the words of the 409 ("the keys of organisation org_1"). */
  describe(id: string): string;
  link?: EventLink;
  /**
   * Keep the streams last read or written here, up to `maxSize` in all, so a load reads only the
   * events appended since (by anyone): a stream's history, which only grows, is folded once per process.
   */
  cache?: Readonly<{ maxSize: number; sizeOf(state: State): number }>;
}>;

export type HandleOptions = Readonly<{
  /**
   * Attempts in all when another writer appends first: each one reads the stream afresh and
   * decides again, so a command that is still valid goes through and one that is not is refused.
   * @default 1 (the conflict is the caller's to report)
   */
  attempts?: number;
}>;

/** Attempts a background writer (the scheduler, the reveal audit record) makes before giving up. */
export const CONFLICT_ATTEMPTS = 5;

/** Two writers changed the same stream at once; the loser reloads and retries (the API answers 409). */
export class ConcurrentChangeError extends Error {
  readonly code = 'CONCURRENT_CHANGE';
  constructor(what: string) {
    super(`${what} were changed by another request at the same time; reload and retry`);
  }
}

/**
 * The one command handler (STYLE.md §7, Emmett's CommandHandler): read the stream, fold, decide,
 * append with the expected revision. A concurrent append makes the store refuse ours, so exactly
 * one of two racing commands wins and no update is lost.
 */
export class CommandHandler<State, Command extends Readonly<{ type: string }>, Event extends DomainEvent> {
  private readonly loaded?: LRUCache<string, LoadedStream<State>>;

  constructor(
    private readonly store: EventStore,
    private readonly options: CommandHandlerOptions<State, Command, Event>,
  ) {
    const cache = options.cache;
    if (cache) this.loaded = new LRUCache({ maxSize: cache.maxSize, sizeCalculation: (loaded) => cache.sizeOf(loaded.state) });
  }

  async load(id: string): Promise<LoadedStream<State>> {
    const known = this.loaded?.get(id);
    const fromRevision = known === undefined || known.revision === 'no_stream' ? 0n : known.revision + 1n;
    const recorded = await this.store.readStream(this.options.streamId(id), { fromRevision });
    if (known !== undefined && recorded.length === 0) return known;
    const last: RecordedEvent | undefined = recorded[recorded.length - 1];
    const loaded: LoadedStream<State> = {
      state: this.options.fold(
        recorded.map((e) => this.options.parse(e.type, e.data)),
        known?.state,
      ),
      revision: last === undefined ? 'no_stream' : last.revision,
      link: last === undefined ? this.genesis() : (this.options.link?.of(last.metadata) ?? this.genesis()),
    };
    this.loaded?.set(id, loaded);
    return loaded;
  }

  async handle(id: string, command: Command, { attempts = 1 }: HandleOptions = {}): Promise<HandledCommand<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.handleOnce(id, command);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError) || attempt >= attempts) throw error;
      }
    }
  }

  private async handleOnce(id: string, command: Command): Promise<HandledCommand<State, Event>> {
    const { state, revision, link } = await this.load(id);
    const events = [...this.options.decide(command, state)];
    if (events.length === 0) return { events, state, revision };
    // One causation id for the events of one decision, so a reader can tell them apart from the next.
    const metadata: EventMetadata = { ...this.options.metadata(command), causationId: randomUUID(), command: command.type };
    let previous = link;
    const appending = events.map((event) => {
      let eventMetadata = metadata;
      if (this.options.link && previous !== null) ({ link: previous, metadata: eventMetadata } = this.options.link.next(previous, event, metadata));
      return { eventId: randomUUID(), type: event.type, data: event.data, metadata: eventMetadata };
    });
    try {
      const appended = await this.store.appendToStream(this.options.streamId(id), appending, revision);
      const written: LoadedStream<State> = { state: this.options.fold(events, state), revision: appended.nextExpectedRevision, link: previous };
      this.loaded?.set(id, written);
      return { events, state: written.state, revision: written.revision };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw new ConcurrentChangeError(this.options.describe(id));
      throw error;
    }
  }

  private genesis(): string | null {
    return this.options.link?.genesis ?? null;
  }
}
