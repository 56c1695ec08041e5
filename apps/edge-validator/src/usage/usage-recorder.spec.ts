import pino from 'pino';
import { ManualClock } from '@keywarden/clock';
import { CE_HEADERS, KEY_USAGE_REPORTED_TYPE, parseKeyUsageReported, Topics } from '@keywarden/contracts';
import { InProcessMessageBus, OutgoingMessage } from '@keywarden/messaging';
import { UsageRecorder } from './usage-recorder';

describe('UsageRecorder', () => {
  const clock = new ManualClock('2026-03-01T10:04:30Z');
  let bus: InProcessMessageBus;
  let failNext = false;
  let recorder: UsageRecorder;

  beforeEach(async () => {
    bus = new InProcessMessageBus();
    await bus.ensureTopics([{ topic: Topics.keyUsage }]);
    const publish = bus.publish.bind(bus);
    bus.publish = async (messages: OutgoingMessage[]) => {
      if (failNext) {
        failNext = false;
        throw new Error('broker unavailable');
      }
      return publish(messages);
    };
    recorder = new UsageRecorder(bus, clock, pino({ level: 'silent' }), 60_000);
  });

  afterEach(() => bus.close());

  const reports = () =>
    bus.readTopic(Topics.keyUsage).map((m) => ({ key: m.key, type: m.headers[CE_HEADERS.type], report: parseKeyUsageReported(JSON.parse(m.value)) }));

  it('publishes one message per organisation with a count and the last use at minute precision', async () => {
    const t = clock.now().getTime();
    recorder.record('acme', 'k1', t);
    recorder.record('acme', 'k1', t + 45_000);
    recorder.record('acme', 'k2', t);
    recorder.record('globex', 'g1', t);
    await recorder.flush();
    expect(reports()).toEqual(
      expect.arrayContaining([
        {
          key: 'acme',
          type: KEY_USAGE_REPORTED_TYPE,
          report: {
            orgId: 'acme',
            keys: [
              { keyId: 'k1', requests: 2, lastUsedAt: '2026-03-01T10:05:00.000Z' },
              { keyId: 'k2', requests: 1, lastUsedAt: '2026-03-01T10:04:00.000Z' },
            ],
          },
        },
        { key: 'globex', type: KEY_USAGE_REPORTED_TYPE, report: { orgId: 'globex', keys: [{ keyId: 'g1', requests: 1, lastUsedAt: '2026-03-01T10:04:00.000Z' }] } },
      ]),
    );
    await recorder.flush();
    expect(reports()).toHaveLength(2);
  });

  it('keeps the counts of a failed publish for the next flush', async () => {
    const t = clock.now().getTime();
    recorder.record('acme', 'k1', t);
    failNext = true;
    await recorder.flush();
    expect(reports()).toHaveLength(0);
    recorder.record('acme', 'k1', t);
    await recorder.flush();
    expect(reports().map((r) => r.report.keys)).toEqual([[{ keyId: 'k1', requests: 2, lastUsedAt: '2026-03-01T10:04:00.000Z' }]]);
  });
});
