import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisActiveKeyCache } from './redis-active-key-cache.adapter';
import { runActiveKeyCacheContract } from './testing/active-key-cache.contract';

const redisUrl = (): string => {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: the Jest global setup starts Redis for the int tests');
  return url;
};

runActiveKeyCacheContract('redis', async () => {
  const redis = new Redis(redisUrl());
  const prefix = `test:${randomUUID().slice(0, 8)}:`;
  const cache = new RedisActiveKeyCache(redis, { prefix });
  return {
    cache,
    cleanup: async () => {
      await cache.clear();
      redis.disconnect();
    },
  };
});

describe('redis active-key cache', () => {
  it('sets a Redis expiry at the key effective end, and none for never-expiring keys', async () => {
    const redis = new Redis(redisUrl());
    const prefix = `test:${randomUUID().slice(0, 8)}:`;
    const cache = new RedisActiveKeyCache(redis, { prefix });
    try {
      const acceptUntil = Date.now() + 86_400_000;
      await cache.applyRingChange('acme', 0, { kind: 'put', key: { orgId: 'acme', keyId: 'key_a', fingerprint: 'a'.repeat(64), status: 'active', acceptUntil } });
      await cache.applyRingChange('acme', 1, { kind: 'put', key: { orgId: 'acme', keyId: 'key_b', fingerprint: 'b'.repeat(64), status: 'active', acceptUntil: null } });
      expect(await redis.pexpiretime(`${prefix}key:${'a'.repeat(64)}`)).toBe(acceptUntil);
      expect(await redis.pttl(`${prefix}key:${'b'.repeat(64)}`)).toBe(-1);
    } finally {
      await cache.clear();
      redis.disconnect();
    }
  });
});
