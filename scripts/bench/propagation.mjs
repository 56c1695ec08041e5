// npm run bench:propagation — how fast a revocation reaches the edge's sources of truth.
// Runs the registry (with its relay) and the key-cache projection in this process on a real Kafka
// broker and Redis (its own, via scripts/infra, unless KAFKA_BROKERS and REDIS_URL are set), then
// revokes keys with grace P0D one after another and measures, per revocation:
//   append → Redis write   (the DEL of the key's cache entry, seen through Redis keyspace events)
//   append → invalidation  (the KeyInvalidated message, received by a consumer as the edge would)
// "append" is the time the event store recorded the revocation's events (recordedAt, ms precision,
// read back from the store); the same paths are also measured from the moment the revoke request was
// sent, which precedes the append, so those figures are an upper bound. The registry's answer is
// not a start: the projection often writes Redis before the HTTP answer arrives.
// Every instant is wall-clock milliseconds with sub-ms resolution (performance.timeOrigin + now()),
// the base the store's recordedAt shares.
// Baseline, measured in the same run: one bare Kafka publish → consume round trip on the same broker.
// Redis's notify-keyspace-events is extended for the run and put back as it was afterwards.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { ensureBuild } from '../ensure-build.mjs';
import { up, down } from '../infra/infra.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const COUNT = Number(process.env.BENCH_EVENTS ?? 1000);
const WARMUP = 20;

ensureBuild();
const dist = (p) => require(path.join(ROOT, 'dist', p));
const { loadConfig } = dist('libs/config/src');
const { Infrastructure } = dist('libs/platform/src');
const { DevelopmentIssuer } = dist('libs/auth/src');
const { Topics, keyRingStream } = dist('libs/contracts/src');
const { startKeyRegistry } = dist('apps/key-registry/src/key-registry.service');
const { startKeyCacheProjection } = dist('apps/key-cache-projection/src/key-cache-projection.service');
const Redis = require('ioredis').default;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] };
};
const fmt = (ms) => `${ms.toFixed(2).padStart(8)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2).padStart(6)}×`;
/** Wall-clock epoch milliseconds with sub-ms resolution, comparable with the store's recordedAt. */
const wallNow = () => performance.timeOrigin + performance.now();

