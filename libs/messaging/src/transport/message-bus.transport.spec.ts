// The transport's own duties, on the in-process bus (its port semantics are the MessageBus contract,
// run through it in in-process-message-bus.adapter.spec.ts and the Kafka int tier).
import { Writable } from 'node:stream';
import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Envelope, envelopeToHeaders } from '@keywarden/contracts';
import { createLogger } from '@keywarden/observability';
import { waitFor } from '../../../../test/support/wait-for';
import { InProcessMessageBus } from '../in-process-message-bus.adapter';
import { silentMessagingLogger } from '../messaging-logger';
import { uniqueName } from '../testing/message-bus.contract';
import { EnvelopePipe } from './envelope.pipe';
import { startBusMicroservice } from './message-bus.transport';

const lines: Array<Record<string, unknown>> = [];
const logger = createLogger(
  'transport-spec',
  'info',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  }),
);

const topic = uniqueName('transport');
const handled: Envelope[] = [];

@Controller()
class AuditedConsumer {
  @EventPattern(topic, { groupId: 'declared-group', fromBeginning: true })
  async onEvent(@Payload(EnvelopePipe) envelope: Envelope): Promise<void> {
    logger.info({ step: 1 }, 'handling');
    await new Promise((resolve) => setImmediate(resolve));
    logger.info({ step: 2 }, 'handled');
    handled.push(envelope);
  }
}

@Module({ controllers: [AuditedConsumer] })
class AuditedModule {}

const envelopeHeaders = (id: string, correlationId?: string) =>
  envelopeToHeaders({ id, type: 'Audited', source: 'spec', schemaVersion: 1, orgId: 'org-1', time: '2026-01-02T03:04:05.000Z', correlationId });

describe('MessageBusTransport', () => {
  const bus = new InProcessMessageBus({ retryBackoff: { initialDelayMs: 5, maxDelayMs: 20 }, logger: silentMessagingLogger });
  afterAll(() => bus.close());

  it('decodes the envelope through the pipe, carries the request id on every log line of the handler, and joins the group bound at start', async () => {
    await bus.ensureTopics([{ topic }]);
    const app = await startBusMicroservice(AuditedModule, bus, false, { groupIds: { 'declared-group': () => 'bound-group' } });
    try {
      await bus.publish([
        { topic, key: 'org-1', value: '{"n":1}', headers: envelopeHeaders('e-1', 'req-4711') },
        { topic, key: 'org-1', value: '{"n":2}', headers: envelopeHeaders('e-2') },
      ]);
      await waitFor(() => handled.length === 2, { description: 'both messages handled' });
      expect(handled.map((e) => [e.id, e.data])).toEqual([['e-1', { n: 1 }], ['e-2', { n: 2 }]]);
      expect(lines.map((l) => [l.msg, l.requestId, l.orgId])).toEqual([
        ['handling', 'req-4711', 'org-1'],
        ['handled', 'req-4711', 'org-1'],
        // Without a correlation id, the event id is the request id.
        ['handling', 'e-2', 'org-1'],
        ['handled', 'e-2', 'org-1'],
      ]);
      expect(new Set((await bus.consumerLag()).map((l) => l.groupId))).toEqual(new Set(['bound-group']));
    } finally {
      await app.close();
    }
  });

  it('refuses to start a handler declared without a group id, naming the topic', async () => {
    const otherTopic = uniqueName('no-group');
    @Controller()
    class Ungrouped {
      @EventPattern(otherTopic)
      async onEvent(): Promise<void> {}
    }
    @Module({ controllers: [Ungrouped] })
    class UngroupedModule {}
    await bus.ensureTopics([{ topic: otherTopic }]);
    await expect(startBusMicroservice(UngroupedModule, bus, false)).rejects.toThrow(`@EventPattern('${otherTopic}') needs { groupId }`);
  });
});
