// The infrastructure that the Jest global setup starts for the int and e2e tiers answers, and the test
// helpers of test/support work. (Here because the int tier collects *.int-spec.ts under apps/ and libs/.)
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createTransport } from 'nodemailer';
import { SmtpTestServer } from '../../../../test/support/smtp-test-server';
import { waitFor } from '../../../../test/support/wait-for';

describe('test infrastructure', () => {
  it('has a Kafka broker at KAFKA_BROKERS', async () => {
    expect(process.env.KAFKA_BROKERS).toMatch(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/);
    const admin = new Kafka({ clientId: 'infra-check', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toHaveLength(1);
      expect(cluster.controller).not.toBeNull();
    } finally {
      await admin.disconnect();
    }
  });

  it('has a Redis at REDIS_URL', async () => {
    expect(process.env.REDIS_URL).toMatch(/^rediss?:\/\//);
    const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await redis.quit();
    }
  });

  describe('SmtpTestServer', () => {
    const smtp = new SmtpTestServer();
    beforeAll(() => smtp.start());
    afterAll(() => smtp.stop());

    it('receives and parses mail sent with nodemailer, and can refuse it', async () => {
      const transport = createTransport(smtp.transportOptions);
      await transport.sendMail({ from: 'keywarden@example.test', to: 'admin@org.test', subject: 'Your code', text: 'code 123456' });
      const mail = await smtp.waitFor((m) => m.subject === 'Your code');
      expect(mail).toMatchObject({ from: 'keywarden@example.test', to: ['admin@org.test'], text: 'code 123456\n' });
      expect(mail.envelope.to).toEqual(['admin@org.test']);

      smtp.rejectWith({ code: 451, message: 'Try again later', times: 1 });
      await expect(transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 'refused', text: '.' })).rejects.toMatchObject({
        responseCode: 451,
      });
      await transport.sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 'accepted', text: '.' });
      await smtp.waitFor((m) => m.subject === 'accepted');
      expect(smtp.rejected).toBe(1);
      expect(smtp.messages.map((m) => m.subject)).toEqual(['Your code', 'accepted']);
      transport.close();
    });
  });

  it('waitFor names what it waited for when it times out', async () => {
    await expect(waitFor(() => false, { timeoutMs: 100, intervalMs: 10, description: 'the impossible' })).rejects.toThrow(
      'timed out after 100 ms waiting for the impossible',
    );
    await expect(waitFor(() => 42)).resolves.toBe(42);
  });
});
