import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { KeyRingEvent, keyRingStream, parseKeyRingEvent } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, WrongExpectedRevisionError } from '@keywarden/event-store';
import { currentRequestId } from '@keywarden/observability';
import { decide, fold, KeyRing, KeyRingCommand } from '../domain/key-ring.decider';
import { CHAIN_GENESIS, CHAIN_VERSION, chainOf, chainValue } from './event-chain';

/** `chain`: the last event's chain value, which the next appended event hashes over. */
export type LoadedKeyRing = Readonly<{ ring: KeyRing; revision: bigint | 'no_stream'; chain: string }>;
export type CommandResult = Readonly<{ events: KeyRingEvent[]; ring: KeyRing; revision: bigint | 'no_stream' }>;

/** Two admins changed the same ring at once; the loser retries with fresh state. */
export class ConcurrentChangeError extends Error {
  readonly code = 'CONCURRENT_CHANGE';
  constructor(orgId: string) {
    super(`the keys of organisation ${orgId} were changed by another request at the same time; reload and retry`);
  }
}

/**
 * The one command handler (STYLE.md §7): read the ring, fold, decide, append with the expected
 * revision. A concurrent append makes the store refuse ours, so exactly one of two racing
 * commands wins and no update is lost.
 */
@Injectable()
export class KeyRingRepository {
  /**
   * Rings as last loaded or written here, up to about 100 000 keys in all: a load reads only the
   * events appended since (by anyone: another instance, the scheduler), so a ring's stored
   * history, which only grows, is read and folded once per process instead of at every request.
   */
  private readonly loaded = new LRUCache<string, LoadedKeyRing>({ maxSize: 100_000, sizeCalculation: (loaded) => loaded.ring.keys.length + 1 });

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async load(orgId: string): Promise<LoadedKeyRing> {
    const known = this.loaded.get(orgId);
    const fromRevision = known === undefined || known.revision === 'no_stream' ? 0n : known.revision + 1n;
    const recorded = await this.store.readStream(keyRingStream(orgId), { fromRevision });
    if (known !== undefined && recorded.length === 0) return known;
    const events = recorded.map((e) => parseKeyRingEvent(e.type, e.data));
    const last = recorded[recorded.length - 1];
    const ring: LoadedKeyRing = {
      ring: fold(events, known?.ring),
      revision: last === undefined ? 'no_stream' : last.revision,
      chain: last === undefined ? CHAIN_GENESIS : (chainOf(last.metadata) ?? CHAIN_GENESIS),
    };
    this.loaded.set(orgId, ring);
    return ring;
  }

  async execute(orgId: string, command: KeyRingCommand): Promise<CommandResult> {
    const { ring, revision, chain } = await this.load(orgId);
    const events = decide(command, ring);
    if (events.length === 0) return { events, ring, revision };
    const requestId = currentRequestId();
    const causationId = randomUUID();
    let previous = chain;
    const chained = events.map((event) => {
      const metadata = { schemaVersion: 1, chainVersion: CHAIN_VERSION, requestId, causationId, command: command.type };
      previous = chainValue(previous, event.type, event.data, metadata);
      return { event, metadata: { ...metadata, chain: previous } };
    });
    try {
      // The expected revision also guards the chain: a concurrent append would have moved its head.
      const appended = await this.store.appendToStream(
        keyRingStream(orgId),
        chained.map(({ event, metadata }) => ({ eventId: randomUUID(), type: event.type, data: event.data, metadata })),
        revision,
      );
      const written: LoadedKeyRing = { ring: fold(events, ring), revision: appended.nextExpectedRevision, chain: previous };
      this.loaded.set(orgId, written);
      return { events, ring: written.ring, revision: written.revision };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw new ConcurrentChangeError(orgId);
      throw error;
    }
  }
}
