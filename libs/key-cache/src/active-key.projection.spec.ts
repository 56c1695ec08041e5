import { InMemoryActiveKeyCache } from './in-memory-active-key-cache.adapter';
import { KeyRingEvent } from '@keywarden/contracts';
import { projectKeyEvent } from './active-key.projection';

const actor = { sub: 'u', email: null };
const issued: KeyRingEvent = {
  type: 'KeyIssued',
  data: {
    orgId: 'acme',
    keyId: 'key_a',
    fingerprint: 'f'.repeat(64),
    hint: 'kw_…abcd',
    material: { alg: 'A256GCM', dataKeyId: 'key_a', iv: '', ciphertext: '', tag: '' },
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    reason: 'initial',
    replaces: null,
    actor,
  },
};
const revoked: KeyRingEvent = {
  type: 'KeyRevoked',
  data: { orgId: 'acme', keyId: 'key_a', revokedAt: '2026-02-01T00:00:00.000Z', graceEndsAt: '2026-03-03T00:00:00.000Z', kind: 'manual', reason: null, replacedBy: 'key_b', actor },
};
const deleted: KeyRingEvent = { type: 'KeyDeleted', data: { orgId: 'acme', keyId: 'key_a', deletedAt: '2026-02-02T00:00:00.000Z', actor } };

/** Feeds (revision, event) pairs through the projection into a cache, like the consumer does. */
async function project(cache: InMemoryActiveKeyCache, deliveries: Array<[number, KeyRingEvent]>) {
  for (const [revision, event] of deliveries) {
    const current = await cache.findByKeyId('acme', event.data.keyId);
    await cache.applyRingChange('acme', revision, projectKeyEvent(current, event));
  }
}

describe('active-key projection', () => {
  it('caches an issued key until its expiry', async () => {
    const cache = new InMemoryActiveKeyCache();
    await project(cache, [[0, issued]]);
    expect(await cache.lookup('f'.repeat(64))).toEqual({
      orgId: 'acme',
      keyId: 'key_a',
      fingerprint: 'f'.repeat(64),
      status: 'active',
      acceptUntil: Date.parse('2027-01-01T00:00:00.000Z'),
    });
  });

  it('shortens acceptance to the grace end on revocation', async () => {
    const cache = new InMemoryActiveKeyCache();
    await project(cache, [[0, issued], [1, revoked]]);
    expect(await cache.lookup('f'.repeat(64))).toMatchObject({ status: 'revoked', acceptUntil: Date.parse('2026-03-03T00:00:00.000Z') });
  });

  it('removes a deleted key', async () => {
    const cache = new InMemoryActiveKeyCache();
    await project(cache, [[0, issued], [1, revoked], [2, deleted]]);
    expect(await cache.lookup('f'.repeat(64))).toBeNull();
    expect(await cache.listOrg('acme')).toEqual([]);
  });

  it('is idempotent: run twice, not updated twice', async () => {
    const once = new InMemoryActiveKeyCache();
    const twice = new InMemoryActiveKeyCache();
    await project(once, [[0, issued], [1, revoked]]);
    await project(twice, [[0, issued], [1, revoked], [0, issued], [1, revoked]]);
    expect(await twice.listOrg('acme')).toEqual(await once.listOrg('acme'));
    expect(await twice.ringRevision('acme')).toBe(1);
  });

  it('ignores an older event delivered after a newer one', async () => {
    const cache = new InMemoryActiveKeyCache();
    await project(cache, [[0, issued], [2, deleted], [1, revoked]]);
    expect(await cache.lookup('f'.repeat(64))).toBeNull();
  });
});
