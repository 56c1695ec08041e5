import { createHttpApp, Infrastructure, RunningService } from '@keywarden/platform';
import { SETTINGS_STATUS_BY_CODE } from './settings/settings.http';
import { SettingsModule } from './settings.module';

export async function startSettings(infra: Infrastructure): Promise<RunningService> {
  // Replay the settings topic before listening: the service is ready (and answers) only with every
  // organisation's settings applied, and no request ever waits for the replay on Kafka.
  await infra.orgSettings();
  const app = await createHttpApp(SettingsModule.forRoot(infra), {
    logger: infra.logger('settings'),
    statusByCode: SETTINGS_STATUS_BY_CODE,
    requestIdHeaderFor: infra.requestIdHeaderFor,
    dependencyTimeoutMs: infra.config.requestDependencyTimeoutMs,
    service: 'settings',
    readiness: () => infra.readinessChecks(),
    openApi: { defaultUrl: 'http://localhost:3001', title: 'Keywarden settings', description: 'Per-organisation settings (API.md "Settings"): read and change them with an admin token of the organisation.' },
  });
  // The admin console (served by the registry, another origin) calls this API from the browser.
  // Any origin may: the API authenticates only by the bearer token a caller must already hold,
  // never by cookies, so CORS without credentials grants a page nothing it could not do itself.
  app.enableCors({ origin: '*', credentials: false, methods: ['GET', 'PATCH'], allowedHeaders: ['Authorization', 'Content-Type'], maxAge: 600 });
  await app.listen(infra.config.ports.settings, '0.0.0.0');
  return { name: 'settings', url: await app.getUrl(), close: () => app.close() };
}
