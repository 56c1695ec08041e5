import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parseSettingsEvent, SETTINGS_SCHEMA_VERSION, settingsStream } from '@keywarden/contracts';
import { EVENT_STORE, EventStore, WrongExpectedRevisionError } from '@keywarden/event-store';
import { currentRequestId } from '@keywarden/observability';
import { decide, fold, SettingsCommand, SettingsState } from '../domain/settings.decider';

export type LoadedSettings = Readonly<{ state: SettingsState; revision: bigint | 'no_stream' }>;
export type SettingsCommandResult = Readonly<{ state: SettingsState; changed: boolean }>;

/** Two changes of one organisation's settings raced; the loser retries with fresh state. */
export class ConcurrentSettingsChangeError extends Error {
  readonly code = 'CONCURRENT_CHANGE';
  constructor(orgId: string) {
    super(`the settings of organisation ${orgId} were changed by another request at the same time; reload them and retry`);
  }
}

/**
 * The one command handler (STYLE.md §7): read the organisation's settings stream, fold, decide,
 * append with the expected revision, so of two racing changes exactly one is recorded.
 */
@Injectable()
export class SettingsRepository {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async load(orgId: string): Promise<LoadedSettings> {
    const recorded = await this.store.readStream(settingsStream(orgId));
    const events = recorded.map((e) => parseSettingsEvent(e.type, e.data));
    return { state: fold(events), revision: recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision };
  }

  async execute(orgId: string, command: SettingsCommand): Promise<SettingsCommandResult> {
    const { state, revision } = await this.load(orgId);
    const events = decide(command, state);
    if (events.length === 0) return { state, changed: false };
    const causationId = randomUUID();
    try {
      await this.store.appendToStream(
        settingsStream(orgId),
        events.map((event) => ({
          eventId: randomUUID(),
          type: event.type,
          data: event.data,
          metadata: { schemaVersion: SETTINGS_SCHEMA_VERSION, requestId: currentRequestId(), causationId, command: command.type },
        })),
        revision,
      );
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw new ConcurrentSettingsChangeError(orgId);
      throw error;
    }
    return { state: fold(events, state), changed: true };
  }
}
