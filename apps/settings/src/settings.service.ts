import { createHttpApp, Infrastructure, RunningService } from '@keywarden/platform';
import { SETTINGS_STATUS_BY_CODE } from './settings/settings.http';
import { SettingsModule } from './settings.module';

export async function startSettings(infra: Infrastructure): Promise<RunningService> {
  const app = await createHttpApp(SettingsModule.forRoot(infra), {
    logger: infra.logger('settings'),
    statusByCode: SETTINGS_STATUS_BY_CODE,
    requestIdHeaderFor: infra.requestIdHeaderFor,
    service: 'settings',
    readiness: () => infra.readinessChecks(),
    openApi: { title: 'Keywarden settings', description: 'Per-organisation settings (API.md "Settings"): read and change them with an admin token of the organisation.' },
  });
  await app.listen(infra.config.ports.settings, '0.0.0.0');
  return { name: 'settings', url: await app.getUrl(), close: () => app.close() };
}
