// Starts and stops the local Kafka broker, Redis and PostgreSQL as one unit, recorded in a state file under
// .tmp/infra/<name>/ so that another process (infra:down, the Jest teardown, the watchdog) can stop them.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, kafkaAnswers, startKafka, stopKafka } from './kafka.mjs';
import { postgresAnswers, startPostgres, stopPostgres } from './postgres.mjs';
import { isAlive, stopProcess } from './process-utils.mjs';
import { redisAnswers, startRedis, stopRedis } from './redis.mjs';

export const infraDir = (name) => path.join(ROOT, '.tmp/infra', name);
export const stateFileOf = (name) => path.join(infraDir(name), 'state.json');

export function readState(stateFile) {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
}

const writeState = (stateFile, state) => writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);

async function stillServing(state) {
  const checks = [];
  if (state.kafka) checks.push(isAlive(state.kafka.pid) && kafkaAnswers([state.kafka.brokers]).catch(() => false));
  if (state.redis) checks.push(isAlive(state.redis.pid) && redisAnswers(Number(new URL(state.redis.url).port)));
  if (state.postgres) checks.push(isAlive(state.postgres.pid) && postgresAnswers(state.postgres.url));
  return (await Promise.all(checks)).every(Boolean);
}

/**
 * @param {{name: string, kafka?: boolean, redis?: boolean, postgres?: boolean, ownerPid?: number, log?: (line: string) => void}} options
 * @returns {Promise<{kafka?: {brokers: string, pid: number, startupMs?: number}, redis?: {url: string, pid: number}, postgres?: {url: string, pid: number}, reused: boolean}>}
 */
export async function up({ name, kafka = true, redis = true, postgres = true, ownerPid, log = () => {} }) {
  const dir = infraDir(name);
  const stateFile = stateFileOf(name);
  const previous = readState(stateFile);
  if (previous && (!kafka || previous.kafka) && (!redis || previous.redis) && (!postgres || previous.postgres) && (await stillServing(previous))) {
    log(`reusing the running infrastructure recorded in ${path.relative(ROOT, stateFile)}`);
    return { ...previous, reused: true };
  }
  if (previous) await down({ name });
  // A fresh folder per run: a formatted data folder from an earlier, killed run would bring its topics back.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const state = { name, startedAt: new Date().toISOString(), ownerPid };
  const started = await Promise.allSettled([
    kafka ? startKafka({ runDir: path.join(dir, 'kafka'), log }) : undefined,
    redis ? startRedis({ runDir: path.join(dir, 'redis') }) : undefined,
    postgres ? startPostgres({ runDir: path.join(dir, 'postgres') }) : undefined,
  ]);
  const [k, r, p] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  if (k) state.kafka = { pid: k.pid, brokers: k.brokers, runDir: k.runDir, logFile: k.logFile, startupMs: k.startupMs };
  if (r) state.redis = { pid: r.pid, url: r.url, runDir: r.runDir };
  if (p) state.postgres = { pid: p.pid, url: p.url, runDir: p.runDir, logFile: p.logFile, startupMs: p.startupMs };
  writeState(stateFile, state);
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await down({ name });
    throw failure.reason;
  }
  if (k) log(`Kafka broker ready on ${k.brokers} (pid ${k.pid}) in ${k.startupMs} ms (metadata after ${k.answeredMs} ms)`);
  if (r) log(`redis-server ready on ${r.url} (pid ${r.pid})`);
  if (p) log(`PostgreSQL ready on ${p.url} (pid ${p.pid}) in ${p.startupMs} ms`);

  if (ownerPid) {
    // If the owner (the Jest process) dies without its teardown (Ctrl-C, crash), the watchdog stops what we started.
    const watchdog = spawn(process.execPath, [path.join(ROOT, 'scripts/infra/watchdog.mjs'), name, String(ownerPid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    writeState(stateFile, { ...state, watchdogPid: watchdog.pid });
  }
  return { ...state, reused: false };
}

/** Stops whatever the state file of `name` records; safe to call twice. */
export async function down({ name, log = () => {} }) {
  const stateFile = stateFileOf(name);
  const state = readState(stateFile);
  if (!state) {
    log(`nothing recorded in ${path.relative(ROOT, stateFile)}: nothing to stop`);
    return false;
  }
  const stops = [];
  if (state.kafka) stops.push(stopKafka(state.kafka).then((how) => log(`Kafka broker (pid ${state.kafka.pid}): ${how}`)));
  if (state.redis) stops.push(stopRedis(state.redis).then((how) => log(`redis-server (pid ${state.redis.pid}): ${how}`)));
  if (state.postgres) stops.push(stopPostgres(state.postgres).then((how) => log(`PostgreSQL (pid ${state.postgres.pid}): ${how}`)));
  await Promise.all(stops);
  rmSync(stateFile, { force: true });
  if (state.watchdogPid && state.watchdogPid !== process.pid) await stopProcess(state.watchdogPid, { timeoutMs: 2_000 });
  rmSync(infraDir(name), { recursive: true, force: true });
  return true;
}
