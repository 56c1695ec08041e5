import { adminTokenCommand } from '@keywarden/auth';
import { SystemClock } from '@keywarden/clock';
import { loadConfig } from '@keywarden/config';
import { closeOnSignals, Infrastructure, RunningService, ServiceStarter } from '@keywarden/platform';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startEdgeValidator } from '../../edge-validator/src/edge-validator.service';
import { ConsoleSignInCodes } from '../../key-registry/src/console/console-sign-in-codes';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startNotifier } from '../../notifier/src/notifier.service';
import { startSettings } from '../../settings/src/settings.service';
import { DemoUpstream, startDemoUpstream } from './demo-upstream';

/**
 * The all-in-one composition root (`npm start`): every service's module in one process, sharing
 * one Infrastructure, so on the embedded adapters they share the in-process bus and the cache.
 * This is the one place allowed to import apps (see .dependency-cruiser.js). Adding a service is
 * one line in this list. Consumers start before the registry, so its relay finds them listening.
 */
const servicesWith = (consoleSignIn: ConsoleSignInCodes): ReadonlyArray<ServiceStarter> => [
  startKeyCacheProjection,
  startSettings,
  startNotifier,
  (infra) => startKeyRegistry(infra, { consoleSignIn }),
  startEdgeValidator,
];

async function main(): Promise<void> {
  const configured = loadConfig();
  // Without an API to front, the edge fronts a demo one, so the whole flow works on a fresh clone.
  const demo: DemoUpstream | null = configured.edgeUpstreamUrl ? null : await startDemoUpstream(new SystemClock());
  const config = demo ? { ...configured, edgeUpstreamUrl: demo.url } : configured;
  const infra = new Infrastructure(config, 'keywarden');
  const logger = infra.logger('keywarden');
  const running: RunningService[] = [];
  const closeDemo = async () => demo?.close();
  // The printed console link's one-time codes live in the registry's memory, in this process. Their
  // 15 minutes are a person's, so real time even when the development clock runs fast.
  const consoleSignIn = new ConsoleSignInCodes(new SystemClock());
  try {
    for (const start of servicesWith(consoleSignIn)) running.push(await start(infra));
  } catch (error) {
    for (const service of running.reverse()) await service.close().catch(() => undefined);
    await infra.close().catch(() => undefined);
    await closeDemo().catch(() => undefined);
    throw error;
  }
  closeOnSignals(logger, [...[...running].reverse().map((s) => () => s.close()), () => infra.close(), closeDemo]);

  const mode = infra.embedded ? 'embedded (in-process bus, in-memory cache, SQLite store, mail files)' : 'connected';
  const lines = [
    '',
    `Keywarden is running — ${mode}; data in ${config.dataDir}`,
    ...running.filter((s) => s.url).map((s) => `  ${s.name.padEnd(22)} ${s.url!.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')}`),
    ...(demo ? [`  (the edge fronts a demo API at ${demo.url}; set EDGE_UPSTREAM_URL to front yours)`] : []),
    ...(config.devClockSpeed ? [`  Development clock: ${config.devClockSpeed}× real time, now ${infra.clock.now().toISOString()} (KEYWARDEN_DEV_CLOCK_SPEED)`] : []),
    '',
    config.auth.mode === 'development'
      ? `Get an admin token:  ${adminTokenCommand(config.dataDir)}`
      : `Admin tokens come from ${config.auth.issuer}`,
    `Admin console:       ${consoleLink(config, running, consoleSignIn)}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Development: a one-time sign-in link for acme's admin. The fragment carries a code, not a token:
 * the page trades it once for a token held in memory, so the link left in the terminal and the
 * browser history signs nobody in again. Printed to the terminal only, never logged.
 */
function consoleLink(config: ReturnType<typeof loadConfig>, running: RunningService[], codes: ConsoleSignInCodes): string {
  const registry = running.find((s) => s.name === 'key-registry')?.url?.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1') ?? config.registryUrl;
  if (config.auth.mode !== 'development') return `${registry}/console`;
  const { code } = codes.mint({ orgId: 'acme', email: 'admin@acme.test', role: 'admin' });
  return `${registry}/console#signin=${code} (signs in once, within 15 minutes)`;
}

main().catch((error: Error) => {
  process.stderr.write(`keywarden failed to start: ${error.message}\n`);
  process.exit(1);
});
