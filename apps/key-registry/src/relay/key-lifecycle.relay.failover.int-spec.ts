import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { envelopeFromMessage, keyRingStream, Topics } from '@keywarden/contracts';
import { PostgresEventStore } from '@keywarden/event-store';
import { KafkaMessageBus } from '@keywarden/messaging';
import { PostgresLeaderElection } from '@keywarden/platform';
import { TestDatabase } from '../../../../test/support/postgres-database';
import { waitFor } from '../../../../test/support/wait-for';
import { KeyLifecycleRelay } from './key-lifecycle.relay';
import { RelayCheckpointStore } from './relay-checkpoint.store';

// Two registry "processes" (each its own store connections, Kafka client and election) on one
// PostgreSQL database: only the elected relay publishes, and when its leadership ends under a
// steady stream of appends the other resumes from the saved checkpoint: every event exactly once.

const brokers = (): string[] => {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: the Jest global setup starts Kafka for int tests');
  return process.env.KAFKA_BROKERS.split(',');
};

type Instance = { store: PostgresEventStore; bus: KafkaMessageBus; election: PostgresLeaderElection; relay: KeyLifecycleRelay };

describe('key-lifecycle relay failover on PostgreSQL and Kafka', () => {
  let database: TestDatabase;
  let admin: Client;
  let instances: Instance[];
  let collectorBus: KafkaMessageBus;
  const logger = pino({ level: 'silent' });

  beforeEach(async () => {
    database = await TestDatabase.create('relay_failover');
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    collectorBus = new KafkaMessageBus({ brokers: brokers(), clientId: `relay-failover-collector-${randomUUID().slice(0, 8)}` });
    instances = [];
    for (let i = 0; i < 2; i++) {
      const store = new PostgresEventStore(database.url);
      const bus = new KafkaMessageBus({ brokers: brokers(), clientId: `relay-failover-${i}-${randomUUID().slice(0, 8)}` });
      const election = new PostgresLeaderElection(database.url, logger);
      const relay = new KeyLifecycleRelay(store, bus, new RelayCheckpointStore(store), logger, undefined, election);
      await relay.onApplicationBootstrap();
      instances.push({ store, bus, election, relay });
    }
  }, 60_000);

  afterEach(async () => {
    for (const { relay, election, bus, store } of instances) {
      await relay.onApplicationShutdown();
      await election.close();
      await bus.close();
      await store.close();
    }
    await collectorBus.close();
    await admin.end();
    await database.drop();
  }, 60_000);

  async function collect(orgId: string): Promise<{ revisions: number[]; stop(): Promise<void> }> {
    const revisions: number[] = [];
    await collectorBus.ensureTopics([{ topic: Topics.keyLifecycle }]);
    const handle = await collectorBus.subscribe({
      groupId: `relay-failover-${randomUUID()}`,
      topics: [Topics.keyLifecycle],
      handler: async (message) => {
        if (message.key !== orgId) return;
        revisions.push(envelopeFromMessage(message.headers, message.key, message.value).streamRevision!);
      },
    });
    return { revisions, stop: () => handle.stop() };
  }

  /** Appends `count` events to the org's ring, alternating between the two instances' stores, `everyMs` apart. */
  async function appendSteadily(orgId: string, from: number, count: number, everyMs: number): Promise<void> {
    for (let i = from; i < from + count; i++) {
      await instances[i % 2].store.appendToStream(
        keyRingStream(orgId),
        [{ eventId: randomUUID(), type: 'KeyDeleted', data: { orgId, keyId: `key_${i}`, deletedAt: new Date().toISOString(), actor: { sub: 's', email: null } } }],
        'any',
      );
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  const leaderIndex = (): number => {
    const leading = instances.map((i) => i.relay.isLeader());
    expect(leading.filter(Boolean)).toHaveLength(1);
    return leading.indexOf(true);
  };

  const leaderSessionPid = async (): Promise<number> => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()",
    );
    return rows[0].pid;
  };

  const TOTAL = 120;

  it.each([
    ['its session is terminated by PostgreSQL', 'terminate'],
    ['the leader shuts down (its lock connection closed)', 'shutdown'],
  ] as const)('publishes every event exactly once, in order, when %s mid-stream', async (_title, how) => {
    const orgId = `org-${randomUUID().slice(0, 8)}`;
    const collector = await collect(orgId);
    try {
      const first = leaderIndex();
      const appending = appendSteadily(orgId, 0, TOTAL, 15);
      await waitFor(() => collector.revisions.length >= TOTAL / 3, { timeoutMs: 20_000, description: 'a third of the events published by the first leader' });

      const endedAt = Date.now();
      if (how === 'terminate') await admin.query('SELECT pg_terminate_backend($1)', [await leaderSessionPid()]);
      else await instances[first].relay.onApplicationShutdown();
      await waitFor(() => instances[1 - first].relay.isLeader(), { timeoutMs: 5_000, description: 'the standby relay to lead' });
      const takeoverMs = Date.now() - endedAt;

      await appending;
      await waitFor(() => collector.revisions.length >= TOTAL, { timeoutMs: 30_000, description: `all ${TOTAL} events on the topic` });
      // Anything republished twice would arrive within the same time: give it the time to show.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      console.log(`relay failover (${how}): takeover ${takeoverMs} ms, ${TOTAL} events, ${collector.revisions.length} messages on the topic`);
      expect(collector.revisions).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
      expect(takeoverMs).toBeLessThan(2_000);
    } finally {
      await collector.stop();
    }
  }, 90_000);
});
