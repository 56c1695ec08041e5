import type { Logger } from 'pino';

/**
 * Graceful shutdown on SIGTERM/SIGINT: each closer runs in order (apps first, so in-flight
 * requests drain and consumers commit, then the infrastructure they used), then the process exits.
 * A second signal, or a closer that hangs past the deadline, exits at once.
 */
export function closeOnSignals(logger: Logger, closers: ReadonlyArray<() => Promise<unknown>>, deadlineMs = 15_000): void {
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => process.exit(1), deadlineMs);
    deadline.unref();
    void (async () => {
      for (const close of closers) {
        await close().catch((error: unknown) => logger.error({ err: error }, 'error while shutting down'));
      }
      logger.flush();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
