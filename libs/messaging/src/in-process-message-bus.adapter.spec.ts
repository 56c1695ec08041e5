import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLetterTopic } from '@keywarden/contracts';
import { waitFor } from '../../../test/support/wait-for';
import { DLQ_HEADERS, isPoisonError, retryDelayMs } from './consumer-failure';
import { InProcessMessageBus } from './in-process-message-bus.adapter';
import { PoisonMessageError } from './message-bus.port';
import { silentMessagingLogger } from './messaging-logger';
import { collector, describeMessageBusContract, uniqueName } from './testing/message-bus.contract';
import { messageBusThroughTransport } from './testing/message-bus-through-transport';

const makeBus = () => new InProcessMessageBus({ retryBackoff: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentMessagingLogger });

describeMessageBusContract('in-process', { makeBus });

const durableDir = mkdtempSync(join(tmpdir(), 'keywarden-bus-'));
afterAll(() => rmSync(durableDir, { recursive: true, force: true }));
const durableBus = (file: string, options: { retentionMs?: number } = {}) =>
  new InProcessMessageBus({ retryBackoff: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentMessagingLogger, durableLogPath: join(durableDir, file), ...options });

let durableFiles = 0;
describeMessageBusContract('in-process, durable log', { makeBus: () => durableBus(`contract-${durableFiles++}.sqlite`) });
describeMessageBusContract('in-process, durable log, through the Nest transport', {
  makeBus: () => messageBusThroughTransport(durableBus(`contract-${durableFiles++}.sqlite`)),
});

describe('InProcessMessageBus with a durable log, across a restart', () => {
  it('keeps the compacted topic: a reader that starts after the restart gets each key latest message', async () => {
    const before = durableBus('compacted.sqlite');
    await before.ensureTopics([{ topic: 'settings', compacted: true }]);
    await before.publish(['v1', 'v2'].map((value) => ({ topic: 'settings', key: 'org-1', value, headers: { h: value } })));
    await before.publish([{ topic: 'settings', key: 'org-2', value: 'w1', headers: {} }]);
    await before.close();

    const after = durableBus('compacted.sqlite');
    const c = collector();
    await after.subscribe({ groupId: 'new-reader', topics: ['settings'], fromBeginning: true, handler: c.handler });
    await c.waitForCount(2);
    expect(c.received.map((m) => [m.key, m.value, m.headers.h])).toEqual(expect.arrayContaining([['org-1', 'v2', 'v2'], ['org-2', 'w1', undefined]]));
    const ends = (await after.partitionOffsets('settings')).reduce((sum, p) => sum + Number(p.end), 0);
    expect(ends).toBe(3);
    await after.close();
  });

  it('resumes a group at its committed position: nothing handled twice, nothing published before the stop missed', async () => {
    const before = durableBus('positions.sqlite');
    await before.ensureTopics([{ topic: 'mail', partitions: 1 }]);
    const first = collector();
    await before.subscribe({ groupId: 'notifier', topics: ['mail'], handler: first.handler });
    await before.publish([{ topic: 'mail', key: 'org-1', value: 'm1', headers: {} }]);
    await first.waitForCount(1);
    await before.close();
    // Published while the consumer is gone: its restart must deliver it.
    const publisher = durableBus('positions.sqlite');
    await publisher.publish([{ topic: 'mail', key: 'org-1', value: 'm2', headers: {} }]);
    await publisher.close();

    const after = durableBus('positions.sqlite');
    const second = collector();
    await after.subscribe({ groupId: 'notifier', topics: ['mail'], handler: second.handler });
    await after.publish([{ topic: 'mail', key: 'org-1', value: 'm3', headers: {} }]);
    await second.waitForCount(2);
    expect(second.received.map((m) => [m.value, m.offset])).toEqual([
      ['m2', '1'],
      ['m3', '2'],
    ]);
    await after.close();
  });

  it('never reuses an offset, and drops what is older than the retention (a compacted topic keeps each key)', async () => {
    const before = durableBus('retention.sqlite');
    await before.ensureTopics([{ topic: 'usage', partitions: 1 }, { topic: 'settings', partitions: 1, compacted: true }]);
    await before.publish([{ topic: 'usage', key: 'org-1', value: 'u1', headers: {} }, { topic: 'settings', key: 'org-1', value: 's1', headers: {} }]);
    await before.close();

    const after = durableBus('retention.sqlite', { retentionMs: -1 });
    expect(after.readTopic('usage')).toEqual([]);
    expect(after.readTopic('settings').map((m) => m.value)).toEqual(['s1']);
    expect(await after.partitionOffsets('usage')).toEqual([{ partition: 0, start: '1', end: '1' }]);
    await after.publish([{ topic: 'usage', key: 'org-1', value: 'u2', headers: {} }]);
    expect(after.readTopic('usage').map((m) => [m.value, m.offset])).toEqual([['u2', '1']]);
    await after.close();
  });
});

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

describe('InProcessMessageBus durable log file', () => {
  it('is used by one bus at a time: a second one on the same file is refused with a message naming it', async () => {
    const first = durableBus('locked.sqlite');
    expect(() => durableBus('locked.sqlite')).toThrow(/locked\.sqlite is in use by another Keywarden process/);
    await first.close();
    const next = durableBus('locked.sqlite');
    await next.close();
  });
});
