import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { envelopeFromMessage, keyRingStream, Topics } from '@keywarden/contracts';
import { SqliteEventStore } from '@keywarden/event-store';
import { KafkaMessageBus, MessageBus, OutgoingMessage } from '@keywarden/messaging';
import { waitFor } from '../../../../test/support/wait-for';
import { KeyLifecycleRelay } from './key-lifecycle.relay';
import { RelayCheckpointStore } from './relay-checkpoint.store';
import { readTopics } from '../../../../test/support/topic-reader';

const brokers = (): string[] => {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: the Jest global setup starts Kafka for int tests');
  return process.env.KAFKA_BROKERS.split(',');
};

/** A bus that dies at one chosen message: before publishing it, or after publishing it. */
class CrashingBus implements MessageBus {
  crashed = false;
  constructor(
    private readonly inner: MessageBus,
    private readonly crashAtRevision: number,
    private readonly when: 'before-publish' | 'after-publish',
  ) {}
  ensureTopics: MessageBus['ensureTopics'] = (specs) => this.inner.ensureTopics(specs);
  subscribe: MessageBus['subscribe'] = (options) => this.inner.subscribe(options);
  partitionOffsets: MessageBus['partitionOffsets'] = (topic) => this.inner.partitionOffsets(topic);
  consumerLag: MessageBus['consumerLag'] = () => this.inner.consumerLag();
  close = async (): Promise<void> => undefined;
  async publish(messages: OutgoingMessage[]): Promise<void> {
    const revision = Number(messages[0].headers.ce_streamrevision);
    if (this.crashed) throw new Error('process is dead'); // a dead process publishes nothing, even when retried
    if (revision === this.crashAtRevision && this.when === 'before-publish') {
      this.crashed = true;
      throw new Error('killed between append and publish');
    }
    await this.inner.publish(messages);
    if (revision === this.crashAtRevision) {
      this.crashed = true;
      throw new Error('killed between publish and checkpoint');
    }
  }
}

describe('key-lifecycle relay on a real Kafka broker', () => {
  let dir: string;
  let store: SqliteEventStore;
  let bus: KafkaMessageBus;
  const logger = pino({ level: 'silent' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-'));
    store = new SqliteEventStore(join(dir, 'events.sqlite'));
    bus = new KafkaMessageBus({ brokers: brokers(), clientId: `relay-test-${randomUUID().slice(0, 8)}` });
  });

  afterEach(async () => {
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function collect(orgId: string): Promise<{ revisions: number[]; stop(): Promise<void> }> {
    await bus.ensureTopics([{ topic: Topics.keyLifecycle }]);
    const reader = await readTopics(bus, { topics: [Topics.keyLifecycle], groupPrefix: 'relay-test', accept: (message) => message.key === orgId });
    return {
      get revisions(): number[] {
        return reader.messages.map((message) => envelopeFromMessage(message.headers, message.key, message.value).streamRevision!);
      },
      stop: reader.stop,
    };
  }

  async function append(orgId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await store.appendToStream(
        keyRingStream(orgId),
        [{ eventId: randomUUID(), type: 'KeyDeleted', data: { orgId, keyId: `key_${i}`, deletedAt: new Date().toISOString(), actor: { sub: 's', email: null } }, metadata: { requestId: `req-${i}` } }],
        'any',
      );
    }
  }

  it('publishes every stored event in order with the envelope headers', async () => {
    const orgId = `org-${randomUUID().slice(0, 8)}`;
    const collector = await collect(orgId);
    const relay = new KeyLifecycleRelay(store, bus, new RelayCheckpointStore(store), logger);
    await relay.start();
    try {
      await append(orgId, 5);
      await waitFor(() => collector.revisions.length >= 5, { timeoutMs: 20_000, description: '5 relayed events' });
      expect(collector.revisions).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await relay.stop();
      await collector.stop();
    }
  });

  it('survives a publish failure in a live process: it retries and delivers everything in order', async () => {
    const orgId = `org-${randomUUID().slice(0, 8)}`;
    const collector = await collect(orgId);
    let failuresLeft = 2;
    const flaky: MessageBus = {
      ensureTopics: (specs) => bus.ensureTopics(specs),
      subscribe: (options) => bus.subscribe(options),
      partitionOffsets: (topic) => bus.partitionOffsets(topic),
      consumerLag: () => bus.consumerLag(),
      close: async () => undefined,
      publish: async (messages) => {
        if (Number(messages[0].headers.ce_streamrevision) === 2 && failuresLeft-- > 0) throw new Error('broker unavailable');
        await bus.publish(messages);
      },
    };
    const relay = new KeyLifecycleRelay(store, flaky, new RelayCheckpointStore(store), logger);
    await relay.start();
    try {
      await append(orgId, 5);
      await waitFor(() => collector.revisions.length >= 5, { timeoutMs: 20_000, description: 'all events despite the failures' });
      expect(collector.revisions).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await relay.stop();
      await collector.stop();
    }
  });

  it.each(['before-publish', 'after-publish'] as const)('killed %s, loses nothing and keeps the order after a restart', async (when) => {
    const orgId = `org-${randomUUID().slice(0, 8)}`;
    const collector = await collect(orgId);
    const crashing = new CrashingBus(bus, 3, when);
    const first = new KeyLifecycleRelay(store, crashing, new RelayCheckpointStore(store), logger, { checkpointEveryMs: 0 });
    await first.start();
    await append(orgId, 8);
    await waitFor(() => crashing.crashed, { description: 'the relay to die' });
    await first.stop().catch(() => undefined);

    const second = new KeyLifecycleRelay(store, bus, new RelayCheckpointStore(store), logger);
    await second.start();
    try {
      await waitFor(() => new Set(collector.revisions).size === 8, { timeoutMs: 20_000, description: 'all 8 events after the restart' });
      // At least once: a replayed event may come twice, but never out of order, never missing.
      const firstSeen = collector.revisions.filter((r, i) => collector.revisions.indexOf(r) === i);
      expect(firstSeen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (let i = 1; i < collector.revisions.length; i++) expect(collector.revisions[i]).toBeLessThanOrEqual(collector.revisions[i - 1] + 1);
    } finally {
      await second.stop();
      await collector.stop();
    }
  });
});
