import { loadConfig } from '@keywarden/config';
import { rebuildActiveKeyCache } from '@keywarden/key-cache';
import { Infrastructure, replayProgressBar } from '@keywarden/platform';

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
    const store = infra.eventStore();
    const shown = replayProgressBar('replaying', await store.headPosition());
    const report = await rebuildActiveKeyCache(store, await infra.activeKeyCache(), infra.clock.now(), { onProgress: shown.tick });
    shown.done();
    process.stdout.write(`${JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 })}\n`);
  } finally {
    await infra.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`cache:rebuild failed: ${error.message}\n`);
  process.exit(1);
});
