import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import {
  Admission,
  REVEAL_REQUEST_RETENTION_MS,
  RevealAttemptInput,
  RevealAttemptOutcome,
  RevealRequestStore,
  StoredRevealRequest,
} from './reveal-request.store.port';

// Sliding window in a sorted set scored by the caller's clock. KEYS: window. ARGV: now, window ms, limit, member.
const ADMIT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
`;

// KEYS: request. ARGV: orgId, keyId, sub, codeHash, now, maxAttempts.
const ATTEMPT = `
local r = redis.call('HMGET', KEYS[1], 'orgId', 'keyId', 'sub', 'codeHash', 'expiresAtMs', 'state')
if not r[1] or r[1] ~= ARGV[1] or r[2] ~= ARGV[2] or r[3] ~= ARGV[3] then return {'not-found', 0} end
if r[6] == 'used' then return {'used', 0} end
if r[6] == 'locked' then return {'locked', 0} end
if tonumber(ARGV[5]) >= tonumber(r[5]) then return {'expired', 0} end
if r[4] == ARGV[4] then
  redis.call('HSET', KEYS[1], 'state', 'used')
  return {'accepted', 0}
end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts >= tonumber(ARGV[6]) then
  redis.call('HSET', KEYS[1], 'state', 'locked')
  return {'locked', 0}
end
return {'wrong', tonumber(ARGV[6]) - attempts}
`;

export class RedisRevealRequestStore implements RevealRequestStore {
  constructor(
    private readonly redis: Redis,
    /** e.g. `kw:reveal` */
    private readonly prefix: string,
  ) {}

  async admit(who: string, nowMs: number, limit: number, windowMs: number): Promise<Admission> {
    const [admitted, retryAfterMs] = (await this.redis.eval(ADMIT, 1, `${this.prefix}:rate:${who}`, nowMs, windowMs, limit, `${nowMs}:${randomUUID()}`)) as [number, number];
    return admitted === 1 ? { admitted: true } : { admitted: false, retryAfterMs };
  }

  async save(request: StoredRevealRequest, nowMs: number): Promise<void> {
    const key = this.requestKey(request.requestId);
    await this.redis
      .multi()
      .hset(key, {
        orgId: request.orgId,
        keyId: request.keyId,
        sub: request.sub,
        codeHash: request.codeHash,
        expiresAtMs: String(request.expiresAtMs),
        attempts: '0',
        state: 'pending',
      })
      .pexpire(key, Math.max(1, request.expiresAtMs - nowMs) + REVEAL_REQUEST_RETENTION_MS)
      .exec();
  }

  async attempt(input: RevealAttemptInput): Promise<RevealAttemptOutcome> {
    const [outcome, attemptsLeft] = (await this.redis.eval(
      ATTEMPT,
      1,
      this.requestKey(input.requestId),
      input.orgId,
      input.keyId,
      input.sub,
      input.codeHash,
      input.nowMs,
      input.maxAttempts,
    )) as [RevealAttemptOutcome['outcome'], number];
    return outcome === 'wrong' ? { outcome, attemptsLeft } : ({ outcome } as RevealAttemptOutcome);
  }

  async discard(requestId: string): Promise<void> {
    await this.redis.del(this.requestKey(requestId));
  }

  private requestKey(requestId: string): string {
    return `${this.prefix}:request:${requestId}`;
  }
}
