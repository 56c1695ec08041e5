import { loadConfig } from '@keywarden/config';
import { rebuildActiveKeyCache } from '@keywarden/key-cache';
import { Infrastructure } from '@keywarden/platform';

/**
 * `npm run cache:rebuild`: rewrites the active-key cache (REDIS_URL) from the event store.
 * Progress goes to stderr, the report to stdout.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.redisUrl) throw new Error('REDIS_URL is not set: the embedded in-memory cache is rebuilt at every start');
  const infra = new Infrastructure(config, 'cache-rebuild');
  try {
    const started = Date.now();
    const report = await rebuildActiveKeyCache(infra.eventStore(), await infra.activeKeyCache(), infra.clock.now(), {
      onProgress: (events) => process.stderr.write(`\rreplayed ${events} events`),
    });
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 })}\n`);
  } finally {
    await infra.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`cache:rebuild failed: ${error.message}\n`);
  process.exit(1);
});
