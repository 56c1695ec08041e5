import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import request from 'supertest';
import { DevelopmentIssuer } from '@keywarden/auth';
import { loadConfig } from '@keywarden/config';
import { DEFAULT_SETTINGS, orgSettingsMessage, OrgSettings, Topics } from '@keywarden/contracts';
import { KafkaMessageBus, silentMessagingLogger } from '@keywarden/messaging';
import { Infrastructure, OrgSettingsChange, OrgSettingsTopicReader, RunningService } from '@keywarden/platform';
import { LogCapture } from '../../../test/support/log-capture';
import { waitFor } from '../../../test/support/wait-for';
import { startSettings } from './settings.service';
import { readTopics } from '../../../test/support/topic-reader';

const brokers = (): string[] => {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: the Jest global setup starts Kafka for int tests');
  return process.env.KAFKA_BROKERS.split(',');
};

// The settings service on a real Kafka broker: every change reaches the compacted settings topic,
// a reader that follows it has the latest settings, and a reader started after the changes
// replays the topic and is up to date.
jest.setTimeout(60_000);

/** Waits until an assertion passes (waitFor needs a truthy value). */
const eventually = (assertion: () => Promise<void>, options: Parameters<typeof waitFor>[1]) =>
  waitFor(async () => {
    await assertion();
    return true;
  }, options);

