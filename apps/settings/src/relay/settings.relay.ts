import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { orgSettingsMessage, parseSettingsEvent, SETTINGS_STREAM_PREFIX, Topics } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, RecordedEvent } from '@keywarden/event-store';
import { MESSAGE_BUS, MessageBus, OutgoingMessage } from '@keywarden/messaging';
import {
  Campaign,
  causationIdOf,
  EventStoreRelay,
  EventStoreRelayCheckpoints,
  LEADER_ELECTION,
  LeaderElection,
  relayCheckpointStream,
  requestIdOf,
} from '@keywarden/platform';
import { fold } from '../domain/settings.decider';

export const SETTINGS_RELAY_LOGGER = Symbol('SETTINGS_RELAY_LOGGER');

/**
 * Publishes every settings change to the compacted settings topic: key = organisation, value =
 * its full settings as they stood after that change, so the latest message of a key is all a
 * consumer needs and a consumer that starts later reads the topic from the beginning.
 * Runs only in the settings process that holds the `settings-relay` role.
 */
@Injectable()
export class SettingsRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: EventStoreRelay;
  private campaign?: Campaign;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MESSAGE_BUS) bus: MessageBus,
    @Inject(SETTINGS_RELAY_LOGGER) logger: Logger,
    @Optional() @Inject(LEADER_ELECTION) private readonly election?: LeaderElection,
  ) {
    this.relay = new EventStoreRelay(store, bus, new EventStoreRelayCheckpoints(store, relayCheckpointStream('settings')), logger, {
      name: 'settings',
      streamPrefix: SETTINGS_STREAM_PREFIX,
      topics: [{ topic: Topics.settings, compacted: true }],
      refillWhenEmpty: Topics.settings,
      messagesFor: (event, orgId) => this.messagesFor(event, orgId),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.election) return this.relay.start();
    this.campaign = await this.election.campaign('settings-relay', { lead: () => this.relay.start(), stepDown: () => this.relay.stop() });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.campaign) return this.campaign.resign();
    await this.relay.stop();
  }

  /** The settings as of this event's revision, not the latest: a republish after a crash never runs ahead. */
  private async messagesFor(event: RecordedEvent, orgId: string): Promise<OutgoingMessage[]> {
    const history = (await this.store.readStream(event.streamId)).filter((e) => e.revision <= event.revision);
    const { settings } = fold(history.map((e) => parseSettingsEvent(e.type, e.data)));
    return [
      orgSettingsMessage({
        orgId,
        settings,
        id: event.eventId,
        streamRevision: Number(event.revision),
        time: event.recordedAt.toISOString(),
        correlationId: requestIdOf(event),
        causationId: causationIdOf(event),
      }),
    ];
  }
}
