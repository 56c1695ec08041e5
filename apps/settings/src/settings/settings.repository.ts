import { Inject, Injectable } from '@nestjs/common';
import { parseSettingsEvent, SETTINGS_SCHEMA_VERSION, SettingsEvent, settingsStream } from '@keywarden/contracts';
import { CommandHandler, EVENT_STORE, EventStore } from '@keywarden/event-store';
import { currentRequestId } from '@keywarden/observability';
import { decide, fold, SettingsCommand, SettingsState } from '../domain/settings.decider';

export type LoadedSettings = Readonly<{ state: SettingsState; revision: bigint | 'no_stream' }>;
export type SettingsCommandResult = Readonly<{ state: SettingsState; changed: boolean }>;

/** An organisation's settings stream on the one command handler: of two racing changes exactly one is recorded. */
@Injectable()
export class SettingsRepository {
  private readonly handler: CommandHandler<SettingsState, SettingsCommand, SettingsEvent>;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.handler = new CommandHandler(store, {
      streamId: settingsStream,
      parse: parseSettingsEvent,
      fold,
      decide,
      metadata: () => ({ schemaVersion: SETTINGS_SCHEMA_VERSION, requestId: currentRequestId() }),
      describe: (orgId) => `the settings of organisation ${orgId}`,
    });
  }

  async load(orgId: string): Promise<LoadedSettings> {
    const { state, revision } = await this.handler.load(orgId);
    return { state, revision };
  }

  async execute(orgId: string, command: SettingsCommand): Promise<SettingsCommandResult> {
    const { events, state } = await this.handler.handle(orgId, command);
    return { state, changed: events.length > 0 };
  }
}
