// npm run bench:ring — how long the registry takes to load one organisation's key ring (what every
// command and every key-table read does first), for rings of BENCH_RING_KEYS keys (default
// 100,1000,5000; a ring keeps every key it ever issued, deleted ones too).
//   baseline: reading the ring's stream from the embedded SQLite store (readStream), no parsing;
//   load:     KeyRingRepository.load, as the registry runs it: cold (read, contract check, fold
//             of the whole stream) and warm (the ring known, only what was appended since read);
//   and the fold alone, next to the same events folded by reducing with evolve (one copy of the key list
//   per event: the fold before it was made linear).
// Each figure is the median of BENCH_ROUNDS (default 7) loads after one warm-up.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ensureBuild } from '../ensure-build.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const SIZES = (process.env.BENCH_RING_KEYS ?? '100,1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

ensureBuild();
const dist = (p) => require(path.join(ROOT, 'dist', p));
const { SqliteEventStore } = dist('libs/event-store/src');
const { keyRingStream, parseKeyRingEvent } = dist('libs/contracts/src');
const { KeyRingRepository } = dist('apps/key-registry/src/key-ring/key-ring.repository');
const { evolve, fold, initialState } = dist('apps/key-registry/src/domain/key-ring.decider');

/** A ring's life: each key issued, noticed, replaced by the next (revoked with grace), expired, and every other one deleted. */
function ringEvents(orgId, keys) {
  const actor = { sub: 'bench-admin', email: 'admin@bench.test' };
  const start = Date.parse('2020-01-01T00:00:00.000Z');
  const at = (hours) => new Date(start + hours * 3_600_000).toISOString();
  const keyIdOf = (i) => `key_${String(i).padStart(24, '0')}`;
  const events = [];
  for (let i = 0; i < keys; i++) {
    const keyId = keyIdOf(i);
    const material = { alg: 'A256GCM', dataKeyId: keyId, iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'B'.repeat(86), tag: 'CCCCCCCCCCCCCCCCCCCCCC' };
    events.push({ type: 'KeyIssued', data: { orgId, keyId, fingerprint: 'a'.repeat(64), hint: 'kw_…abcd', material, issuedAt: at(i), expiresAt: at(i + 48), reason: i === 0 ? 'initial' : 'scheduled-rotation', replaces: i === 0 ? null : keyIdOf(i - 1), actor } });
    if (i === 0) continue;
    const previous = keyIdOf(i - 1);
    events.push({ type: 'ExpiryNoticeIssued', data: { orgId, keyId: previous, noticedAt: at(i), acceptUntil: at(i + 24), daysBefore: 30 } });
    events.push({ type: 'KeyRevoked', data: { orgId, keyId: previous, revokedAt: at(i), graceEndsAt: at(i + 24), kind: 'scheduled', reason: null, replacedBy: keyId, actor } });
    events.push({ type: 'KeyExpired', data: { orgId, keyId: previous, expiredAt: at(i + 24), cause: 'grace' } });
    if (i % 2 === 0) events.push({ type: 'KeyDeleted', data: { orgId, keyId: previous, deletedAt: at(i + 25), actor } });
  }
  return events.map((event) => parseKeyRingEvent(event.type, event.data));
}

async function median(fn) {
  await fn();
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'keywarden-bench-ring-'));
  const store = new SqliteEventStore(path.join(dir, 'events.sqlite'));
  try {
    const repository = new KeyRingRepository(store);
    process.stdout.write(`Loading one key ring from the embedded SQLite store, median of ${ROUNDS}\n`);
    process.stdout.write(`${'keys'.padStart(6)} ${'events'.padStart(7)}  ${'readStream (baseline)'.padEnd(22)} ${'load, cold'.padEnd(24)} ${'load, warm'.padEnd(24)} ${'fold alone'.padEnd(12)} reduce(evolve) alone\n`);
    for (const keys of SIZES) {
      const orgId = `bench-${keys}`;
      const events = ringEvents(orgId, keys);
      for (let i = 0; i < events.length; i += 1000) {
        const slice = events.slice(i, i + 1000).map((e) => ({ eventId: randomUUID(), type: e.type, data: e.data, metadata: {} }));
        await store.appendToStream(keyRingStream(orgId), slice, i === 0 ? 'no_stream' : BigInt(i - 1));
      }
      const read = await median(() => store.readStream(keyRingStream(orgId)));
      const loadWith = (repo) => async () => {
        const loaded = await repo.load(orgId);
        if (loaded.ring.keys.length !== keys) throw new Error(`loaded ${loaded.ring.keys.length} keys, expected ${keys}`);
      };
      // Cold: a repository that never loaded the ring (a process's first request for it); warm:
      // the same repository again, which reads only what was appended since (here nothing).
      const cold = await median(() => loadWith(new KeyRingRepository(store))());
      const warm = await median(loadWith(repository));
      const folded = await median(async () => fold(events));
      const reduced = await median(async () => events.reduce(evolve, initialState()));
      const ms = (v) => `${v.toFixed(1)} ms`;
      process.stdout.write(`${String(keys).padStart(6)} ${String(events.length).padStart(7)}  ${ms(read).padEnd(22)} ${`${ms(cold)} (${(cold / read).toFixed(2)}×)`.padEnd(24)} ${`${warm.toFixed(3)} ms (${(warm / read).toFixed(4)}×)`.padEnd(24)} ${ms(folded).padEnd(12)} ${ms(reduced)}\n`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench:ring failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
