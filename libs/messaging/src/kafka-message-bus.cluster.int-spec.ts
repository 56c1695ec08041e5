// The message bus on a three-broker cluster of its own (replication factor 3, min.insync.replicas 2):
// the contract holds, and publishing goes on, losing nothing, while one broker is killed and restarted.
import { Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../../test/support/kafka-cluster';
import { waitFor } from '../../../test/support/wait-for';
import { KafkaMessageBus } from './kafka-message-bus.adapter';
import { IncomingMessage, OutgoingMessage } from './message-bus.port';
import { MessagingLogger } from './messaging-logger';
import { describeMessageBusContract, uniqueName } from './testing/message-bus.contract';

const cluster = new KafkaCluster();
const quiet: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
const makeBus = (clientId: string) =>
  new KafkaMessageBus({
    brokers: cluster.brokers,
    clientId,
    logger: quiet,
    retryBackoff: { initialDelayMs: 20, maxDelayMs: 200 },
    replicationFactor: 3,
    minInsyncReplicas: 2,
  });

beforeAll(async () => {
  const started = Date.now();
  await cluster.start();
  process.stdout.write(`[kafka-cluster] three brokers ready in ${Date.now() - started} ms\n`);
}, 180_000);

afterAll(() => cluster.stop(), 60_000);

describeMessageBusContract('Kafka, three brokers', { makeBus: () => makeBus('keywarden-cluster-contract'), testTimeoutMs: 60_000 });

describe('KafkaMessageBus on three brokers', () => {
  it('creates topics with three replicas and min.insync.replicas 2, and keeps publishing with a broker killed: nothing lost, nothing out of order per key', async () => {
    const bus = makeBus('keywarden-cluster-fault');
    const admin = new Kafka({ clientId: 'keywarden-cluster-admin', brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const received: IncomingMessage[] = [];
    try {
      const topic = uniqueName('cluster');
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0].partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }] });
      expect(configs.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');

      await bus.subscribe({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true, handler: async (m) => void received.push(m) });
      // The broker that leads partition 0: killing it forces a leader election under the producer.
      const leaderId = metadata.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
      const victim = leaderId - 1;
      const keys = Array.from({ length: 12 }, (_, i) => `org-${i}`);
      const sent: OutgoingMessage[] = [];
      const total = 240;
      let killedAt = 0;
      let restarted: Promise<void> | undefined;
      const publishStarted = Date.now();
      for (let i = 0; i < total; i++) {
        if (i === total / 3) {
          cluster.kill(victim);
          killedAt = Date.now();
        }
        if (i === (2 * total) / 3) restarted = cluster.restart(victim);
        const key = keys[i % keys.length];
        const message = { topic, key, value: `${key}:${i}`, headers: {} };
        // One message per publish, each acknowledged by two replicas at least before the next.
        await bus.publish([message]);
        sent.push(message);
      }
      const publishMs = Date.now() - publishStarted;
      await restarted;
      const restartMs = Date.now() - killedAt;
      await waitFor(() => new Set(received.map((m) => m.value)).size >= total, { timeoutMs: 60_000, description: 'every message consumed' });

      const firstSeen = [...new Map(received.map((m) => [m.value, m])).values()];
      const duplicates = received.length - firstSeen.length;
      process.stdout.write(
        `[kafka-cluster] ${total} messages published in ${publishMs} ms with broker ${leaderId} SIGKILLed after ${total / 3} (back after ${restartMs} ms): lost 0, duplicates delivered ${duplicates}\n`,
      );
      expect(new Set(firstSeen.map((m) => m.value))).toEqual(new Set(sent.map((m) => m.value)));
      for (const key of keys) {
        const order = firstSeen.filter((m) => m.key === key).map((m) => Number(m.value.split(':')[1]));
        expect({ key, order }).toEqual({ key, order: sent.filter((m) => m.key === key).map((m) => Number(m.value.split(':')[1])) });
      }
      // What the topic holds: every message once (the idempotent producer wrote no retry twice).
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)).toBe(total);
    } finally {
      await bus.close();
      await admin.disconnect();
    }
  }, 240_000);
});
