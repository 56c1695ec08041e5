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

describe('redis active-key cache: entries outside the index', () => {
  it('finds an entry no index lists, and deletes it only while no index lists it', async () => {
    const redis = new Redis(redisUrl());
    const prefix = `test:${randomUUID().slice(0, 8)}:`;
    const cache = new RedisActiveKeyCache(redis, { prefix });
    try {
      const stray = { orgId: 'acme', keyId: 'key_stray', fingerprint: 'c'.repeat(64), status: 'active' as const, acceptUntil: null };
      await redis.set(`${prefix}key:${stray.fingerprint}`, JSON.stringify(['acme', 'key_stray', 'a', null]));
      await redis.set(`${prefix}key:${'d'.repeat(64)}`, '{not json');
      expect((await cache.findUnindexedEntries()).sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : 1))).toEqual([
        { fingerprint: stray.fingerprint, key: stray },
        { fingerprint: 'd'.repeat(64), key: null },
      ]);
      // The projection indexes it meanwhile (the same key, issued for real): it is no longer removed.
      await cache.applyRingChange('acme', 0, { kind: 'put', key: stray });
      expect(await cache.removeUnindexedEntry(stray.fingerprint)).toBe(false);
      expect(await cache.lookup(stray.fingerprint)).toEqual(stray);
      expect(await cache.removeUnindexedEntry('d'.repeat(64))).toBe(true);
      expect(await cache.findUnindexedEntries()).toEqual([]);
    } finally {
      await cache.clear();
      redis.disconnect();
    }
  });
});
