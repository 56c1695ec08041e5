import { createHttpApp, Infrastructure, RunningService } from '@keywarden/platform';
import { connectBusConsumers } from '@keywarden/messaging';
import { KeyRegistryModule } from './key-registry.module';
import { KEY_USAGE_GROUP, KeyUsageProjection } from './key-ring/key-usage.adapter';
import { KEY_USAGE_READER } from './key-ring/key-usage.port';
import { REVEAL_STATUS_BY_CODE } from './commands/reveal-key/reveal.errors';
import { REGISTRY_STATUS_BY_CODE } from './key-ring/key-ring.http';
import { SECRET_SCANNING_STATUS_BY_CODE } from './commands/report-leak/secret-scanning.errors';
import { mountConsole } from './console/console.assets';
import { ConsoleSignInCodes } from './console/console-sign-in-codes';

export type KeyRegistryOptions = Readonly<{
  /** The embedded mode's one-time console sign-in codes, minted by the composition root that prints the link. */
  consoleSignIn?: ConsoleSignInCodes;
}>;

export async function startKeyRegistry(infra: Infrastructure, options: KeyRegistryOptions = {}): Promise<RunningService> {
  const app = await createHttpApp(KeyRegistryModule.forRoot(infra), {
    logger: infra.logger('key-registry'),
    statusByCode: { ...REGISTRY_STATUS_BY_CODE, ...REVEAL_STATUS_BY_CODE, ...SECRET_SCANNING_STATUS_BY_CODE },
    requestIdHeaderFor: infra.requestIdHeaderFor,
    dependencyTimeoutMs: infra.config.requestDependencyTimeoutMs,
    service: 'key-registry',
    readiness: () => infra.readinessChecks(),
    openApi: { defaultUrl: 'http://localhost:3000', title: 'Keywarden key registry', description: 'Issue, rotate, revoke, reveal and list the API keys of an organisation (API.md). Every route under /v1 takes an admin token of the organisation as a bearer token.' },
  });
  mountConsole(app, infra.config, { signInCodes: options.consoleSignIn, clock: infra.clock });
  // The usage group is known once the projection's bootstrap hook has opened its store.
  const usage = app.get<KeyUsageProjection>(KEY_USAGE_READER);
  connectBusConsumers(app, infra.messageBus(), { groupIds: { [KEY_USAGE_GROUP]: () => usage.groupId } });
  await app.init();
  await app.startAllMicroservices();
  await app.listen(infra.config.ports.registry, '0.0.0.0');
  return { name: 'key-registry', url: await app.getUrl(), close: () => app.close() };
}
