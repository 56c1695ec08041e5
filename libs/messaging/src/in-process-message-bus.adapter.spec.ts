import { deadLetterTopic } from '@keywarden/contracts';
import { waitFor } from '../../../test/support/wait-for';
import { DLQ_HEADERS, isPoisonError, retryDelayMs } from './consumer-failure';
import { InProcessMessageBus } from './in-process-message-bus.adapter';
import { PoisonMessageError } from './message-bus.port';
import { silentMessagingLogger } from './messaging-logger';
import { collector, describeMessageBusContract, uniqueName } from './testing/message-bus.contract';

const makeBus = () => new InProcessMessageBus({ retryBackoff: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentMessagingLogger });

describeMessageBusContract('in-process', { makeBus });

describe('InProcessMessageBus', () => {
  it('keeps only the latest message of each key in a compacted topic', async () => {
    const bus = makeBus();
    const topic = uniqueName('compacted');
    await bus.ensureTopics([{ topic, compacted: true }]);
    await bus.publish(['v1', 'v2', 'v3'].map((value) => ({ topic, key: 'org-1', value, headers: {} })));
    await bus.publish([{ topic, key: 'org-2', value: 'w1', headers: {} }]);
    expect(bus.readTopic(topic).map((m) => [m.key, m.value])).toEqual(expect.arrayContaining([['org-1', 'v3'], ['org-2', 'w1']]));
    expect(bus.readTopic(topic)).toHaveLength(2);
    await bus.close();
  });

  it('keeps dead letters inspectable in memory', async () => {
    const bus = makeBus();
    const topic = uniqueName('dlq');
    await bus.ensureTopics([{ topic }]);
    await bus.subscribe({
      groupId: 'g',
      topics: [topic],
      handler: async () => {
        throw Object.assign(new Error('schema mismatch'), { code: 'CONTRACT_VIOLATION' });
      },
    });
    await bus.publish([{ topic, key: 'org-1', value: '{}', headers: { ce_id: 'e1' } }]);
    const [dead] = await waitFor(() => {
      const deadLetters = bus.readTopic(deadLetterTopic(topic));
      return deadLetters.length > 0 ? deadLetters : undefined;
    });
    expect(dead.headers).toMatchObject({ ce_id: 'e1', [DLQ_HEADERS.errorCode]: 'CONTRACT_VIOLATION', [DLQ_HEADERS.sourceTopic]: topic });
    await bus.close();
  });

  it('delivers after publish() has resolved, not during it', async () => {
    const bus = makeBus();
    const topic = uniqueName('async');
    await bus.ensureTopics([{ topic }]);
    const c = collector();
    await bus.subscribe({ groupId: 'g', topics: [topic], handler: c.handler });
    const publishing = bus.publish([{ topic, key: 'org-1', value: 'v', headers: {} }]);
    expect(c.received).toHaveLength(0);
    await publishing;
    await c.waitForCount(1);
    await bus.close();
  });

  it('waits for the handler in progress when a consumer stops, then hands its partitions to another member', async () => {
    const bus = makeBus();
    const topic = uniqueName('stop');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const first = collector(() => {
      entered = true;
      return blocked;
    });
    const handle = await bus.subscribe({ groupId: 'g', topics: [topic], handler: first.handler });
    await bus.publish([{ topic, key: 'org-1', value: 'one', headers: {} }]);
    await waitFor(() => entered, { description: 'the first handler to start' });
    const second = collector();
    await bus.subscribe({ groupId: 'g', topics: [topic], handler: second.handler });
    let stopped = false;
    const stopping = handle.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    await bus.publish([{ topic, key: 'org-1', value: 'two', headers: {} }]);
    await second.waitForCount(1);
    expect(first.received.map((m) => m.value)).toEqual(['one']);
    expect(second.received.map((m) => m.value)).toEqual(['two']);
    await bus.close();
  });
});

describe('consumer failure policy', () => {
  it('treats PoisonMessageError and the contract error codes as poison, anything else as retriable', () => {
    expect(isPoisonError(new PoisonMessageError('x'))).toBe(true);
    expect(isPoisonError(Object.assign(new Error('x'), { code: 'BAD_ENVELOPE' }))).toBe(true);
    expect(isPoisonError(Object.assign(new Error('x'), { code: 'CONTRACT_VIOLATION' }))).toBe(true);
    expect(isPoisonError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPoisonError(new Error('x'))).toBe(false);
    expect(isPoisonError(undefined)).toBe(false);
  });

  it('backs off exponentially from 100 ms to 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => retryDelayMs(n))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });
});
