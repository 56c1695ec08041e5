import { openPrivateSqlite } from '@keywarden/sqlite';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Controller, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Envelope, KEY_USAGE_REPORTED_TYPE, parseKeyUsageReported, Topics } from '@keywarden/contracts';
import { EnvelopePipe, MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { Infrastructure } from '@keywarden/platform';
import { KEY_USAGE_READER, KeyUsageReader } from './key-usage.port';

/** The usage topic's group when "last used" is shared in Redis. */
export const KEY_USAGE_GROUP = 'keywarden-key-registry-usage';

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

/**
 * Without Redis (the embedded mode): a SQLite file under the data folder, so a restart keeps "last
 * used" as Redis would. The file names its own consumer group, made once: the group's position on
 * the usage topic belongs with the instants it has applied, and registries with their own files
 * never share one group (each would then see only some partitions).
 */
class SqliteLastUsedStore implements LastUsedStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  readonly groupId: string;

  constructor(path: string) {
    this.db = openPrivateSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS last_used (org_id TEXT NOT NULL, key_id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (org_id, key_id));
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.db.prepare("INSERT OR IGNORE INTO meta (name, value) VALUES ('group_id', ?)").run(`keywarden-key-registry-usage-${randomUUID()}`);
    this.groupId = (this.db.prepare("SELECT value FROM meta WHERE name = 'group_id'").get() as { value: string }).value;
    this.upsert = this.db.prepare('INSERT INTO last_used (org_id, key_id, at) VALUES (?, ?, ?) ON CONFLICT (org_id, key_id) DO UPDATE SET at = excluded.at WHERE excluded.at > last_used.at');
  }

  async advance(orgId: string, lastUsed: ReadonlyArray<readonly [string, string]>): Promise<void> {
    this.db.transaction(() => lastUsed.forEach(([keyId, at]) => this.upsert.run(orgId, keyId, at)))();
  }

  async read(orgId: string, keyIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (keyIds.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT key_id, at FROM last_used WHERE org_id = ? AND key_id IN (${keyIds.map(() => '?').join(',')})`)
      .all(orgId, ...keyIds) as Array<{ key_id: string; at: string }>;
    return new Map(rows.map((r) => [r.key_id, r.at] as const));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * "Last used" of the key table, from the edge's usage batches on the key-usage topic. Applying a
 * batch only moves instants forward, so redeliveries and replays are harmless. With Redis the
 * instants are shared by every registry instance (one consumer group between them); without it
 * each instance keeps its own in SQLite under its data folder (its own group, named in that file).
 * Either way they outlive a restart: the usage topic keeps only 7 days, "last used" must not.
 */
@Injectable()
export class KeyUsageProjection implements KeyUsageReader, OnApplicationBootstrap, OnApplicationShutdown {
  private store?: LastUsedStore;
  private local?: SqliteLastUsedStore;
  private readonly logger: Logger;

  constructor(
    private readonly infra: Infrastructure,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {
    this.logger = infra.logger('key-registry');
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.infra.config.redisUrl !== null) {
      this.store = new RedisLastUsedStore(await this.infra.redis(), this.infra.redisKeyPrefix);
    } else {
      this.local = new SqliteLastUsedStore(join(this.infra.config.dataDir, 'key-usage.sqlite'));
      this.store = this.local;
    }
    await this.bus.ensureTopics([{ topic: Topics.keyUsage }]);
  }

  /** The group that consumes the usage topic: a local file's own, as its times start from nothing. Known after bootstrap. */
  get groupId(): string {
    return this.local?.groupId ?? KEY_USAGE_GROUP;
  }

  async onApplicationShutdown(): Promise<void> {
    this.local?.close();
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

  async apply(envelope: Envelope): Promise<void> {
    if (envelope.type !== KEY_USAGE_REPORTED_TYPE) return;
    const report = parseKeyUsageReported(envelope.data);
    await this.store!.advance(
      report.orgId,
      report.keys.map((k) => [k.keyId, new Date(k.lastUsedAt).toISOString()] as const),
    );
  }
}

/** Feeds the usage topic to the projection; the group is bound at start to `KeyUsageProjection.groupId`. */
@Controller()
export class KeyUsageConsumer {
  constructor(@Inject(KEY_USAGE_READER) private readonly projection: KeyUsageProjection) {}

  @EventPattern(Topics.keyUsage, { groupId: KEY_USAGE_GROUP, fromBeginning: true })
  async onUsageReported(@Payload(EnvelopePipe) envelope: Envelope): Promise<void> {
    await this.projection.apply(envelope);
  }
}
