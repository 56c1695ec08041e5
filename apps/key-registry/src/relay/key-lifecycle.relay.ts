import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { envelopeToHeaders, KEY_RING_SCHEMA_VERSION, KEY_RING_STREAM_PREFIX, Topics } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, RecordedEvent } from '@keywarden/event-store';
import { MESSAGE_BUS, MessageBus, OutgoingMessage } from '@keywarden/messaging';
import { causationIdOf, EventStoreRelay, EventStoreRelayOptions, RelayRoute, requestIdOf } from '@keywarden/platform';
import { RELAY_LOGGER, RELAY_OPTIONS } from './relay.tokens';
import { RelayCheckpointStore } from './relay-checkpoint.store';

export type RelayOptions = EventStoreRelayOptions;

/** Each key-ring event becomes one lifecycle message: its data as the value, the envelope in headers. */
export const keyLifecycleRoute: RelayRoute = {
  name: 'key-lifecycle',
  streamPrefix: KEY_RING_STREAM_PREFIX,
  topics: [{ topic: Topics.keyLifecycle }],
  messagesFor: async (event: RecordedEvent, orgId: string): Promise<OutgoingMessage[]> => [
    {
      topic: Topics.keyLifecycle,
      key: orgId,
      value: JSON.stringify(event.data),
      headers: envelopeToHeaders({
        id: event.eventId,
        type: event.type,
        source: 'keywarden/key-registry',
        schemaVersion: KEY_RING_SCHEMA_VERSION,
        orgId,
        streamId: event.streamId,
        streamRevision: Number(event.revision),
        time: event.recordedAt.toISOString(),
        correlationId: requestIdOf(event),
        causationId: causationIdOf(event),
      }),
    },
  ],
};

/**
 * Publishes every key-ring event to Kafka through the shared store-to-bus relay
 * (libs/platform `EventStoreRelay`): from a durable checkpoint, at least once, in order, resuming
 * after a broker outage. Consumers de-duplicate on the ring revision or event id in the headers.
 */
@Injectable()
export class KeyLifecycleRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: EventStoreRelay;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(MESSAGE_BUS) bus: MessageBus,
    checkpoints: RelayCheckpointStore,
    @Inject(RELAY_LOGGER) logger: Logger,
    @Optional() @Inject(RELAY_OPTIONS) options?: RelayOptions,
  ) {
    this.relay = new EventStoreRelay(store, bus, checkpoints, logger, keyLifecycleRoute, options);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): Promise<void> {
    return this.relay.start();
  }

  stop(): Promise<void> {
    return this.relay.stop();
  }
}
