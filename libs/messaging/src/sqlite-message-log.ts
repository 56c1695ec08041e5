import { openPrivateSqlite } from '@keywarden/sqlite';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** One retained message as the durable log keeps it. */
export type LoggedRecord = Readonly<{
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: Readonly<Record<string, string>>;
  /** Epoch ms of the append: what retention counts from. */
  appendedAtMs: number;
}>;

export type LoggedTopic = Readonly<{ name: string; partitions: number; compacted: boolean; ends: readonly number[] }>;

export type CommittedPosition = Readonly<{ groupId: string; topic: string; partition: number; next: number }>;

/**
 * Where the in-process bus keeps what Kafka would keep across a restart: its topics (a compacted
 * topic only the latest message of each key), the end offset of each partition (offsets are never
 * reused, even once retention or compaction removed every record), and each consumer group's
 * committed positions. One SQLite file, written synchronously, so a publish or a commit that has
 * returned survives a crash of the process.
 */
export class SqliteMessageLog {
  private readonly db: Database.Database;
  private readonly statements: {
    insertTopic: Database.Statement;
    insertRecord: Database.Statement;
    deleteKey: Database.Statement;
    setEnd: Database.Statement;
    commit: Database.Statement;
  };

  constructor(path: string) {
    this.db = openPrivateSqlite(path);
    this.db.pragma('busy_timeout = 2000');
    // One bus per file: a second process on the same data folder would append at offsets the first
    // already gave out. The exclusive lock is taken now and held until close (or the process dies).
    this.db.pragma('locking_mode = EXCLUSIVE');
    try {
      this.db.exec('BEGIN EXCLUSIVE; COMMIT;');
    } catch (error) {
      this.db.close();
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      throw new Error(`${path} is in use by another Keywarden process: run one embedded process (npm start) per KEYWARDEN_DATA_DIR`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, compacted INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS partition_ends (topic TEXT NOT NULL, partition INTEGER NOT NULL, end_offset INTEGER NOT NULL, PRIMARY KEY (topic, partition));
      CREATE TABLE IF NOT EXISTS records (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
        key TEXT NOT NULL, value TEXT NOT NULL, headers TEXT NOT NULL, appended_at INTEGER NOT NULL,
        PRIMARY KEY (topic, partition, offset)
      );
      CREATE INDEX IF NOT EXISTS records_by_key ON records (topic, partition, key);
      CREATE INDEX IF NOT EXISTS records_by_age ON records (appended_at);
      CREATE TABLE IF NOT EXISTS group_positions (
        group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (group_id, topic, partition)
      );
    `);
    this.statements = {
      insertTopic: this.db.prepare('INSERT OR IGNORE INTO topics (name, partitions, compacted) VALUES (?, ?, ?)'),
      insertRecord: this.db.prepare('INSERT INTO records (topic, partition, offset, key, value, headers, appended_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteKey: this.db.prepare('DELETE FROM records WHERE topic = ? AND partition = ? AND key = ?'),
      setEnd: this.db.prepare(
        'INSERT INTO partition_ends (topic, partition, end_offset) VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE SET end_offset = excluded.end_offset',
      ),
      commit: this.db.prepare(
        'INSERT INTO group_positions (group_id, topic, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at',
      ),
    };
  }

  topics(): LoggedTopic[] {
    const rows = this.db.prepare('SELECT name, partitions, compacted FROM topics').all() as Array<{ name: string; partitions: number; compacted: number }>;
    const ends = this.db.prepare('SELECT partition, end_offset FROM partition_ends WHERE topic = ?');
    return rows.map((row) => {
      const byPartition = new Map((ends.all(row.name) as Array<{ partition: number; end_offset: number }>).map((e) => [e.partition, e.end_offset]));
      return { name: row.name, partitions: row.partitions, compacted: row.compacted === 1, ends: Array.from({ length: row.partitions }, (_, p) => byPartition.get(p) ?? 0) };
    });
  }

  /** The retained records of a topic, in offset order within each partition. */
  records(topic: string): LoggedRecord[] {
    const rows = this.db
      .prepare('SELECT partition, offset, key, value, headers, appended_at FROM records WHERE topic = ? ORDER BY partition, offset')
      .all(topic) as Array<{ partition: number; offset: number; key: string; value: string; headers: string; appended_at: number }>;
    return rows.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: JSON.parse(r.headers) as Record<string, string>, appendedAtMs: r.appended_at }));
  }

  positions(): CommittedPosition[] {
    const rows = this.db.prepare('SELECT group_id, topic, partition, next_offset FROM group_positions').all() as Array<{
      group_id: string;
      topic: string;
      partition: number;
      next_offset: number;
    }>;
    return rows.map((r) => ({ groupId: r.group_id, topic: r.topic, partition: r.partition, next: r.next_offset }));
  }

  createTopic(name: string, partitions: number, compacted: boolean): void {
    this.statements.insertTopic.run(name, partitions, compacted ? 1 : 0);
  }

  /** One transaction: the record, its key's older records gone when compacted, the partition's new end. */
  readonly append = (topic: string, record: LoggedRecord, compacted: boolean): void => {
    this.db.transaction(() => {
      if (compacted) this.statements.deleteKey.run(topic, record.partition, record.key);
      this.statements.insertRecord.run(topic, record.partition, record.offset, record.key, record.value, JSON.stringify(record.headers), record.appendedAtMs);
      this.statements.setEnd.run(topic, record.partition, record.offset + 1);
    })();
  };

  commit(groupId: string, topic: string, partition: number, next: number, atMs: number): void {
    this.statements.commit.run(groupId, topic, partition, next, atMs);
  }

  /** A group with a member is in use however long ago it last committed: retention must not take its positions. */
  touchGroup(groupId: string, atMs: number): void {
    this.db.prepare('UPDATE group_positions SET updated_at = ? WHERE group_id = ?').run(atMs, groupId);
  }

  /**
   * Kafka's retention: records of non-compacted topics appended before `beforeMs` go (a compacted
   * topic keeps each key's latest message however old), and so do the positions of groups that
   * have not committed nor had a member since (e.g. the group of a process instance that is gone). Returns how many records went.
   */
  prune(beforeMs: number): number {
    return this.db.transaction(() => {
      const removed = this.db.prepare('DELETE FROM records WHERE appended_at < ? AND topic IN (SELECT name FROM topics WHERE compacted = 0)').run(beforeMs).changes;
      this.db
        .prepare('DELETE FROM group_positions WHERE group_id IN (SELECT group_id FROM group_positions GROUP BY group_id HAVING MAX(updated_at) < ?)')
        .run(beforeMs);
      return removed;
    })();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
