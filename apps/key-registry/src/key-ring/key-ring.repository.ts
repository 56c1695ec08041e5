import { Inject, Injectable } from '@nestjs/common';
import { KeyRingEvent, keyRingStream, parseKeyRingEvent } from '@keywarden/contracts';
import { CommandHandler, EVENT_STORE, EventStore, HandleOptions } from '@keywarden/event-store';
import { currentRequestId } from '@keywarden/observability';
import { decide, fold, KeyRing, KeyRingCommand } from '../domain/key-ring.decider';
import { CHAIN_GENESIS, CHAIN_VERSION, chainOf, chainValue } from './event-chain';

/** `chain`: the last event's chain value, which the next appended event hashes over. */
export type LoadedKeyRing = Readonly<{ ring: KeyRing; revision: bigint | 'no_stream'; chain: string }>;
export type CommandResult = Readonly<{ events: KeyRingEvent[]; ring: KeyRing; revision: bigint | 'no_stream' }>;

/**
 * The key ring on the one command handler, with the chain in each event's metadata. Rings as last
 * loaded or written here are kept, up to about 100 000 keys in all, so a load reads only the
 * events appended since (by another instance, the scheduler).
 */
@Injectable()
export class KeyRingRepository {
  private readonly handler: CommandHandler<KeyRing, KeyRingCommand, KeyRingEvent>;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.handler = new CommandHandler(store, {
      streamId: keyRingStream,
      parse: parseKeyRingEvent,
      fold,
      decide,
      metadata: () => ({ schemaVersion: 1, chainVersion: CHAIN_VERSION, requestId: currentRequestId() }),
      describe: (orgId) => `the keys of organisation ${orgId}`,
      link: {
        genesis: CHAIN_GENESIS,
        of: chainOf,
        next: (previous, event, metadata) => {
          const chain = chainValue(previous, event.type, event.data, metadata);
          return { link: chain, metadata: { ...metadata, chain } };
        },
      },
      cache: { maxSize: 100_000, sizeOf: (ring) => ring.keys.length + 1 },
    });
  }

  async load(orgId: string): Promise<LoadedKeyRing> {
    const { state, revision, link } = await this.handler.load(orgId);
    return { ring: state, revision, chain: link ?? CHAIN_GENESIS };
  }

  async execute(orgId: string, command: KeyRingCommand, options?: HandleOptions): Promise<CommandResult> {
    const { events, state, revision } = await this.handler.handle(orgId, command, options);
    return { events, ring: state, revision };
  }
}
