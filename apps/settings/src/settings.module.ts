import { DynamicModule, Module, Provider } from '@nestjs/common';
import { coreProviders, Infrastructure } from '@keywarden/platform';
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
  ...coreProviders(infra),
  { provide: SETTINGS_RELAY_LOGGER, useFactory: () => infra.logger('settings').child({ component: 'relay' }) },
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
