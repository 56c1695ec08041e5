import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { envelopeToHeaders, KEY_RING_SCHEMA_VERSION, KEY_RING_STREAM_PREFIX, Topics } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, RecordedEvent } from '@keywarden/event-store';
import { MESSAGE_BUS, MessageBus, OutgoingMessage } from '@keywarden/messaging';
import { Campaign, causationIdOf, EventStoreRelay, EventStoreRelayOptions, LEADER_ELECTION, LeaderElection, RelayRoute, requestIdOf } from '@keywarden/platform';
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
 * With an election, it runs only in the process that holds the `key-lifecycle-relay` role; a
 * successor resumes from the checkpoint the last leader saved.
 */
@Injectable()
export class KeyLifecycleRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: EventStoreRelay;
  private campaign?: Campaign;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(MESSAGE_BUS) bus: MessageBus,
    checkpoints: RelayCheckpointStore,
    @Inject(RELAY_LOGGER) logger: Logger,
    @Optional() @Inject(RELAY_OPTIONS) options?: RelayOptions,
    @Optional() @Inject(LEADER_ELECTION) private readonly election?: LeaderElection,
  ) {
    this.relay = new EventStoreRelay(store, bus, checkpoints, logger, keyLifecycleRoute, options);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.election) return this.start();
    this.campaign = await this.election.campaign('key-lifecycle-relay', { lead: () => this.start(), stepDown: () => this.stop() });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.campaign) return this.campaign.resign();
    await this.stop();
  }

  isLeader(): boolean {
    return this.campaign?.isLeader() ?? true;
  }

  start(): Promise<void> {
    return this.relay.start();
  }

  stop(): Promise<void> {
    return this.relay.stop();
  }
}
