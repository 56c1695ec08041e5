import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ADMIN_TOKEN_VERIFIER } from '@keywarden/auth';
import { CLOCK } from '@keywarden/clock';
import { KEYWARDEN_CONFIG } from '@keywarden/config';
import { EVENT_STORE } from '@keywarden/event-store';
import { MESSAGE_BUS } from '@keywarden/messaging';
import { Infrastructure } from '@keywarden/platform';
import { ChangeSettingsHttpController } from './commands/change-settings/change-settings.http.controller';
import { GetSettingsHttpController } from './queries/get-settings/get-settings.http.controller';
import { SETTINGS_RELAY_LOGGER, SettingsRelay } from './relay/settings.relay';
import { SettingsRepository } from './settings/settings.repository';

const commandControllers = [ChangeSettingsHttpController];
const queryControllers = [GetSettingsHttpController];

const settingsProviders: Provider[] = [SettingsRepository];
const relayProviders: Provider[] = [SettingsRelay];

/** Ports bound to the adapters the Infrastructure chose for this process. */
const infrastructureProviders = (infra: Infrastructure): Provider[] => [
  { provide: Infrastructure, useValue: infra },
  { provide: KEYWARDEN_CONFIG, useValue: infra.config },
  { provide: CLOCK, useValue: infra.clock },
  { provide: EVENT_STORE, useFactory: () => infra.eventStore() },
  { provide: MESSAGE_BUS, useFactory: () => infra.messageBus() },
  { provide: SETTINGS_RELAY_LOGGER, useFactory: () => infra.logger('settings').child({ component: 'relay' }) },
  { provide: ADMIN_TOKEN_VERIFIER, useFactory: () => infra.adminTokenVerifier() },
];

@Module({})
export class SettingsModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    return {
      module: SettingsModule,
      controllers: [...commandControllers, ...queryControllers],
      providers: [...infrastructureProviders(infra), ...settingsProviders, ...relayProviders],
    };
  }
}
