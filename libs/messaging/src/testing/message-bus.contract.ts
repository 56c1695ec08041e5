// The behaviour every MessageBus adapter must have, run against the in-process bus (unit) and against the
// real broker (int). Each test uses its own topics and group ids, and waits on conditions, never on time.
import { randomUUID } from 'node:crypto';
import { deadLetterTopic, envelopeToHeaders, EnvelopeError } from '@keywarden/contracts';
import { waitFor } from '../../../../test/support/wait-for';
import { DLQ_HEADERS } from '../consumer-failure';
import { ConsumerHandle, IncomingMessage, MessageBus, OutgoingMessage, PoisonMessageError } from '../message-bus.port';

export const uniqueName = (prefix: string): string => `test.${prefix}.${randomUUID().slice(0, 8)}`;

/** A handler that records what it is given, with a wait for "n messages so far". */
export function collector(onMessage: (m: IncomingMessage) => Promise<void> | void = () => undefined) {
  const received: IncomingMessage[] = [];
  return {
    received,
    handler: async (m: IncomingMessage): Promise<void> => {
      await onMessage(m);
      received.push(m);
    },
    waitForCount: (count: number, description = `${count} messages`) =>
      waitFor(() => received.length >= count, { timeoutMs: 20_000, description }),
  };
}

const message = (topic: string, key: string, value: string, headers: Record<string, string> = {}): OutgoingMessage => ({
  topic,
  key,
  value,
  headers,
});

/** Messages of a topic as a fresh group replays them from the beginning. */
async function replay(bus: MessageBus, topic: string, expected: number): Promise<IncomingMessage[]> {
  const c = collector();
  const handle = await bus.subscribe({ groupId: uniqueName('replay'), topics: [topic], fromBeginning: true, handler: c.handler });
  try {
    await c.waitForCount(expected, `${expected} messages replayed from ${topic}`);
    return c.received;
  } finally {
    await handle.stop();
  }
}

export type MessageBusContractOptions = {
  /** A bus whose retry backoff is short (tens of milliseconds), so redelivery tests stay fast. */
  makeBus: () => MessageBus | Promise<MessageBus>;
  /** @default 5_000 */
  testTimeoutMs?: number;
};

