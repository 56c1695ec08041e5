import { createHttpApp, Infrastructure, RunningService } from '@keywarden/platform';
import { KeyRegistryModule } from './key-registry.module';
import { REVEAL_STATUS_BY_CODE } from './commands/reveal-key/reveal.errors';
import { REGISTRY_STATUS_BY_CODE } from './key-ring/key-ring.http';
import { mountConsole } from './console/console.assets';
import { ConsoleSignInCodes } from './console/console-sign-in-codes';

export type KeyRegistryOptions = Readonly<{
  /** The embedded mode's one-time console sign-in codes, minted by the composition root that prints the link. */
  consoleSignIn?: ConsoleSignInCodes;
}>;

export async function startKeyRegistry(infra: Infrastructure, options: KeyRegistryOptions = {}): Promise<RunningService> {
  const app = await createHttpApp(KeyRegistryModule.forRoot(infra), {
    logger: infra.logger('key-registry'),
    statusByCode: { ...REGISTRY_STATUS_BY_CODE, ...REVEAL_STATUS_BY_CODE },
    requestIdHeaderFor: infra.requestIdHeaderFor,
    service: 'key-registry',
    readiness: () => infra.readinessChecks(),
    openApi: { defaultUrl: 'http://localhost:3000', title: 'Keywarden key registry', description: 'Issue, rotate, revoke, reveal and list the API keys of an organisation (API.md). Every route under /v1 takes an admin token of the organisation as a bearer token.' },
  });
  mountConsole(app, infra.config, { signInCodes: options.consoleSignIn, clock: infra.clock });
  await app.listen(infra.config.ports.registry, '0.0.0.0');
  return { name: 'key-registry', url: await app.getUrl(), close: () => app.close() };
}
