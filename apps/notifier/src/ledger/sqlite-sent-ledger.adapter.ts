import { openPrivateSqlite } from '@keywarden/sqlite';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ClaimResult, SENT_RECORD_TTL_SECONDS, SentLedger } from './sent-ledger.port';

/**
 * The ledger without Redis (the embedded mode): a SQLite file under the data folder, so a restart
 * remembers what was sent, as Redis does. The bus redelivers after a restart (the relay republishes
 * what followed its last checkpoint): a ledger forgotten with the process would send those mails
 * again. Claims are kept in the file too, so processes sharing the folder never send one event twice.
 * Records are scoped to the consumer group, and expire as the Redis ones do.
 */
export class SqliteSentLedger implements SentLedger {
  private readonly db: Database.Database;
  private readonly claimStep: (eventId: string, token: string, nowMs: number, ttlMs: number) => ClaimResult['status'];

  constructor(
    path: string,
    private readonly groupId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = openPrivateSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sent (group_id TEXT NOT NULL, event_id TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (group_id, event_id));
      CREATE INDEX IF NOT EXISTS sent_by_age ON sent (sent_at);
      CREATE TABLE IF NOT EXISTS claims (group_id TEXT NOT NULL, event_id TEXT NOT NULL, token TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (group_id, event_id));
    `);
    this.db.prepare('DELETE FROM sent WHERE sent_at < ?').run(this.now() - SENT_RECORD_TTL_SECONDS * 1000);
    const isSent = this.db.prepare('SELECT 1 FROM sent WHERE group_id = ? AND event_id = ?');
    const heldUntil = this.db.prepare('SELECT until FROM claims WHERE group_id = ? AND event_id = ?');
    const setClaim = this.db.prepare(
      'INSERT INTO claims (group_id, event_id, token, until) VALUES (?, ?, ?, ?) ON CONFLICT (group_id, event_id) DO UPDATE SET token = excluded.token, until = excluded.until',
    );
    // Immediate: "not sent, not claimed" and the claim are one step for every process on the file.
    const step = this.db.transaction((eventId: string, token: string, nowMs: number, ttlMs: number): ClaimResult['status'] => {
      if (isSent.get(this.groupId, eventId)) return 'sent';
      const held = heldUntil.get(this.groupId, eventId) as { until: number } | undefined;
      if (held && held.until > nowMs) return 'busy';
      setClaim.run(this.groupId, eventId, token, nowMs + ttlMs);
      return 'claimed';
    });
    this.claimStep = (...args) => step.immediate(...args);
  }

  async claim(eventId: string, ttlMs: number): Promise<ClaimResult> {
    const token = randomUUID();
    const status = this.claimStep(eventId, token, this.now(), ttlMs);
    return status === 'claimed' ? { status, token } : { status };
  }

  /** Written whoever holds the claim now: the message did go out, and forgetting that would send it again. */
  async recordSent(eventId: string, token: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO sent (group_id, event_id, sent_at) VALUES (?, ?, ?)').run(this.groupId, eventId, this.now());
      this.db.prepare('DELETE FROM claims WHERE group_id = ? AND event_id = ? AND token = ?').run(this.groupId, eventId, token);
    })();
  }

  async release(eventId: string, token: string): Promise<void> {
    this.db.prepare('DELETE FROM claims WHERE group_id = ? AND event_id = ? AND token = ?').run(this.groupId, eventId, token);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
