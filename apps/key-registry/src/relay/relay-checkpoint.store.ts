import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';

/** Not a key-ring stream, so the relay never publishes its own checkpoints. */
export const RELAY_CHECKPOINT_STREAM = 'relay-checkpoint-key-lifecycle';

/**
 * The relay's position, kept in the event store itself: the same durability as the events it
 * follows, and no second store to keep consistent.
 */
@Injectable()
export class RelayCheckpointStore {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async load(): Promise<bigint | undefined> {
    const last = await this.store.readLastEvent(RELAY_CHECKPOINT_STREAM);
    if (!last) return undefined;
    return BigInt((last.data as { position: string }).position);
  }

  async save(position: bigint): Promise<void> {
    await this.store.appendToStream(
      RELAY_CHECKPOINT_STREAM,
      [{ eventId: randomUUID(), type: 'RelayCheckpointRecorded', data: { position: position.toString() } }],
      'any',
    );
  }
}
