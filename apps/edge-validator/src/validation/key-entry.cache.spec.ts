import pino from 'pino';
import { ManualClock } from '@keywarden/clock';
import { CheckedLookup, InMemoryActiveKeyCache } from '@keywarden/key-cache';
import type { CachedKey } from '@keywarden/key-cache';
import { KeyCacheIncompleteError, KeyCacheUnavailableError, KeyEntryCache } from './key-entry.cache';

/** The in-memory cache, with a switch that makes it fail like an unreachable Redis. */
class SwitchableCache extends InMemoryActiveKeyCache {
  down = false;
  reads = 0;
  override async lookupChecked(fingerprint: string): Promise<CheckedLookup> {
    this.reads++;
    if (this.down) throw new Error('connect ECONNREFUSED');
    return super.lookupChecked(fingerprint);
  }
}

describe('KeyEntryCache (in-process layer over the master list)', () => {
  const key: CachedKey = { orgId: 'acme', keyId: 'k1', fingerprint: 'f1', status: 'active', acceptUntil: null };
  let source: SwitchableCache;
  let clock: ManualClock;
  let cache: KeyEntryCache;

  beforeEach(async () => {
    source = new SwitchableCache();
    await source.applyRingChange('acme', 0, { kind: 'put', key });
    await source.markComplete();
    clock = new ManualClock('2026-03-01T10:00:00Z');
    cache = new KeyEntryCache(source, clock, pino({ level: 'silent' }), { ttlMs: 1000, stalenessMs: 5000, max: 3 });
  });

  const now = () => clock.now().getTime();

  it('throws KeyCacheIncompleteError for a miss without the completeness marker, keeps nothing, and still serves a found key', async () => {
    await source.clear();
    await source.applyRingChange('acme', 0, { kind: 'put', key });
    await expect(cache.get('nope', now())).rejects.toBeInstanceOf(KeyCacheIncompleteError);
    await expect(cache.get('f1', now())).resolves.toEqual(key);
    await source.markComplete();
    // The miss was not held: the next read asks again and now trusts the answer.
    await expect(cache.get('nope', now())).resolves.toBeNull();
    expect(source.reads).toBe(3);
  });

  it('reads Redis once, then answers from memory, synchronously, within the TTL — found or not found alike', async () => {
    await expect(cache.get('f1', now())).resolves.toEqual(key);
    await expect(cache.get('nope', now())).resolves.toBeNull();
    clock.advance(1000);
    expect(cache.get('f1', now())).toEqual(key);
    expect(cache.get('nope', now())).toBeNull();
    expect(source.reads).toBe(2);
  });

  it('past the TTL answers at once and re-reads in the background, so a removal lost in transit ends within about the TTL', async () => {
    await cache.get('f1', now());
    await source.applyRingChange('acme', 1, { kind: 'remove', keyId: 'k1' });
    clock.advance(1500);
    expect(cache.get('f1', now())).toEqual(key);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.get('f1', now())).toBeNull();
  });

  it('with Redis down, honours a held entry up to the staleness bound and then refuses to guess', async () => {
    await cache.get('f1', now());
    source.down = true;
    clock.advance(5000);
    expect(cache.get('f1', now())).toEqual(key);
    clock.advance(1);
    await expect(cache.get('f1', now())).rejects.toBeInstanceOf(KeyCacheUnavailableError);
    await expect(cache.get('never-held', now())).rejects.toBeInstanceOf(KeyCacheUnavailableError);
  });

  it('evicts on an invalidation that names the key only, and does not keep a read that raced it', async () => {
    await cache.get('f1', now());
    cache.evict('acme', 'k1', null);
    expect(cache.get('f1', now())).toBeInstanceOf(Promise);
    const racing = cache.get('f1', now());
    cache.evict('acme', 'k1', 'f1');
    await racing;
    expect(cache.get('f1', now())).toBeInstanceOf(Promise);
  });

  it('shares one Redis read between concurrent requests for a fingerprint, and stays within its bound', async () => {
    await Promise.all([cache.get('f1', now()), cache.get('f1', now()), cache.get('f1', now())]);
    expect(source.reads).toBe(1);
    for (const fp of ['a', 'b', 'c', 'd']) await cache.get(fp, now());
    expect(cache.size).toBe(3);
  });
});
