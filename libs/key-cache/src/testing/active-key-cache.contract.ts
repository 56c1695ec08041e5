import { randomUUID } from 'node:crypto';
import { ActiveKeyCache, CachedKey } from '../active-key-cache.port';

/** The behaviour every active-key cache adapter shares; run against memory and real Redis. */
export function runActiveKeyCacheContract(name: string, create: () => Promise<{ cache: ActiveKeyCache; cleanup(): Promise<void> }>): void {
  describe(`active-key cache contract: ${name}`, () => {
    let cache: ActiveKeyCache;
    let cleanup: () => Promise<void>;
    let org: string;
    const key = (keyId: string, patch: Partial<CachedKey> = {}): CachedKey => ({
      orgId: org,
      keyId,
      fingerprint: `${org}-${keyId}`.padEnd(64, '0').slice(0, 64),
      status: 'active',
      acceptUntil: Date.now() + 3_600_000,
      ...patch,
    });

    beforeEach(async () => {
      ({ cache, cleanup } = await create());
      org = `org-${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => cleanup());

    it('puts, looks up by fingerprint and by key id, and removes', async () => {
      const a = key('key_a');
      expect(await cache.applyRingChange(org, 0, { kind: 'put', key: a })).toBe('applied');
      expect(await cache.lookup(a.fingerprint)).toEqual(a);
      expect(await cache.findByKeyId(org, 'key_a')).toEqual(a);
      expect(await cache.listOrg(org)).toEqual([a]);
      expect(await cache.applyRingChange(org, 1, { kind: 'remove', keyId: 'key_a' })).toBe('applied');
      expect(await cache.lookup(a.fingerprint)).toBeNull();
      expect(await cache.listOrg(org)).toEqual([]);
    });

    it('keeps never-expiring keys with a null acceptUntil', async () => {
      const a = key('key_a', { acceptUntil: null });
      await cache.applyRingChange(org, 0, { kind: 'put', key: a });
      expect(await cache.lookup(a.fingerprint)).toEqual(a);
    });

    it('ignores a change whose revision is not newer than the last applied', async () => {
      const a = key('key_a');
      await cache.applyRingChange(org, 5, { kind: 'put', key: a });
      expect(await cache.applyRingChange(org, 5, { kind: 'remove', keyId: 'key_a' })).toBe('stale');
      expect(await cache.applyRingChange(org, 3, { kind: 'remove', keyId: 'key_a' })).toBe('stale');
      expect(await cache.lookup(a.fingerprint)).toEqual(a);
      expect(await cache.applyRingChange(org, 6, { kind: 'none' })).toBe('applied');
      expect(await cache.ringRevision(org)).toBe(6);
    });

    it('restores an organisation from a snapshot unless a newer revision was applied', async () => {
      await cache.applyRingChange(org, 2, { kind: 'put', key: key('key_old') });
      const fresh = key('key_new');
      expect(await cache.restoreOrgs([{ orgId: org, revision: 4, keys: [fresh] }])).toBe(1);
      expect(await cache.listOrg(org)).toEqual([fresh]);
      expect(await cache.lookup(key('key_old').fingerprint)).toBeNull();
      expect(await cache.restoreOrgs([{ orgId: org, revision: 3, keys: [] }])).toBe(0);
      expect(await cache.listOrg(org)).toEqual([fresh]);
    });

    it('restores and replaces an organisation holding hundreds of keys', async () => {
      const many = Array.from({ length: 250 }, (_, i) => key(`key_${String(i).padStart(4, '0')}`));
      expect(await cache.restoreOrgs([{ orgId: org, revision: 300, keys: many }])).toBe(1);
      expect(await cache.listOrg(org)).toHaveLength(250);
      expect(await cache.lookup(many[249].fingerprint)).toEqual(many[249]);

      const kept = [many[0], many[249], key('key_next', { acceptUntil: null })];
      expect(await cache.restoreOrgs([{ orgId: org, revision: 301, keys: kept }])).toBe(1);
      const sortById = (keys: readonly CachedKey[]) => [...keys].sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
      expect(sortById(await cache.listOrg(org))).toEqual(sortById(kept));
      expect(await cache.lookup(many[1].fingerprint)).toBeNull();
      expect(await cache.lookup(many[248].fingerprint)).toBeNull();
      expect(await cache.lookup(kept[2].fingerprint)).toEqual(kept[2]);
    });

    it('restores many organisations at once, each on its own revision, and counts only those replaced', async () => {
      const orgs = Array.from({ length: 150 }, (_, i) => `${org}-${String(i).padStart(3, '0')}`);
      const keyOf = (orgId: string, keyId: string, patch: Partial<CachedKey> = {}): CachedKey => ({
        ...key(keyId, patch),
        orgId,
        fingerprint: `${orgId}-${keyId}`.padEnd(64, '0').slice(0, 64),
      });
      // Every third organisation already applied a newer revision than the replay's: kept as it is.
      const newer = orgs.filter((_, i) => i % 3 === 0);
      for (const orgId of newer) await cache.applyRingChange(orgId, 9, { kind: 'put', key: keyOf(orgId, 'key_live') });
      // One organisation holds more keys than a restore call takes at once.
      const big = Array.from({ length: 600 }, (_, i) => keyOf(orgs[1], `key_${String(i).padStart(4, '0')}`));
      const snapshots = orgs.map((orgId, i) => ({
        orgId,
        revision: 5,
        keys: i === 1 ? big : [keyOf(orgId, 'key_a'), keyOf(orgId, 'key_b', { status: 'revoked', acceptUntil: null })],
      }));
      // A later snapshot of the same organisation in the same call wins.
      const later = { orgId: orgs[2], revision: 6, keys: [keyOf(orgs[2], 'key_later')] };
      expect(await cache.restoreOrgs([...snapshots, later])).toBe(orgs.length - newer.length + 1);
      expect(await cache.listOrg(orgs[2])).toEqual(later.keys);
      for (const orgId of newer) expect((await cache.listOrg(orgId)).map((k) => k.keyId)).toEqual(['key_live']);
      expect(await cache.listOrg(orgs[1])).toHaveLength(600);
      expect(await cache.lookup(big[599].fingerprint)).toEqual(big[599]);
      const last = orgs[orgs.length - 1];
      expect(await cache.lookup(keyOf(last, 'key_b').fingerprint)).toEqual(keyOf(last, 'key_b', { status: 'revoked', acceptUntil: null }));
      expect(await cache.ringRevision(last)).toBe(5);
      expect(await cache.ringRevision(orgs[0])).toBe(9);
      expect(new Set(await cache.listOrgIds())).toEqual(new Set(orgs));
    });

    it('reconciles an organisation: refused when the cache moved on, unless it holds exactly the wrong revision named; revision -1 removes it', async () => {
      const a = key('key_a');
      const b = key('key_b');
      await cache.applyRingChange(org, 5, { kind: 'put', key: a });
      expect(await cache.reconcileOrg({ orgId: org, revision: 4, keys: [b] })).toBe(false);
      expect(await cache.reconcileOrg({ orgId: org, revision: 4, keys: [b] }, 3)).toBe(false);
      expect(await cache.listOrg(org)).toEqual([a]);
      expect(await cache.reconcileOrg({ orgId: org, revision: 4, keys: [b] }, 5)).toBe(true);
      expect(await cache.listOrg(org)).toEqual([b]);
      expect(await cache.lookup(a.fingerprint)).toBeNull();
      expect(await cache.ringRevision(org)).toBe(4);
      expect(await cache.reconcileOrg({ orgId: org, revision: -1, keys: [] })).toBe(false);
      expect(await cache.lookup(b.fingerprint)).toEqual(b);
      expect(await cache.reconcileOrg({ orgId: org, revision: -1, keys: [] }, 4)).toBe(true);
      expect(await cache.lookup(b.fingerprint)).toBeNull();
      expect(await cache.ringRevision(org)).toBeNull();
      expect(await cache.listOrgIds()).not.toContain(org);
    });

    it('lists no unindexed entry when every entry was written through the cache, and removes none', async () => {
      const a = key('key_a');
      await cache.applyRingChange(org, 0, { kind: 'put', key: a });
      expect((await cache.findUnindexedEntries()).filter((e) => e.key?.orgId === org)).toEqual([]);
      expect(await cache.removeUnindexedEntry(a.fingerprint)).toBe(false);
      expect(await cache.lookup(a.fingerprint)).toEqual(a);
    });

    it('carries a completeness marker with each lookup: absent until marked, gone again after clear', async () => {
      const a = key('key_a');
      await cache.applyRingChange(org, 0, { kind: 'put', key: a });
      expect(await cache.lookupChecked(a.fingerprint)).toEqual({ key: a, complete: false });
      expect(await cache.isComplete()).toBe(false);
      await cache.markComplete();
      expect(await cache.lookupChecked(a.fingerprint)).toEqual({ key: a, complete: true });
      expect(await cache.lookupChecked(key('key_unknown').fingerprint)).toEqual({ key: null, complete: true });
      await cache.clear();
      expect(await cache.lookupChecked(a.fingerprint)).toEqual({ key: null, complete: false });
      expect(await cache.isComplete()).toBe(false);
    });

    it('drops an organisation', async () => {
      await cache.applyRingChange(org, 0, { kind: 'put', key: key('key_a') });
      await cache.dropOrg(org);
      expect(await cache.listOrg(org)).toEqual([]);
      expect(await cache.listOrgIds()).not.toContain(org);
      expect(await cache.ringRevision(org)).toBeNull();
    });
  });
}
