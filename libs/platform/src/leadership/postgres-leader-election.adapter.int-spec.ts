import { Client } from 'pg';
import pino from 'pino';
import { metricsRegistry } from '@keywarden/observability';
import { LogCapture } from '../../../../test/support/log-capture';
import { TestDatabase } from '../../../../test/support/postgres-database';
import { waitFor } from '../../../../test/support/wait-for';
import { Campaign, LeaderRole } from './leader-election.port';
import { PostgresLeaderElection } from './postgres-leader-election.adapter';

// Two "processes" (two elections, each with its own connections) on one database campaign for the
// same role: exactly one leads, and when its session ends the other takes over within the bound.

/** A candidate's duty that records when it led and stepped down. */
class RecordingDuty {
  leading = false;
  ledAt: number[] = [];
  steppedDownAt: number[] = [];
  readonly lead = async (): Promise<void> => {
    this.leading = true;
    this.ledAt.push(Date.now());
  };
  readonly stepDown = async (): Promise<void> => {
    this.leading = false;
    this.steppedDownAt.push(Date.now());
  };
}

// Each step waits on PostgreSQL and timers: more than Jest's 5 s default on a loaded machine.
jest.setTimeout(30_000);

describe('PostgresLeaderElection', () => {
  let database: TestDatabase;
  let admin: Client;
  let elections: PostgresLeaderElection[];
  const logs = new LogCapture();
  const logger = pino({ level: 'info' }, logs);

  beforeEach(async () => {
    database = await TestDatabase.create('leader');
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    elections = [];
  });

  afterEach(async () => {
    for (const election of elections) await election.close();
    await admin.end();
    await database.drop();
  });

  const candidate = async (role: LeaderRole): Promise<{ duty: RecordingDuty; campaign: Campaign }> => {
    const election = new PostgresLeaderElection(database.url, logger);
    elections.push(election);
    const duty = new RecordingDuty();
    return { duty, campaign: await election.campaign(role, duty) };
  };

  /** The PostgreSQL backend holding the role's advisory lock, i.e. the leader's session. */
  const lockHolder = async (): Promise<number> => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()",
    );
    expect(rows).toHaveLength(1);
    return rows[0].pid;
  };

  it('elects exactly one of two candidates, and the other takes over within a second of the leader session ending', async () => {
    const a = await candidate('key-lifecycle-relay');
    const b = await candidate('key-lifecycle-relay');
    expect([a.campaign.isLeader(), b.campaign.isLeader()]).toEqual([true, false]);
    expect(a.duty.leading).toBe(true);

    const killedAt = Date.now();
    await admin.query('SELECT pg_terminate_backend($1)', [await lockHolder()]);
    await waitFor(() => b.duty.leading, { timeoutMs: 5_000, description: 'the standby to lead' });
    const takeoverMs = b.duty.ledAt[0] - killedAt;
    console.log(`leader session terminated -> standby leading in ${takeoverMs} ms; old leader stepped down after ${a.duty.steppedDownAt[0] - killedAt} ms`);

    // The deposed leader stepped down before its successor started, and stands by now.
    expect(a.duty.steppedDownAt[0]).toBeLessThanOrEqual(b.duty.ledAt[0]);
    expect(takeoverMs).toBeLessThan(1_000);
    expect(a.campaign.isLeader()).toBe(false);
    expect(b.campaign.isLeader()).toBe(true);
    expect(logs.parsed().filter((l) => l.msg === 'leadership lost' && l.role === 'key-lifecycle-relay')).toHaveLength(1);
    expect(logs.parsed().filter((l) => l.msg === 'leadership gained' && l.role === 'key-lifecycle-relay').length).toBeGreaterThanOrEqual(2);

    const metrics = await metricsRegistry.getSingleMetricAsString('keywarden_leader');
    expect(metrics).toMatch(/keywarden_leader\{role="key-lifecycle-relay"\} 1/);
  });

  it('hands the role over on resignation, stepping down before the lock is given back', async () => {
    const a = await candidate('lifecycle-scheduler');
    const b = await candidate('lifecycle-scheduler');
    await a.campaign.resign();
    await waitFor(() => b.duty.leading, { timeoutMs: 5_000, description: 'the standby to lead' });
    expect(a.duty.steppedDownAt[0]).toBeLessThan(b.duty.ledAt[0]);
    expect(a.duty.leading).toBe(false);
  });

  it('holds each role separately: two roles can have two different leaders', async () => {
    const relay = await candidate('settings-relay');
    const scheduler = await candidate('lifecycle-scheduler');
    expect(relay.campaign.isLeader()).toBe(true);
    expect(scheduler.campaign.isLeader()).toBe(true);
  });

  it('leads again after its own connection was lost when nobody else holds the role', async () => {
    const a = await candidate('settings-relay');
    await admin.query('SELECT pg_terminate_backend($1)', [await lockHolder()]);
    await waitFor(() => a.duty.steppedDownAt.length === 1 && a.duty.leading, { timeoutMs: 5_000, description: 'the candidate to lead again' });
    expect(a.duty.ledAt).toHaveLength(2);
  });
});
