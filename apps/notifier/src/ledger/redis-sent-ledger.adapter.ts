import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ClaimResult, SENT_RECORD_TTL_SECONDS, SentLedger } from './sent-ledger.port';

// KEYS: sent, claim. ARGV: token, claim ttl (ms). One script, so "not sent yet" and "claimed" are one step.
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'sent' end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'claimed' end
return 'busy'
`;
// KEYS: sent, claim. ARGV: token, sent ttl (s). The record is written whoever holds the claim now:
// the message did go out, and forgetting that would send it again.
const RECORD = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Keys are scoped to the consumer group (`keyPrefix` names it): one group, one "already sent" memory. */
export class RedisSentLedger implements SentLedger {
  constructor(
    private readonly redis: Redis,
    /** e.g. `kw:notifier:keywarden-notifier:` */
    private readonly keyPrefix: string,
  ) {}

  async claim(eventId: string, ttlMs: number): Promise<ClaimResult> {
    const token = randomUUID();
    const status = (await this.redis.eval(CLAIM, 2, this.sentKey(eventId), this.claimKey(eventId), token, String(ttlMs))) as string;
    return status === 'claimed' ? { status, token } : { status: status as 'sent' | 'busy' };
  }

  async recordSent(eventId: string, token: string): Promise<void> {
    await this.redis.eval(RECORD, 2, this.sentKey(eventId), this.claimKey(eventId), token, String(SENT_RECORD_TTL_SECONDS));
  }

  async release(eventId: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.claimKey(eventId), token);
  }

  async close(): Promise<void> {
    /* the connection belongs to the Infrastructure */
  }

  private sentKey(eventId: string): string {
    return `${this.keyPrefix}sent:${eventId}`;
  }

  private claimKey(eventId: string): string {
    return `${this.keyPrefix}claim:${eventId}`;
  }
}
