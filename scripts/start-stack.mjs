// `npm run start:stack`: the five services as separate processes, linked over Kafka, sharing Redis and
// the configured event store (PostgreSQL, EventStoreDB, or the SQLite file under KEYWARDEN_DATA_DIR).
// The same entries as `npm run start:<app>`; their JSON log lines carry `service`.
// `-- --registries N` (or KEYWARDEN_REGISTRIES=N) starts N registries on REGISTRY_PORT, +1, …; they need
// DATABASE_URL, whose advisory locks elect the one that runs the relay and the scheduler.
// One service that stops stops the stack; Ctrl-C stops every service gracefully.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from './ensure-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Consumers first, so the producers' first messages find them listening (they read from the beginning anyway).
const SERVICES = ['key-cache-projection', 'notifier', 'settings', 'key-registry', 'edge-validator'];

/** `--registries N` wins over KEYWARDEN_REGISTRIES; 1 by default. */
function registryCount() {
  const flag = process.argv.indexOf('--registries');
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env.KEYWARDEN_REGISTRIES?.trim() || '1';
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 16) {
    process.stderr.write(`start:stack: --registries / KEYWARDEN_REGISTRIES must be a whole number from 1 to 16, got "${raw}".\n`);
    process.exit(2);
  }
  return count;
}
const registries = registryCount();
if (registries > 1 && !process.env.DATABASE_URL?.trim()) {
  process.stderr.write(
    `start:stack: ${registries} registries share their events and data keys in PostgreSQL and elect their relay and scheduler there: ` +
      'set DATABASE_URL (e.g. eval "$(npm run -s infra:up)").\n',
  );
  process.exit(2);
}

const missing = ['KAFKA_BROKERS', 'REDIS_URL'].filter((name) => !process.env[name]?.trim());
if (missing.length) {
  process.stderr.write(
    `start:stack runs the services as separate processes, which share Kafka and Redis: set ${missing.join(' and ')} ` +
      '(e.g. eval "$(npm run -s infra:up)"), or use `npm start` for everything in one process.\n',
  );
  process.exit(2);
}

ensureBuild();

const registryPort = Number(process.env.REGISTRY_PORT?.trim() || 3000);
/** Each process to start: its label, app and the variables it gets on top of the shared ones. */
const services = SERVICES.flatMap((app) => {
  if (app === 'edge-validator' && !process.env.EDGE_UPSTREAM_URL?.trim()) {
    process.stderr.write('start:stack: EDGE_UPSTREAM_URL is not set, so the edge gateway is not started.\n');
    return [];
  }
  if (app !== 'key-registry' || registries === 1) return [{ name: app, app, env: {} }];
  return Array.from({ length: registries }, (_, i) => ({ name: `key-registry-${i + 1}`, app, env: { REGISTRY_PORT: String(registryPort + i) } }));
});
if (registries > 1) {
  const ports = services.filter((s) => s.app === 'key-registry').map((s) => s.env.REGISTRY_PORT);
  process.stderr.write(`start:stack: ${registries} registries on ports ${ports.join(', ')}; put a load balancer in front of them.\n`);
}

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

for (const { name, app, env: own } of services) {
  // Every child has this environment and working folder, so one KEYWARDEN_DATA_DIR: without the production
  // secrets, the key material and development token issuer generated there are shared (libs/config).
  const env = { ...process.env, ...own, KEYWARDEN_DEV_SHARED_DATA_DIR: process.env.KEYWARDEN_DEV_SHARED_DATA_DIR?.trim() || 'true' };
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'apps', app, 'src', 'main.js')], { stdio: 'inherit', env });
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
