import { Admin, Kafka, logLevel } from 'kafkajs';

/**
 * Readiness of the Kafka cluster for /health/ready: an admin `describeCluster` with a short
 * timeout on its own small connection (the bus's producer and consumers are not disturbed, and
 * their retries do not slow the probe). After a failure the connection is dropped, so the next
 * probe reconnects: a broker that came back is seen as soon as it answers.
 */
export class KafkaReadinessProbe {
  private readonly kafka: Kafka;
  private admin?: Admin;

  constructor(
    brokers: readonly string[],
    clientId: string,
    private readonly timeoutMs = 2_000,
  ) {
    this.kafka = new Kafka({
      clientId: `${clientId}-health`,
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(1_000, timeoutMs),
      requestTimeout: timeoutMs,
      retry: { retries: 0 },
    });
  }

  async check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await Promise.race([this.describe(), timeout]);
    } catch (error) {
      await this.reset();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.reset();
  }

  private async describe(): Promise<void> {
    if (!this.admin) {
      this.admin = this.kafka.admin({ retry: { retries: 0 } });
      await this.admin.connect();
    }
    const cluster = await this.admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('Kafka reports no brokers');
  }

  private async reset(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
