import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ClaimResult, SentLedger } from './sent-ledger.port';

/**
 * The embedded mode's ledger: one process, so memory is enough while it runs. Bounded, keeping
 * the most recent events: the in-process bus only redelivers recent ones.
 */
export class InMemorySentLedger implements SentLedger {
  private readonly sent = new LRUCache<string, true>({ max: 100_000 });
  private readonly claims = new Map<string, { token: string; until: number }>();

  async claim(eventId: string, ttlMs: number): Promise<ClaimResult> {
    if (this.sent.has(eventId)) return { status: 'sent' };
    const held = this.claims.get(eventId);
    if (held && held.until > Date.now()) return { status: 'busy' };
    const token = randomUUID();
    this.claims.set(eventId, { token, until: Date.now() + ttlMs });
    return { status: 'claimed', token };
  }

  async recordSent(eventId: string, token: string): Promise<void> {
    this.sent.set(eventId, true);
    if (this.claims.get(eventId)?.token === token) this.claims.delete(eventId);
  }

  async release(eventId: string, token: string): Promise<void> {
    if (this.claims.get(eventId)?.token === token) this.claims.delete(eventId);
  }

  async close(): Promise<void> {
    this.claims.clear();
  }
}
