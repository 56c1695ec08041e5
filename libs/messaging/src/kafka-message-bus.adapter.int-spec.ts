// Against the real broker that the Jest global setup starts (or KAFKA_BROKERS when given).
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { deadLetterTopic } from '@keywarden/contracts';
import { decodeHeaders, KafkaMessageBus } from './kafka-message-bus.adapter';
import { MessagingLogger } from './messaging-logger';
import { describeMessageBusContract, uniqueName } from './testing/message-bus.contract';
import { messageBusThroughTransport } from './testing/message-bus-through-transport';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const logs: Array<{ level: string; message: string }> = [];
const logger: MessagingLogger = {
  log: () => undefined,
  warn: (message) => logs.push({ level: 'warn', message }),
  error: (message) => logs.push({ level: 'error', message }),
};

const makeBus = () =>
  new KafkaMessageBus({
    brokers,
    clientId: 'keywarden-messaging-int',
    logger,
    retryBackoff: { initialDelayMs: 20, maxDelayMs: 100 },
  });

beforeAll(() => {
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set: the Jest global setup should have started a broker');
});

describeMessageBusContract('Kafka', { makeBus, testTimeoutMs: 30_000 });
describeMessageBusContract('Kafka, through the Nest transport', { makeBus: async () => messageBusThroughTransport(await makeBus()), testTimeoutMs: 30_000 });

describe('KafkaMessageBus', () => {
  const admin = new Kafka({ clientId: 'keywarden-messaging-int-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  let bus: KafkaMessageBus;
  beforeAll(async () => {
    await admin.connect();
    bus = makeBus();
  });
  afterAll(async () => {
    await bus.close();
    await admin.disconnect();
  });

  it('creates compacted topics with cleanup.policy=compact, and every topic with its .dlq', async () => {
    const topic = uniqueName('compact-config');
    const plain = uniqueName('plain-config');
    await bus.ensureTopics([{ topic, compacted: true, partitions: 2 }, { topic: plain }]);
    // Twice, and from a second client at once: creation tolerates topics that already exist.
    const second = makeBus();
    await Promise.all([bus.ensureTopics([{ topic, compacted: true }]), second.ensureTopics([{ topic: plain }])]);
    await second.close();

    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining([topic, deadLetterTopic(topic), plain, deadLetterTopic(plain)]));
    const policy = async (name: string) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy'] }],
      });
      return resources[0].configEntries[0].configValue;
    };
    expect(await policy(topic)).toBe('compact');
    expect(await policy(deadLetterTopic(topic))).toBe('delete');
    expect(await policy(plain)).toBe('delete');
    const metadata = await admin.fetchTopicMetadata({ topics: [topic, plain] });
    expect(metadata.topics.find((t) => t.name === topic)!.partitions).toHaveLength(2);
    expect(metadata.topics.find((t) => t.name === plain)!.partitions).toHaveLength(3);
  }, 30_000);

  it('decodes Buffer, string and repeated headers to strings', () => {
    expect(decodeHeaders({ a: Buffer.from('é'), b: 'x', c: [Buffer.from('1'), '2'], d: undefined })).toEqual({ a: 'é', b: 'x', c: '2' });
  });
});

afterAll(() => {
  // A kafkajs error would mean something broke below the port (retried responses and rebalances are warnings).
  expect(logs.filter((l) => l.level === 'error' && l.message.startsWith('kafkajs'))).toEqual([]);
});
