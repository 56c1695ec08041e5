// `npm run start:stack`: the five services as separate processes, linked over Kafka, sharing Redis and
// the configured event store (EventStoreDB, or the SQLite file under KEYWARDEN_DATA_DIR, which several
// processes may share). The same entries as `npm run start:<app>`; their JSON log lines carry `service`.
// One service that stops stops the stack; Ctrl-C stops every service gracefully.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './ensure-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Consumers first, so the producers' first messages find them listening (they read from the beginning anyway).
const SERVICES = ['key-cache-projection', 'notifier', 'settings', 'key-registry', 'edge-validator'];

const missing = ['KAFKA_BROKERS', 'REDIS_URL'].filter((name) => !process.env[name]?.trim());
if (missing.length) {
  process.stderr.write(
    `start:stack runs the services as separate processes, which share Kafka and Redis: set ${missing.join(' and ')} ` +
      '(e.g. eval "$(npm run -s infra:up)"), or use `npm start` for everything in one process.\n',
  );
  process.exit(2);
}

ensureBuild();

const services = SERVICES.filter((name) => {
  if (name === 'edge-validator' && !process.env.EDGE_UPSTREAM_URL?.trim()) {
    process.stderr.write('start:stack: EDGE_UPSTREAM_URL is not set, so the edge gateway is not started.\n');
    return false;
  }
  return true;
});

const children = new Map();
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code);
  }, 20_000);
  deadline.unref();
  const exitWhenDone = () => (children.size === 0 ? process.exit(code) : undefined);
  exitWhenDone();
  for (const child of children.values()) child.on('exit', exitWhenDone);
}

for (const name of services) {
  // Every child has this environment and working folder, so one KEYWARDEN_DATA_DIR: without the production
  // secrets, the key material and development token issuer generated there are shared (libs/config).
  const env = { ...process.env, KEYWARDEN_DEV_SHARED_DATA_DIR: process.env.KEYWARDEN_DEV_SHARED_DATA_DIR?.trim() || 'true' };
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'apps', name, 'src', 'main.js')], { stdio: 'inherit', env });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`start:stack: ${name} stopped (${signal ?? `exit code ${code}`}); stopping the others.\n`);
      stopAll(code || 1);
    }
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(0));