export function describeMessageBusContract(adapter: string, { makeBus, testTimeoutMs = 5_000 }: MessageBusContractOptions): void {
  describe(`MessageBus contract: ${adapter}`, () => {
    let bus: MessageBus;
    const handles: ConsumerHandle[] = [];
    const subscribe = async (...args: Parameters<MessageBus['subscribe']>) => {
      const handle = await bus.subscribe(...args);
      handles.push(handle);
      return handle;
    };

    beforeAll(async () => {
      bus = await makeBus();
    });
    afterEach(async () => {
      await Promise.all(handles.splice(0).map((h) => h.stop()));
    });
    afterAll(async () => {
      await bus?.close();
    });

    it('keeps the order of the messages of each key', async () => {
      const topic = uniqueName('order');
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const c = collector();
      await subscribe({ groupId: uniqueName('g'), topics: [topic], handler: c.handler });
      const keys = ['org-a', 'org-b', 'org-c', 'org-d'];
      const sent: OutgoingMessage[] = [];
      for (let i = 0; i < 10; i++) {
        const batch = keys.map((k) => message(topic, k, `${k}:${i}`));
        sent.push(...batch);
        // Half the rounds one call per message, half one call for the round: both keep per-key order.
        if (i % 2 === 0) for (const m of batch) await bus.publish([m]);
        else await bus.publish(batch);
      }
      // At least once: a rebalance under load may redeliver, so order is checked on first sightings.
      await waitFor(() => new Set(c.received.map((m) => m.value)).size >= sent.length, { timeoutMs: 20_000, description: `${sent.length} distinct messages` });
      for (const key of keys) {
        const got = c.received.filter((m) => m.key === key);
        const firstSeen = [...new Set(got.map((m) => m.value))];
        expect(firstSeen).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
        expect(new Set(got.map((m) => m.partition)).size).toBe(1);
      }
    }, testTimeoutMs);

    it('delivers key, value and every header unchanged', async () => {
      const topic = uniqueName('headers');
      await bus.ensureTopics([{ topic }]);
      const c = collector();
      await subscribe({ groupId: uniqueName('g'), topics: [topic], handler: c.handler });
      const headers = {
        ...envelopeToHeaders({
          id: randomUUID(),
          type: 'KeyRevoked',
          source: 'keywarden/key-registry',
          schemaVersion: 1,
          orgId: 'org-7',
          streamId: 'keyring-org-7',
          streamRevision: 12,
          time: '2026-01-02T03:04:05.000Z',
          correlationId: 'req-123',
          causationId: 'cmd-9',
        }),
        'x-unicode': 'clé — ключ',
        'x-empty': '',
      };
      await bus.publish([message(topic, 'org-7', '{"keyId":"k1"}', headers)]);
      await c.waitForCount(1);
      const [got] = c.received;
      expect(got).toMatchObject({ topic, key: 'org-7', value: '{"keyId":"k1"}', headers });
      expect(Object.keys(got.headers).sort()).toEqual(Object.keys(headers).sort());
      expect(typeof got.partition).toBe('number');
      expect(got.offset).toMatch(/^\d+$/);
    }, testTimeoutMs);

    it('gives every message to each group', async () => {
      const topic = uniqueName('groups');
      await bus.ensureTopics([{ topic }]);
      const [first, second] = [collector(), collector()];
      await subscribe({ groupId: uniqueName('g1'), topics: [topic], handler: first.handler });
      await subscribe({ groupId: uniqueName('g2'), topics: [topic], handler: second.handler });
      const sent = Array.from({ length: 12 }, (_, i) => message(topic, `org-${i % 5}`, `v${i}`));
      await bus.publish(sent);
      await Promise.all([first.waitForCount(12), second.waitForCount(12)]);
      const values = (c: ReturnType<typeof collector>) => c.received.map((m) => m.value).sort();
      expect(values(first)).toEqual(sent.map((m) => m.value).sort());
      expect(values(second)).toEqual(sent.map((m) => m.value).sort());
    }, testTimeoutMs);

    it('shares the partitions among the members of one group', async () => {
      const topic = uniqueName('members');
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const groupId = uniqueName('g');
      const [a, b] = [collector(), collector()];
      await subscribe({ groupId, topics: [topic], handler: a.handler });
      await subscribe({ groupId, topics: [topic], handler: b.handler });
      const sent = Array.from({ length: 30 }, (_, i) => message(topic, `org-${i}`, `v${i}`));
      await bus.publish(sent);
      await waitFor(() => new Set([...a.received, ...b.received].map((m) => m.value)).size === sent.length, {
        timeoutMs: 20_000,
        description: 'every message handled by one of the members',
      });
      expect(a.received.length).toBeGreaterThan(0);
      expect(b.received.length).toBeGreaterThan(0);
    }, testTimeoutMs * 2);

    it('does not replay older messages to a new group unless fromBeginning', async () => {
      const topic = uniqueName('latest');
      await bus.ensureTopics([{ topic }]);
      await bus.publish([message(topic, 'org-1', 'before')]);
      const c = collector();
      await subscribe({ groupId: uniqueName('g'), topics: [topic], handler: c.handler });
      await bus.publish([message(topic, 'org-1', 'after')]);
      await c.waitForCount(1);
      expect(c.received.map((m) => m.value)).toEqual(['after']);
      expect((await replay(bus, topic, 2)).map((m) => m.value)).toEqual(['before', 'after']);
    }, testTimeoutMs);

    it('redelivers a message whose handler failed, and holds back the later messages of its partition', async () => {
      const topic = uniqueName('retry');
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const calls: string[] = [];
      let failuresLeft = 3;
      const c = collector((m) => {
        calls.push(m.value);
        if (m.value === 'm1' && failuresLeft-- > 0) throw new Error('Redis is down');
      });
      await subscribe({ groupId: uniqueName('g'), topics: [topic], handler: c.handler });
      await bus.publish([message(topic, 'org-1', 'm1'), message(topic, 'org-2', 'm2')]);
      await bus.publish([message(topic, 'org-1', 'm3')]);
      await c.waitForCount(3);
      expect(calls).toEqual(['m1', 'm1', 'm1', 'm1', 'm2', 'm3']);
      expect(c.received.map((m) => m.value)).toEqual(['m1', 'm2', 'm3']);
    }, testTimeoutMs);

    it('dead-letters a poison message with the error, commits it and moves on', async () => {
      const topic = uniqueName('poison');
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const calls: string[] = [];
      const c = collector((m) => {
        calls.push(m.value);
        if (m.value === 'bad') throw new PoisonMessageError('value is not a KeyRingEvent');
        if (m.value === 'bad-envelope') throw new EnvelopeError('message header ce_id is missing');
      });
      const groupId = uniqueName('g');
      const handle = await subscribe({ groupId, topics: [topic], handler: c.handler });
      const headers = { ce_id: 'e-1', 'x-trace': 't-1' };
      await bus.publish([
        message(topic, 'org-1', 'bad', headers),
        message(topic, 'org-1', 'good'),
        message(topic, 'org-1', 'bad-envelope'),
      ]);
      await c.waitForCount(1, 'the good message');
      const dead = await replay(bus, deadLetterTopic(topic), 2);
      expect(calls.filter((v) => v !== 'good')).toEqual(['bad', 'bad-envelope']);
      const bad = dead.find((m) => m.value === 'bad')!;
      expect(bad).toMatchObject({ topic: deadLetterTopic(topic), key: 'org-1' });
      expect(bad.headers).toMatchObject({
        ...headers,
        [DLQ_HEADERS.sourceTopic]: topic,
        [DLQ_HEADERS.sourcePartition]: '0',
        [DLQ_HEADERS.sourceOffset]: '0',
        [DLQ_HEADERS.errorCode]: 'POISON_MESSAGE',
      });
      expect(bad.headers[DLQ_HEADERS.error]).toContain('value is not a KeyRingEvent');
      expect(dead.find((m) => m.value === 'bad-envelope')!.headers).toMatchObject({
        [DLQ_HEADERS.errorCode]: 'BAD_ENVELOPE',
        [DLQ_HEADERS.sourceOffset]: '2',
      });

      // Everything above was committed: the group, restarted, resumes after it even with fromBeginning.
      await waitFor(() => calls.length === 3, { description: 'the third message handled' });
      await handle.stop();
      await bus.publish([message(topic, 'org-1', 'later')]);
      const again = collector();
      await subscribe({ groupId, topics: [topic], fromBeginning: true, handler: again.handler });
      await again.waitForCount(1);
      expect(again.received.map((m) => m.value)).toEqual(['later']);
    }, testTimeoutMs * 2);

    it('replays a compacted topic from the beginning with the latest value of each key', async () => {
      const topic = uniqueName('compacted');
      await bus.ensureTopics([{ topic, compacted: true }]);
      await bus.publish([message(topic, 'org-1', 'v1'), message(topic, 'org-2', 'v1'), message(topic, 'org-1', 'v2')]);
      const c = collector();
      await subscribe({ groupId: uniqueName('g'), topics: [topic], fromBeginning: true, handler: c.handler });
      // Kafka compacts only closed segments, so a replay may still hold older values: fold by key, as consumers do.
      await waitFor(() => c.received.some((m) => m.key === 'org-2') && c.received.some((m) => m.value === 'v2'), {
        description: 'the latest value of each key',
      });
      const latest = Object.fromEntries(c.received.map((m) => [m.key, m.value]));
      expect(latest).toEqual({ 'org-1': 'v2', 'org-2': 'v1' });
    }, testTimeoutMs);

    it('reports each partition’s start and end offsets: the next message of a partition gets its end offset', async () => {
      const topic = uniqueName('offsets');
      await bus.ensureTopics([{ topic, partitions: 2 }]);
      expect(await bus.partitionOffsets(topic)).toEqual([
        { partition: 0, start: '0', end: '0' },
        { partition: 1, start: '0', end: '0' },
      ]);
      await bus.publish(['org-1', 'org-2', 'org-3', 'org-1'].map((key, i) => message(topic, key, `v${i}`)));
      const offsets = await bus.partitionOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.end) - Number(p.start), 0)).toBe(4);
      // A consumer that has handled the last message of every partition has reached the ends.
      const received = await replay(bus, topic, 4);
      for (const { partition, end } of offsets) {
        const last = received.filter((m) => m.partition === partition).map((m) => Number(m.offset)).sort((a, b) => b - a)[0];
        expect({ partition, next: last === undefined ? 0 : last + 1 }).toEqual({ partition, next: Number(end) });
      }
      await expect(bus.partitionOffsets(uniqueName('missing'))).rejects.toThrow(/ensureTopics/);
    }, testTimeoutMs);

    it('reports a running group’s lag per partition: what it has not committed, down to 0 once handled', async () => {
      const topic = uniqueName('lag');
      const groupId = uniqueName('g');
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      let release = false;
      const c = collector(() => {
        if (!release) throw new Error('not yet: retried');
      });
      await subscribe({ groupId, topics: [topic], handler: c.handler });
      await bus.publish(['a', 'b', 'c'].map((v) => message(topic, 'org-1', v)));
      const lagOf = async () => (await bus.consumerLag()).filter((l) => l.groupId === groupId);
      expect(await lagOf()).toEqual([{ groupId, topic, partition: 0, lag: 3 }]);
      release = true;
      await c.waitForCount(3);
      await waitFor(async () => (await lagOf())[0]?.lag === 0, { description: 'lag 0 once every message is committed' });
    }, testTimeoutMs);

    it('refuses to publish to or consume a topic nobody created', async () => {
      const topic = uniqueName('missing');
      await expect(bus.publish([message(topic, 'org-1', 'v')])).rejects.toThrow(/ensureTopics/);
      await expect(bus.subscribe({ groupId: uniqueName('g'), topics: [topic], handler: async () => undefined })).rejects.toThrow(
        /ensureTopics/,
      );
    }, testTimeoutMs);
  });
}
