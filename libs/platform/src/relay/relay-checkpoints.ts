import { randomUUID } from 'node:crypto';
import { EventStore } from '@keywarden/event-store';

/** Where a relay keeps the position of the last event it published. */
export interface RelayCheckpoints {
  load(): Promise<bigint | undefined>;
  save(position: bigint): Promise<void>;
}

/** The checkpoint stream of a relay; its prefix matches no relayed stream, so no relay publishes checkpoints. */
export const relayCheckpointStream = (relayName: string): string => `relay-checkpoint-${relayName}`;

/**
 * A relay's position, kept in the event store itself: the same durability as the events it
 * follows, and no second store to keep consistent.
 */
export class EventStoreRelayCheckpoints implements RelayCheckpoints {
  constructor(
    private readonly store: EventStore,
    readonly streamId: string,
  ) {}

  async load(): Promise<bigint | undefined> {
    const last = await this.store.readLastEvent(this.streamId);
    if (!last) return undefined;
    return BigInt((last.data as { position: string }).position);
  }

  async save(position: bigint): Promise<void> {
    await this.store.appendToStream(
      this.streamId,
      [{ eventId: randomUUID(), type: 'RelayCheckpointRecorded', data: { position: position.toString() } }],
      'any',
    );
  }
}