describe('settings topic on a real Kafka broker', () => {
  let dataDir: string;
  let infra: Infrastructure;
  let service: RunningService;
  let api: ReturnType<typeof request>;
  const readers: OrgSettingsTopicReader[] = [];
  const buses: KafkaMessageBus[] = [];
  const silent = pino({ level: 'silent' });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'settings-int-'));
    const config = loadConfig({ KEYWARDEN_DATA_DIR: dataDir, KAFKA_BROKERS: brokers().join(','), SETTINGS_PORT: '0', LOG_LEVEL: 'info' });
    infra = new Infrastructure(config, `settings-int-${randomUUID().slice(0, 8)}`, { logDestination: new LogCapture() });
    service = await startSettings(infra);
    api = request(service.url!.replace('[::1]', '127.0.0.1'));
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.stop()));
    await Promise.all(buses.map((b) => b.close()));
    await service?.close();
    await infra?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startReader(): Promise<{ reader: OrgSettingsTopicReader; changes: OrgSettingsChange[] }> {
    const bus = new KafkaMessageBus({ brokers: brokers(), clientId: `settings-reader-test-${randomUUID().slice(0, 8)}`, logger: silentMessagingLogger });
    buses.push(bus);
    const reader = new OrgSettingsTopicReader(bus, silent, { groupId: `settings-reader-test-${randomUUID()}` });
    const changes: OrgSettingsChange[] = [];
    reader.onChange((change) => void changes.push(change));
    await reader.start();
    readers.push(reader);
    return { reader, changes };
  }

  const tokenFor = (org: string, role: 'admin' | 'operator' = 'admin') => new DevelopmentIssuer(dataDir).issue({ orgId: org, email: `${role}@${org}.test`, role });

  it('a running reader gets every change and ends with the latest settings; a reader started afterwards is up to date', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    const auth = { Authorization: `Bearer ${await tokenFor(org)}` };
    const early = await startReader();
    expect(await early.reader.get(org)).toEqual(DEFAULT_SETTINGS);

    await api.patch(`/v1/orgs/${org}/settings`).set(auth).send({ rotationIntervalDays: 180 }).expect(200);
    await api.patch(`/v1/orgs/${org}/settings`).set(auth).send({ isoUtcTimestamps: true, notificationEmails: ['ops@acme.test'] }).expect(200);
    await api.patch(`/v1/orgs/${org}/settings`).set(auth).set('X-Customer-Request-Id', 'int-req-3').send({ requestIdHeader: 'X-Trace-Id' }).expect(200);
    const ops = { Authorization: `Bearer ${await tokenFor('platform', 'operator')}` };
    await api.patch(`/v1/orgs/${org}/settings`).set(ops).send({ mediaMaxBase64Bytes: 25 * 1024 * 1024 }).expect(200);
    const latest: OrgSettings = {
      ...DEFAULT_SETTINGS,
      rotationIntervalDays: 180,
      isoUtcTimestamps: true,
      notificationEmails: ['ops@acme.test'],
      requestIdHeader: 'X-Trace-Id',
      mediaMaxBase64Bytes: 25 * 1024 * 1024,
    };

    await eventually(async () => expect(await early.reader.get(org)).toEqual(latest), { timeoutMs: 20_000, description: 'the running reader to have the latest settings' });
    const seen = early.changes.filter((c) => c.orgId === org);
    expect(seen.map((c) => c.settings.rotationIntervalDays)).toEqual([180, 180, 180, 180]);
    expect(seen[0].previous).toEqual(DEFAULT_SETTINGS);
    expect(seen[2]).toMatchObject({ correlationId: 'int-req-3', settings: { requestIdHeader: 'X-Trace-Id' }, previous: { requestIdHeader: 'X-Customer-Request-Id' } });

    // A reader started afterwards has replayed the topic to its end when start() resolves: no wait after it.
    const late = await startReader();
    expect(late.reader.caughtUp).toBe(true);
    expect(late.reader.current(org)).toEqual(latest);
    expect(late.reader.knownOrgIds()).toContain(org);
    expect(await late.reader.get(`never-changed-${randomUUID().slice(0, 8)}`)).toEqual(DEFAULT_SETTINGS);
    // The process's own reader (Infrastructure.orgSettings) follows the topic as well.
    await eventually(async () => expect(await (await infra.orgSettings()).get(org)).toEqual(latest), { timeoutMs: 20_000 });
  });

  it('a reader started after many organisations changed their settings has every one applied when start() resolves', async () => {
    const run = randomUUID().slice(0, 8);
    const orgs = Array.from({ length: 30 }, (_, i) => `late-${run}-${i}`);
    const bus = new KafkaMessageBus({ brokers: brokers(), clientId: `settings-late-${run}`, logger: silentMessagingLogger });
    buses.push(bus);
    await bus.ensureTopics([{ topic: Topics.settings, compacted: true }]);
    // Spread over every partition of the topic (keys hash to partitions), each organisation's latest at revision 1.
    await bus.publish(
      orgs.flatMap((orgId, i) =>
        [0, 1].map((revision) =>
          orgSettingsMessage({
            orgId,
            settings: { ...DEFAULT_SETTINGS, expiryNoticeDays: 1 + ((i + revision) % 90), requestIdHeader: `X-Late-${revision}` },
            id: `${orgId}-${revision}`,
            streamRevision: revision,
            time: new Date().toISOString(),
          }),
        ),
      ),
    );
    const { reader } = await startReader();
    orgs.forEach((orgId, i) => expect({ orgId, settings: reader.current(orgId) }).toEqual({ orgId, settings: { ...DEFAULT_SETTINGS, expiryNoticeDays: 1 + ((i + 1) % 90), requestIdHeader: 'X-Late-1' } }));
  });

  it('publishes to a compacted topic, keyed by organisation, with the full settings as the value', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    const auth = { Authorization: `Bearer ${await tokenFor(org)}` };
    await api.patch(`/v1/orgs/${org}/settings`).set(auth).send({ defaultGraceDays: 3 }).expect(200);

    const kafka = new Kafka({ clientId: 'settings-topic-check', brokers: brokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: Topics.settings, configNames: ['cleanup.policy'] }],
      });
      expect(described.resources[0].configEntries).toEqual([expect.objectContaining({ configName: 'cleanup.policy', configValue: 'compact' })]);
    } finally {
      await admin.disconnect();
    }

    const bus = new KafkaMessageBus({ brokers: brokers(), clientId: `settings-topic-raw-${randomUUID().slice(0, 8)}`, logger: silentMessagingLogger });
    buses.push(bus);
    const reader = await readTopics(bus, { topics: [Topics.settings], fromBeginning: true, groupPrefix: 'settings-topic-raw', accept: (message) => message.key === org });
    await waitFor(() => reader.messages.length >= 1, { timeoutMs: 20_000, description: `the settings message of ${org}` });
    const values = reader.messages.map((message) => message.value);
    expect(JSON.parse(values[0])).toEqual({ ...DEFAULT_SETTINGS, defaultGraceDays: 3 });
  });
});