async function main() {
  const infraName = `bench-propagation-${process.pid}`;
  let started = false;
  if (!process.env.KAFKA_BROKERS || !process.env.REDIS_URL) {
    process.stderr.write('starting a Kafka broker and Redis for the benchmark…\n');
    const infra = await up({ name: infraName, kafka: true, redis: true, ownerPid: process.pid });
    process.env.KAFKA_BROKERS = infra.kafka.brokers;
    process.env.REDIS_URL = infra.redis.url;
    started = true;
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keywarden-bench-'));
  const namespace = `bench-${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    REDIS_URL: process.env.REDIS_URL,
    KEYWARDEN_DATA_DIR: dataDir,
    KEYWARDEN_NAMESPACE: namespace,
    REGISTRY_PORT: '0',
    SETTINGS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const infra = new Infrastructure(config, 'bench');
  const services = [];
  const watcher = new Redis(process.env.REDIS_URL);
  const client = new Redis(process.env.REDIS_URL);
  let keyspaceEvents;
  try {
    services.push(await startKeyCacheProjection(infra));
    const registry = await startKeyRegistry(infra);
    services.push(registry);
    const base = registry.url.replace('[::1]', '127.0.0.1');
    const token = await new DevelopmentIssuer(dataDir).issue({ orgId: 'bench', email: 'bench@bench.test', role: 'admin' });
    const call = async (method, route, body) => {
      const res = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
      return res.json();
    };

    // Redis keyspace events: the moment the projection's write removes a cache entry (a DEL, or a SET
    // whose PXAT is already past, which Redis reports as expired).
    // Added to what the Redis already notifies (another client of an external Redis may rely on it).
    [, keyspaceEvents] = await client.config('GET', 'notify-keyspace-events');
    await client.config('SET', 'notify-keyspace-events', [...new Set(`${keyspaceEvents}Kgx`)].join(''));
    const deletedAt = new Map();
    const keyPrefix = `kw:${namespace}:key:`;
    watcher.on('pmessage', (_pattern, channel, event) => {
      if (event === 'del' || event === 'expired') deletedAt.set(channel.slice(channel.indexOf(keyPrefix) + keyPrefix.length), wallNow());
    });
    await watcher.psubscribe(`__keyspace@*__:${keyPrefix}*`);

    const bus = infra.messageBus();
    const invalidatedAt = new Map();
    const consumer = await bus.subscribe({
      groupId: `bench-edge-${randomUUID()}`,
      topics: [Topics.cacheInvalidations],
      handler: async (message) => {
        invalidatedAt.set(JSON.parse(message.value).keyId, wallNow());
      },
    });

    // Baseline: a bare publish → consume round trip on the same broker.
    const pingAt = new Map();
    const pingTopic = 'bench.ping.v1';
    await bus.ensureTopics([{ topic: pingTopic }]);
    const pings = [];
    const pinger = await bus.subscribe({
      groupId: `bench-ping-${randomUUID()}`,
      topics: [pingTopic],
      handler: async (message) => {
        pings.push(performance.now() - pingAt.get(message.value));
      },
    });
    for (let i = 0; i < 200 + WARMUP; i++) {
      const id = String(i);
      pingAt.set(id, performance.now());
      await bus.publish([{ topic: pingTopic, key: 'bench', value: id, headers: {} }]);
      const deadline = Date.now() + 10_000;
      while (pings.length <= i && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    }
    await pinger.stop();
    const baseline = summary(pings.slice(WARMUP));

    let current = (await call('POST', '/v1/orgs/bench/keys', {})).key.keyId;
    const store = infra.eventStore();
    const fromAppend = { redis: [], invalidation: [] };
    const fromSend = { redis: [], invalidation: [] };
    const cache = await infra.activeKeyCache();
    for (let i = 0; i < COUNT + WARMUP; i++) {
      const cached = await waitUntil(() => cache.findByKeyId('bench', current));
      const sentAt = wallNow();
      const res = await call('POST', `/v1/orgs/bench/keys/${current}/revoke`, { grace: 'P0D' });
      const revoked = current;
      current = res.issued.keyId;
      await waitUntil(() => deletedAt.has(cached.fingerprint) && invalidatedAt.has(revoked));
      if (i >= WARMUP) {
        // Read after the timed part: the revocation's events (issue, revoke, expire) share one append.
        const appendedAt = (await recordedAtOfRevocation(store, revoked)).getTime();
        fromAppend.redis.push(deletedAt.get(cached.fingerprint) - appendedAt);
        fromAppend.invalidation.push(invalidatedAt.get(revoked) - appendedAt);
        fromSend.redis.push(deletedAt.get(cached.fingerprint) - sentAt);
        fromSend.invalidation.push(invalidatedAt.get(revoked) - sentAt);
      }
      if (i % 100 === 0) process.stderr.write(`\r${i}/${COUNT + WARMUP} revocations`);
    }
    process.stderr.write('\n');
    await consumer.stop();

    const rows = [
      ['append → Redis write', summary(fromAppend.redis)],
      ['append → invalidation', summary(fromAppend.invalidation)],
      ['request sent → Redis write (upper bound)', summary(fromSend.redis)],
      ['request sent → invalidation (upper bound)', summary(fromSend.invalidation)],
    ];
    const width = 42;
    // recordedAt has ms precision and the two clocks are read differently: a sample below 0 would
    // mean they disagree, so it is counted, not hidden.
    const negative = [...fromAppend.redis, ...fromAppend.invalidation].filter((ms) => ms < 0).length;
    const [redisFigures, invalidationFigures] = [rows[0][1], rows[1][1]];
    const lines = [
      `Propagation of a revocation (grace P0D), ${COUNT} revocations one after another, registry + relay + projection in one process, Kafka and Redis on loopback, 2 cores:`,
      `${''.padEnd(width)}${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(11)).join(' ')}  ${['p50/baseline', 'p99/baseline'].map((h) => h.padStart(13)).join('')}`,
      ...rows.map(([name, f]) => `${name.padEnd(width)}${fmt(f.p50)} ${fmt(f.p90)} ${fmt(f.p99)} ${fmt(f.max)}  ${ratio(f.p50, baseline.p50).padStart(13)}${ratio(f.p99, baseline.p99).padStart(13)}`),
      `${'baseline: bare Kafka publish → consume'.padEnd(width)}${fmt(baseline.p50)} ${fmt(baseline.p90)} ${fmt(baseline.p99)} ${fmt(baseline.max)}`,
      `"append" = the store's recordedAt of the revocation (ms precision: up to 1 ms early); samples below 0: ${negative}`,
      `goal p99 ≤ 250 ms from the append: Redis write ${redisFigures.p99 <= 250 ? 'met' : 'MISSED'}, invalidation ${invalidationFigures.p99 <= 250 ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (keyspaceEvents !== undefined) await client.config('SET', 'notify-keyspace-events', keyspaceEvents).catch(() => undefined);
    for (const s of services.reverse()) await s.close().catch(() => undefined);
    await infra.close().catch(() => undefined);
    watcher.disconnect();
    client.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
    if (started) await down({ name: infraName });
  }
}

/** When the store recorded the revocation of `keyId` (its last event: the grace-0 KeyExpired of the same append). */
async function recordedAtOfRevocation(store, keyId) {
  const last = await store.readLastEvent(keyRingStream('bench'));
  if (last && last.type === 'KeyExpired' && last.data.keyId === keyId) return last.recordedAt;
  const revocation = (await store.readStream(keyRingStream('bench'))).find((e) => e.type === 'KeyRevoked' && e.data.keyId === keyId);
  if (!revocation) throw new Error(`no KeyRevoked of ${keyId} in the store`);
  return revocation.recordedAt;
}

async function waitUntil(probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for propagation');
    await new Promise((r) => setTimeout(r, 1));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:propagation failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
