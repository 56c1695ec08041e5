import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { envelopeFromMessage, KEY_USAGE_REPORTED_TYPE, parseKeyUsageReported, Topics } from '@keywarden/contracts';
import { ConsumerHandle, IncomingMessage, MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { Infrastructure } from '@keywarden/platform';
import { KeyUsageReader } from './key-usage.port';

/** Where "last used" is kept: ISO instants at minute precision, only ever moved forward. */
interface LastUsedStore {
  /** Keeps the later of the held and the reported instant for each key. */
  advance(orgId: string, lastUsed: ReadonlyArray<readonly [keyId: string, at: string]>): Promise<void>;
  read(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

// ISO instants of one format compare as strings, so "later" is a string comparison.
const ADVANCE = `
for i = 1, #ARGV, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if (not held) or held < ARGV[i + 1] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
`;

/** One hash per organisation, `<prefix>usage:<orgId>`: keyId → last used. Shared by every registry instance. */
class RedisLastUsedStore implements LastUsedStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('kwAdvanceLastUsed', { numberOfKeys: 1, lua: ADVANCE });
  }

  async advance(orgId: string, lastUsed: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (lastUsed.length === 0) return;
    await (this.redis as Redis & { kwAdvanceLastUsed(...args: string[]): Promise<number> }).kwAdvanceLastUsed(`${this.prefix}usage:${orgId}`, ...lastUsed.flat());
  }

  async read(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (keyIds.length === 0) return new Map();
    const values = await this.redis.hmget(`${this.prefix}usage:${orgId}`, ...keyIds);
    return new Map(keyIds.flatMap((keyId, i) => (values[i] ? [[keyId, values[i]!] as const] : [])));
  }
}

/** The embedded mode's store: rebuilt at start by replaying the usage topic. */
class InMemoryLastUsedStore implements LastUsedStore {
  private readonly held = new Map<string, string>();

  async advance(orgId: string, lastUsed: ReadonlyArray<readonly [string, string]>): Promise<void> {
    for (const [keyId, at] of lastUsed) {
      const ref = `${orgId}\u0000${keyId}`;
      const current = this.held.get(ref);
      if (current === undefined || current < at) this.held.set(ref, at);
    }
  }

  async read(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return new Map(keyIds.flatMap((keyId) => {
      const at = this.held.get(`${orgId}\u0000${keyId}`);
      return at === undefined ? [] : [[keyId, at] as const];
    }));
  }
}

/**
 * "Last used" of the key table, from the edge's usage batches on the key-usage topic. Applying a
 * batch only moves instants forward, so redeliveries and replays are harmless. With Redis the
 * instants are shared by every registry instance (one consumer group between them); without it
 * each instance keeps its own in memory and replays the retained topic at start (its own group).
 */
@Injectable()
export class KeyUsageProjection implements KeyUsageReader, OnApplicationBootstrap, OnApplicationShutdown {
  private store?: LastUsedStore;
  private consumer?: ConsumerHandle;
  private readonly logger: Logger;

  constructor(
    private readonly infra: Infrastructure,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {
    this.logger = infra.logger('key-registry');
  }

  async onApplicationBootstrap(): Promise<void> {
    const shared = this.infra.config.redisUrl !== null;
    this.store = shared ? new RedisLastUsedStore(await this.infra.redis(), this.infra.redisKeyPrefix) : new InMemoryLastUsedStore();
    await this.bus.ensureTopics([{ topic: Topics.keyUsage }]);
    this.consumer = await this.bus.subscribe({
      groupId: shared ? 'keywarden-key-registry-usage' : `keywarden-key-registry-usage-${randomUUID()}`,
      topics: [Topics.keyUsage],
      fromBeginning: true,
      handler: (message) => this.apply(message),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async lastUsedAt(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (!this.store) return new Map();
    try {
      return await this.store.read(orgId, keyIds);
    } catch (error) {
      // "Last used" is informative: the key table is still served without it.
      this.logger.warn({ err: error }, 'last-used times could not be read; the key table shows none');
      return new Map();
    }
  }

  private async apply(message: IncomingMessage): Promise<void> {
    const envelope = envelopeFromMessage(message.headers, message.key, message.value);
    if (envelope.type !== KEY_USAGE_REPORTED_TYPE) return;
    const report = parseKeyUsageReported(envelope.data);
    await this.store!.advance(
      report.orgId,
      report.keys.map((k) => [k.keyId, new Date(k.lastUsedAt).toISOString()] as const),
    );
  }
}
