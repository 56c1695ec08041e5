import pino from 'pino';
import { DEFAULT_SETTINGS, deadLetterTopic, orgSettingsMessage, OrgSettings, Topics } from '@keywarden/contracts';
import { InProcessMessageBus, silentMessagingLogger } from '@keywarden/messaging';
import { createLogger } from '@keywarden/observability';
import { LogCapture } from '../../../test/support/log-capture';
import { waitFor } from '../../../test/support/wait-for';
import { OrgSettingsChange, OrgSettingsTopicReader } from './org-settings-topic.reader';

const settingsMessage = (orgId: string, settings: unknown, revision: number, correlationId?: string) =>
  orgSettingsMessage({ orgId, settings, id: `${orgId}-${revision}`, streamRevision: revision, time: new Date().toISOString(), correlationId });

describe('OrgSettingsTopicReader (in-process bus)', () => {
  let bus: InProcessMessageBus;
  let logs: LogCapture;
  let groupCounter = 0;
  const readers: OrgSettingsTopicReader[] = [];

  beforeEach(async () => {
    bus = new InProcessMessageBus({ logger: silentMessagingLogger, retryBackoff: { initialDelayMs: 1, maxDelayMs: 5 } });
    logs = new LogCapture();
  });

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
    await bus.close();
  });

  async function startReader(): Promise<{ reader: OrgSettingsTopicReader; changes: OrgSettingsChange[] }> {
    const reader = new OrgSettingsTopicReader(bus, createLogger('reader-test', 'info', logs), { groupId: `reader-${++groupCounter}` });
    const changes: OrgSettingsChange[] = [];
    reader.onChange((change) => void changes.push(change));
    await reader.start();
    readers.push(reader);
    return { reader, changes };
  }

  const custom = (overrides: Partial<OrgSettings>): OrgSettings => ({ ...DEFAULT_SETTINGS, ...overrides });

  it('answers the defaults for an organisation it has not heard of, without waiting', async () => {
    const { reader } = await startReader();
    expect(reader.current('nobody')).toBe(DEFAULT_SETTINGS);
    expect(await reader.get('nobody')).toBe(DEFAULT_SETTINGS);
  });

  it('creates the settings topic compacted when it starts before the settings service', async () => {
    await startReader();
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 1 }), 0), settingsMessage('acme', custom({ defaultGraceDays: 2 }), 1)]);
    // A compacted topic keeps only the latest message of a key.
    expect(bus.readTopic(Topics.settings).map((m) => JSON.parse(m.value).defaultGraceDays)).toEqual([2]);
  });

  it('applies each change, tells the listeners what changed and who caused it, and logs it under that request id', async () => {
    const { reader, changes } = await startReader();
    // One at a time: the topic is compacted, so a consumer may otherwise see only the latest.
    await bus.publish([settingsMessage('acme', custom({ isoUtcTimestamps: true }), 0, 'req-1')]);
    await waitFor(() => changes.length === 1);
    await bus.publish([settingsMessage('acme', custom({ isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id' }), 1, 'req-2')]);
    await waitFor(() => changes.length === 2);
    expect(reader.current('acme')).toEqual(custom({ isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id' }));
    expect(changes[0]).toEqual({ orgId: 'acme', settings: custom({ isoUtcTimestamps: true }), previous: DEFAULT_SETTINGS, correlationId: 'req-1' });
    expect(changes[1]).toMatchObject({ previous: custom({ isoUtcTimestamps: true }), correlationId: 'req-2' });
    expect(logs.parsed().filter((l) => l.msg === 'organisation settings applied').map((l) => l.requestId)).toEqual(['req-1', 'req-2']);
    expect(reader.knownOrgIds()).toEqual(['acme']);
  });

  it('ignores a redelivered or republished older revision', async () => {
    const reader = new OrgSettingsTopicReader(bus, pino({ level: 'silent' }), { groupId: 'unused' });
    const changes: OrgSettingsChange[] = [];
    reader.onChange((change) => void changes.push(change));
    const deliver = (days: number, revision: number) => {
      const m = settingsMessage('acme', custom({ expiryNoticeDays: days }), revision);
      return reader.handle({ ...m, partition: 0, offset: String(revision) });
    };
    await deliver(10, 0);
    await deliver(11, 1);
    await deliver(10, 0);
    await deliver(11, 1);
    expect(reader.current('acme').expiryNoticeDays).toBe(11);
    await deliver(12, 2);
    expect(changes.map((c) => c.settings.expiryNoticeDays)).toEqual([10, 11, 12]);
  });

  it('dead-letters a payload that breaks the settings contract and keeps following the topic', async () => {
    const { reader } = await startReader();
    await bus.publish([
      settingsMessage('acme', { ...DEFAULT_SETTINGS, requestIdHeader: 'Authorization' }, 0),
      settingsMessage('beta', { isoUtcTimestamps: true }, 0),
    ]);
    const deadLetters = await waitFor(() => {
      const found = bus.readTopic(deadLetterTopic(Topics.settings));
      return found.length === 2 ? found : null;
    });
    expect(deadLetters.map((m) => m.headers['x-dlq-error-code'])).toEqual(['CONTRACT_VIOLATION', 'CONTRACT_VIOLATION']);
    expect(reader.current('acme')).toBe(DEFAULT_SETTINGS);
    await bus.publish([settingsMessage('acme', custom({ rotationIntervalDays: 30 }), 1)]);
    await waitFor(() => reader.current('acme').rotationIntervalDays === 30);
  });

  it('ignores fields a newer producer added, keeping the ones it knows', async () => {
    const { reader } = await startReader();
    await bus.publish([settingsMessage('acme', { ...custom({ defaultGraceDays: 5 }), someFutureSetting: 'x' }, 0)]);
    await waitFor(() => reader.current('acme').defaultGraceDays === 5);
    expect(reader.current('acme')).toEqual(custom({ defaultGraceDays: 5 }));
  });

  it('keeps applying settings when a listener fails', async () => {
    const { reader } = await startReader();
    reader.onChange(() => {
      throw new Error('listener bug');
    });
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 1 }), 0), settingsMessage('beta', custom({ defaultGraceDays: 2 }), 0)]);
    await waitFor(() => reader.current('beta').defaultGraceDays === 2);
    expect(reader.current('acme').defaultGraceDays).toBe(1);
    expect(logs.parsed().filter((l) => l.msg === 'a settings listener failed; the settings are applied regardless')).toHaveLength(2);
  });

  it('a reader started after the changes replays the topic and has the latest settings of every organisation', async () => {
    await startReader();
    await bus.publish([
      settingsMessage('acme', custom({ rotationIntervalDays: 10 }), 0),
      settingsMessage('beta', custom({ rotationIntervalDays: 20 }), 0),
      settingsMessage('acme', custom({ rotationIntervalDays: 11 }), 1),
    ]);
    const { reader, changes } = await startReader();
    // start() resolved only once the replay reached the topic's end: no waiting after it.
    expect(reader.caughtUp).toBe(true);
    expect(reader.current('acme').rotationIntervalDays).toBe(11);
    expect(reader.current('beta').rotationIntervalDays).toBe(20);
    // Compaction left only the latest of each organisation to replay.
    expect(changes.map((c) => [c.orgId, c.settings.rotationIntervalDays]).sort()).toEqual([
      ['acme', 11],
      ['beta', 20],
    ]);
  });

  it('is not held back at start by a poison message at the end of the topic', async () => {
    await startReader();
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 4 }), 0), settingsMessage('acme', { ...DEFAULT_SETTINGS, requestIdHeader: 'Set-Cookie' }, 1)]);
    const { reader } = await startReader();
    expect(reader.caughtUp).toBe(true);
    // Compacted: only the poison one was left for acme, so the defaults stand.
    expect(reader.current('acme')).toEqual(DEFAULT_SETTINGS);
  });

  it('fails start with a clear error, naming the partition behind, when the replay cannot reach the end in time', async () => {
    await bus.ensureTopics([{ topic: Topics.settings, compacted: true }]);
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 4 }), 0)]);
    // A partition whose end the consumer never reaches (as a stuck broker or a failing handler would leave it).
    const stuck = Object.assign(Object.create(bus) as InProcessMessageBus, {
      partitionOffsets: async (topic: string) => (await bus.partitionOffsets(topic)).map((p) => ({ ...p, end: String(Number(p.end) + 1) })),
    });
    const reader = new OrgSettingsTopicReader(stuck, createLogger('reader-test', 'info', logs), { groupId: 'stuck', catchUpTimeoutMs: 200 });
    readers.push(reader);
    await expect(reader.start()).rejects.toThrow(
      new RegExp(`the settings topic ${Topics.settings.replace(/\./g, '\\.')} was not replayed within 200 ms \\(still behind: partition \\d \\(end offset \\d+\\)`),
    );
    expect(reader.caughtUp).toBe(false);
    expect(logs.parsed().some((l) => l.level === 'error' && /not starting with default settings/.test(String(l.msg)))).toBe(true);
  });

  it('logs the start-up replay at debug and live changes at info', async () => {
    await bus.ensureTopics([{ topic: Topics.settings, compacted: true }]);
    const old = settingsMessage('acme', custom({ defaultGraceDays: 1 }), 0);
    await bus.publish([{ ...old, headers: { ...old.headers, ce_time: '2020-01-01T00:00:00.000Z' } }]);
    const { reader } = await startReader();
    await waitFor(() => reader.current('acme').defaultGraceDays === 1);
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 2 }), 1), settingsMessage('beta', custom({ defaultGraceDays: 3 }), 0)]);
    await waitFor(() => reader.current('acme').defaultGraceDays === 2 && reader.current('beta').defaultGraceDays === 3);
    const applied = logs.parsed().filter((l) => l.msg === 'organisation settings applied');
    expect(applied.map((l) => [l.orgId, l.level]).sort()).toEqual([
      ['acme', 'info'],
      ['beta', 'info'],
    ]);
  });

  it('unsubscribes a listener', async () => {
    const { reader } = await startReader();
    const seen: string[] = [];
    const off = reader.onChange((c) => void seen.push(c.orgId));
    await bus.publish([settingsMessage('acme', custom({ defaultGraceDays: 1 }), 0)]);
    await waitFor(() => seen.length === 1);
    off();
    await bus.publish([settingsMessage('beta', custom({ defaultGraceDays: 1 }), 0)]);
    await waitFor(() => reader.current('beta').defaultGraceDays === 1);
    expect(seen).toEqual(['acme']);
  });
});
