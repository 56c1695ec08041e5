import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
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
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async load(orgId: string): Promise<LoadedKeyRing> {
    const recorded = await this.store.readStream(keyRingStream(orgId));
    const events = recorded.map((e) => parseKeyRingEvent(e.type, e.data));
    const last = recorded[recorded.length - 1];
    return {
      ring: fold(events),
      revision: last === undefined ? 'no_stream' : last.revision,
      chain: last === undefined ? CHAIN_GENESIS : (chainOf(last.metadata) ?? CHAIN_GENESIS),
    };
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
      return { events, ring: fold(events, ring), revision: appended.nextExpectedRevision };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw new ConcurrentChangeError(orgId);
      throw error;
    }
  }
}
