import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';
import { EventStoreRelayCheckpoints, relayCheckpointStream } from '@keywarden/platform';

/** Not a key-ring stream, so the relay never publishes its own checkpoints. */
export const RELAY_CHECKPOINT_STREAM = relayCheckpointStream('key-lifecycle');

/** The lifecycle relay's position, kept in the event store itself (see EventStoreRelayCheckpoints). */
@Injectable()
export class RelayCheckpointStore extends EventStoreRelayCheckpoints {
  constructor(@Inject(EVENT_STORE) store: EventStore) {
    super(store, RELAY_CHECKPOINT_STREAM);
  }
}
