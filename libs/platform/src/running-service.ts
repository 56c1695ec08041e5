import { assertSharedSecrets, loadConfig } from '@keywarden/config';
import { Infrastructure } from './infrastructure';
import { closeOnSignals } from './shutdown';

/** A started service: what the composition root prints and stops. */
export type RunningService = Readonly<{ name: string; url?: string; close(): Promise<void> }>;

export type ServiceStarter = (infra: Infrastructure) => Promise<RunningService>;

/**
 * Runs one service as its own process (`npm run start:<app>`): configuration validated first,
 * a clear one-line error and exit code 1 when it cannot start.
 */
export function runStandalone(name: string, start: ServiceStarter): void {
  void (async () => {
    let infra: Infrastructure | undefined;
    try {
      const config = loadConfig();
      // A process of its own: it must share the key material with the others (or their data folder).
      assertSharedSecrets(config);
      infra = new Infrastructure(config, name);
      const service = await start(infra);
      const logger = infra.logger(name);
      logger.info({ url: service.url }, `${name} started`);
      const running = infra;
      closeOnSignals(logger, [() => service.close(), () => running.close()]);
    } catch (error) {
      process.stderr.write(`${name} failed to start: ${(error as Error).message}\n`);
      await infra?.close().catch(() => undefined);
      process.exit(1);
    }
  })();
}
