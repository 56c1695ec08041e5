import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '@keywarden/clock';
import { envelopeToHeaders, KEY_USAGE_REPORTED_TYPE, KeyUsageReported, Topics, toUsageMinute } from '@keywarden/contracts';
import type { MessageBus, OutgoingMessage } from '@keywarden/messaging';

type Tally = { requests: number; lastUsedMs: number };

/** Keys tallied at most, between two flushes: a Kafka outage cannot grow memory without bound. */
const MAX_TALLIED_KEYS = 200_000;

/**
 * Counts accepted requests per key in memory and publishes them to the key-usage topic in batches,
 * one message per organisation, every `flushEveryMs`. The request path only increments a counter:
 * it never waits on Kafka. A failed publish keeps the counts for the next flush.
 */
export class UsageRecorder {
  /** orgId → keyId → tally */
  private tallies = new Map<string, Map<string, Tally>>();
  private tallied = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: MessageBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly flushEveryMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  record(orgId: string, keyId: string, nowMs: number): void {
    let keys = this.tallies.get(orgId);
    if (keys === undefined) this.tallies.set(orgId, (keys = new Map()));
    const tally = keys.get(keyId);
    if (tally !== undefined) {
      tally.requests++;
      tally.lastUsedMs = nowMs;
    } else if (this.tallied < MAX_TALLIED_KEYS) {
      keys.set(keyId, { requests: 1, lastUsedMs: nowMs });
      this.tallied++;
    }
  }

  /** Publishes what was counted since the last flush; resolves when done (or failed and kept). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.publishTallies());
    return this.flushing;
  }

  /** A last flush, bounded: a broker that is down must not hold the shutdown. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async publishTallies(): Promise<void> {
    if (this.tallies.size === 0) return;
    const batch = this.tallies;
    this.tallies = new Map();
    this.tallied = 0;
    const time = this.clock.now().toISOString();
    const messages: OutgoingMessage[] = [...batch].map(([orgId, keys]) => {
      const report: KeyUsageReported = {
        orgId,
        keys: [...keys].map(([keyId, t]) => ({ keyId, requests: t.requests, lastUsedAt: toUsageMinute(t.lastUsedMs) })),
      };
      return {
        topic: Topics.keyUsage,
        key: orgId,
        value: JSON.stringify(report),
        headers: envelopeToHeaders({ id: randomUUID(), type: KEY_USAGE_REPORTED_TYPE, source: 'keywarden/edge-validator', schemaVersion: 1, orgId, time }),
      };
    });
    try {
      await this.bus.publish(messages);
    } catch (error) {
      this.logger.warn({ err: error, organisations: batch.size }, 'key usage could not be published: kept for the next flush');
      this.mergeBack(batch);
    }
  }

  private mergeBack(batch: Map<string, Map<string, Tally>>): void {
    for (const [orgId, keys] of batch) {
      for (const [keyId, t] of keys) {
        const current = this.tallies.get(orgId)?.get(keyId);
        if (current) {
          current.requests += t.requests;
          current.lastUsedMs = Math.max(current.lastUsedMs, t.lastUsedMs);
        } else {
          this.record(orgId, keyId, t.lastUsedMs);
          const added = this.tallies.get(orgId)?.get(keyId);
          if (added) added.requests = t.requests;
        }
      }
    }
  }
}
