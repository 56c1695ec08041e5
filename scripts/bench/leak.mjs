// npm run bench:leak — how fast a leaked key stops working after a secret scanner reports it.
// Runs the registry, the key-cache projection and the edge gateway in this process on a real Kafka
// broker and Redis (its own, via scripts/infra, unless KAFKA_BROKERS and REDIS_URL are set), plays
// GitHub's secret scanning (a P-256 key, its public half served over HTTP in GitHub's format), and
// for each of BENCH_REPORTS organisations (default 300): issues a key, waits until the edge accepts
// its Secret, sends a signed report of that Secret and calls the edge in a loop until it refuses it.
// Measured: report sent → first refusal seen at the edge, and report sent → the registry's answer
// (which waits for the answer floor, so it says nothing about existence by its timing).
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ensureBuild } from '../ensure-build.mjs';
import { up, down } from '../infra/infra.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const COUNT = Number(process.env.BENCH_REPORTS ?? 300);
const WARMUP = 10;

ensureBuild();
const dist = (p) => require(path.join(ROOT, 'dist', p));
const { loadConfig } = dist('libs/config/src');
const { Infrastructure } = dist('libs/platform/src');
const { DevelopmentIssuer } = dist('libs/auth/src');
const { startKeyRegistry } = dist('apps/key-registry/src/key-registry.service');
const { startKeyCacheProjection } = dist('apps/key-cache-projection/src/key-cache-projection.service');
const { startEdgeValidator } = dist('apps/edge-validator/src/edge-validator.service');

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] };
};
const fmt = (ms) => `${ms.toFixed(1).padStart(8)} ms`;
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));

async function main() {
  const infraName = `bench-leak-${process.pid}`;
  let started = false;
  if (!process.env.KAFKA_BROKERS || !process.env.REDIS_URL) {
    process.stderr.write('starting a Kafka broker and Redis for the benchmark…\n');
    const infra = await up({ name: infraName, kafka: true, redis: true, ownerPid: process.pid });
    process.env.KAFKA_BROKERS = infra.kafka.brokers;
    process.env.REDIS_URL = infra.redis.url;
    started = true;
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const identifier = `bench-${randomUUID()}`;
  const keysServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ public_keys: [{ key_identifier: identifier, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
  });
  const upstream = createServer((_req, res) => res.end('{"ok":true}'));
  const keysUrl = await listen(keysServer);
  const upstreamUrl = await listen(upstream);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keywarden-bench-leak-'));
  // The edge fetches the Secrets' signing keys from the registry: a fixed port it can be told.
  const registryPort = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const config = loadConfig({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    REDIS_URL: process.env.REDIS_URL,
    KEYWARDEN_DATA_DIR: dataDir,
    KEYWARDEN_NAMESPACE: `bench-${randomUUID().slice(0, 8)}`,
    REGISTRY_PORT: String(registryPort),
    REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
    SETTINGS_PORT: '0',
    EDGE_PORT: '0',
    EDGE_UPSTREAM_URL: upstreamUrl,
    SECRET_SCANNING_KEYS_URL: keysUrl,
    LOG_LEVEL: 'warn',
  });
  const infra = new Infrastructure(config, 'bench');
  const services = [];
  try {
    services.push(await startKeyCacheProjection(infra));
    const registry = await startKeyRegistry(infra);
    services.push(registry);
    const edge = await startEdgeValidator(infra);
    services.push(edge);
    const registryUrl = registry.url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
    const edgeUrl = edge.url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
    const issuer = new DevelopmentIssuer(dataDir);
    const edgeStatus = async (secret) => (await fetch(`${edgeUrl}/v1/orders`, { headers: { authorization: `Bearer ${secret}` } })).status;

    const toRefusal = [];
    const toAnswer = [];
    for (let i = 0; i < COUNT + WARMUP; i++) {
      const org = `leak-bench-${i}`;
      const token = await issuer.issue({ orgId: org, email: `admin@${org}.test`, role: 'admin' });
      const issued = await fetch(`${registryUrl}/v1/orgs/${org}/keys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      if (issued.status !== 201) throw new Error(`issue: ${issued.status} ${await issued.text()}`);
      const { secret } = await issued.json();
      const acceptBy = performance.now() + 30_000;
      while ((await edgeStatus(secret)) !== 200) {
        if (performance.now() > acceptBy) throw new Error(`the edge does not accept the new key of ${org} after 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }

      const body = JSON.stringify([{ token: secret, type: 'keywarden_secret', url: `https://github.com/bench/${i}/blob/main/.env`, source: 'content' }]);
      const headers = {
        'content-type': 'application/json',
        'Github-Public-Key-Identifier': identifier,
        'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
      };
      const sentAt = performance.now();
      let answeredAt;
      const answer = fetch(`${registryUrl}/v1/secret-scanning/github`, { method: 'POST', headers, body }).then(async (res) => {
        answeredAt = performance.now();
        const feedback = await res.json();
        if (res.status !== 200 || feedback[0]?.label !== 'true_positive') throw new Error(`report: ${res.status} ${JSON.stringify(feedback)}`);
      });
      const deadline = sentAt + 10_000;
      while ((await edgeStatus(secret)) !== 401) if (performance.now() > deadline) throw new Error(`the edge still accepts the key of ${org} 10 s after the report`);
      const refusedAt = performance.now();
      await answer;
      if (i >= WARMUP) {
        toRefusal.push(refusedAt - sentAt);
        toAnswer.push(answeredAt - sentAt);
      }
      if (i % 50 === 0) process.stderr.write(`\r${i}/${COUNT + WARMUP} reports`);
    }
    process.stderr.write('\n');
    const width = 36;
    const rows = [
      ['report sent → refused at the edge', summary(toRefusal)],
      ['report sent → registry answered', summary(toAnswer)],
    ];
    process.stdout.write(
      [
        `Leaked key reports, ${COUNT} organisations one after another (one signed report each, after ${WARMUP} warm-up), registry + projection + edge in one process, Kafka and Redis on loopback:`,
        `${''.padEnd(width)}${['p50', 'p90', 'p99', 'max'].map((h) => h.padStart(11)).join(' ')}`,
        ...rows.map(([name, f]) => `${name.padEnd(width)}${fmt(f.p50)} ${fmt(f.p90)} ${fmt(f.p99)} ${fmt(f.max)}`),
      ].join('\n') + '\n',
    );
  } finally {
    for (const s of services.reverse()) await s.close().catch(() => undefined);
    await infra.close().catch(() => undefined);
    keysServer.close();
    upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (started) await down({ name: infraName });
  }
}

main().catch((error) => {
  process.stderr.write(`bench:leak failed: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
