import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { DAY_MS, ManualClock } from '@keywarden/clock';
import { Actor, DEFAULT_SETTINGS, keyRingStream, parseKeyRingEvent } from '@keywarden/contracts';
import { InMemoryDataKeyStore, KeyFingerprinter, KeyMaterialVault, SecretMinter, SigningKeyRing } from '@keywarden/crypto';
import { PostgresEventStore } from '@keywarden/event-store';
import { PostgresLeaderElection } from '@keywarden/platform';
import { LogCapture } from '../../../../test/support/log-capture';
import { TestDatabase } from '../../../../test/support/postgres-database';
import { waitFor } from '../../../../test/support/wait-for';
import { KeyMaterialService } from '../key-ring/key-material.service';
import { KeyRingRepository } from '../key-ring/key-ring.repository';
import { KeyRingIndex } from './key-ring-index';
import { LifecycleScheduler } from './lifecycle.scheduler';

// Two registry "processes" on one PostgreSQL database, each with a ticking scheduler: only the
// elected one ticks; when its leadership ends, the other one does the work that falls due next.

const DAY0 = '2026-01-01T00:00:00.000Z';
const day = (n: number): string => new Date(Date.parse(DAY0) + n * DAY_MS).toISOString();
const admin: Actor = { sub: 'u-1', email: 'admin@acme.test' };

type Instance = { store: PostgresEventStore; election: PostgresLeaderElection; scheduler: LifecycleScheduler; logs: LogCapture };

describe('lifecycle scheduler failover on PostgreSQL', () => {
  let database: TestDatabase;
  let pg: Client;
  let instances: Instance[];
  const clock = new ManualClock(DAY0);
  const material = new KeyMaterialService(
    new KeyFingerprinter(randomBytes(32)),
    new KeyMaterialVault(randomBytes(32), new InMemoryDataKeyStore()),
    new SecretMinter(SigningKeyRing.generate(new Date(DAY0))),
  );
  const settings = { get: async () => DEFAULT_SETTINGS, current: () => DEFAULT_SETTINGS };
  const usage = { lastUsedAt: async () => new Map<string, string>() };

  beforeEach(async () => {
    database = await TestDatabase.create('scheduler_failover');
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    instances = [];
    for (let i = 0; i < 2; i++) {
      const store = new PostgresEventStore(database.url);
      const logs = new LogCapture();
      const logger = pino({ level: 'info' }, logs);
      const election = new PostgresLeaderElection(database.url, logger);
      const scheduler = new LifecycleScheduler(new KeyRingIndex(store, logger), new KeyRingRepository(store), material, settings, usage, clock, logger, { tickMs: 50 }, election);
      await scheduler.onApplicationBootstrap();
      instances.push({ store, election, scheduler, logs });
    }
  }, 30_000);

  afterEach(async () => {
    for (const { scheduler, election, store } of instances) {
      await scheduler.onApplicationShutdown();
      await election.close();
      await store.close();
    }
    await pg.end();
    await database.drop();
  }, 30_000);

  const issue = async (orgId: string, validityDays: number): Promise<void> => {
    await material.recordNewKey((newKey) =>
      new KeyRingRepository(instances[0].store).execute(orgId, {
        type: 'IssueKey',
        data: { orgId, newKey, validity: { kind: 'days', days: validityDays } },
        metadata: { now: clock.now().toISOString(), actor: admin },
      }),
    );
  };
  const rotated = async (orgId: string): Promise<boolean> =>
    (await instances[0].store.readStream(keyRingStream(orgId))).map((e) => parseKeyRingEvent(e.type, e.data)).some((e) => e.type === 'KeyIssued' && e.data.reason === 'scheduled-rotation');
  const ticksThatRecorded = (instance: Instance): number => instance.logs.parsed().filter((l) => l.msg === 'scheduler tick').length;

  it('ticks only in the leader, and in the standby once the leader session ends', async () => {
    const leading = instances.map((i) => i.scheduler.isLeader());
    expect(leading).toEqual([true, false]);
    const [first, second] = instances;

    const orgA = `org-${randomUUID().slice(0, 8)}`;
    await issue(orgA, 10);
    clock.set(day(9));
    // The tick logs once it has done the whole ring, a moment after the rotation is stored.
    await waitFor(async () => (await rotated(orgA)) && ticksThatRecorded(first) > 0, { timeoutMs: 20_000, description: "the leader's scheduled rotation of org A" });
    expect(ticksThatRecorded(second)).toBe(0);

    const { rows } = await pg.query<{ pid: number }>(
      "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()",
    );
    const endedAt = Date.now();
    await pg.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await waitFor(() => second.scheduler.isLeader(), { timeoutMs: 5_000, description: 'the standby scheduler to lead' });
    console.log(`scheduler failover: takeover ${Date.now() - endedAt} ms`);
    const ticksOfDeposed = ticksThatRecorded(first);

    const orgB = `org-${randomUUID().slice(0, 8)}`;
    await issue(orgB, 10);
    clock.set(day(18));
    await waitFor(async () => (await rotated(orgB)) && ticksThatRecorded(second) > 0, { timeoutMs: 20_000, description: "the new leader's scheduled rotation of org B" });
    expect(ticksThatRecorded(first)).toBe(ticksOfDeposed);
    expect(first.scheduler.isLeader()).toBe(false);
  }, 60_000);
});
