import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@keywarden/event-store';
import { DAY0, issue, ORG, revoke } from '../domain/testing/key-ring.fixtures';
import { KeyRingRepository } from './key-ring.repository';

// Two registry processes on one store, each with its repository: what one writes, the other's next
// load sees, although each keeps the rings it loaded.

const NOW = DAY0;
const keyIds = (loaded: Awaited<ReturnType<KeyRingRepository['load']>>) => loaded.ring.keys.map((k) => k.keyId);

describe('KeyRingRepository', () => {
  let dir: string;
  let stores: SqliteEventStore[];
  let first: KeyRingRepository;
  let second: KeyRingRepository;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keywarden-repository-'));
    stores = [new SqliteEventStore(join(dir, 'events.sqlite')), new SqliteEventStore(join(dir, 'events.sqlite'))];
    [first, second] = stores.map((store) => new KeyRingRepository(store));
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees on its next load what another process appended after it loaded the ring, and decides on it', async () => {
    expect(await first.load(ORG)).toMatchObject({ revision: 'no_stream', ring: { keys: [] } });
    await second.execute(ORG, issue('key_a'));
    expect(keyIds(await first.load(ORG))).toEqual(['key_a']);

    await second.execute(ORG, revoke('key_a', 'key_b'));
    // Decided on the ring with key_b, appended at the revision after second's events: no conflict.
    const revoked = await first.execute(ORG, revoke('key_b', 'key_c'));
    expect(revoked.revision).toBe(4n);
    expect(keyIds(await second.load(ORG))).toEqual(['key_a', 'key_b', 'key_c']);
    expect((await second.load(ORG)).ring.keys.map((k) => k.replacedBy)).toEqual(['key_b', 'key_c', null]);
    expect(await second.load(ORG)).toEqual(await first.load(ORG));
  });

  it('chains the next event over the last one, whichever process wrote it', async () => {
    await first.execute(ORG, issue('key_a'));
    await first.load(ORG);
    await second.execute(ORG, revoke('key_a', 'key_b'));
    await first.execute(ORG, revoke('key_b', 'key_c'));
    const chains = (await stores[0].readStream(`keyring-${ORG}`)).map((e) => e.metadata.chain);
    expect(new Set(chains).size).toBe(5);
    expect((await first.load(ORG)).chain).toBe(chains[4]);
    expect((await second.load(ORG)).chain).toBe(chains[4]);
  });

  it('decides on the ring as stored, not as it loaded it before: a key another process revoked meanwhile is not revoked twice', async () => {
    await first.execute(ORG, issue('key_a'));
    await second.load(ORG);
    await first.execute(ORG, revoke('key_a', 'key_b'));
    await expect(second.execute(ORG, revoke('key_a', 'key_x'))).rejects.toMatchObject({ code: 'KEY_ALREADY_REVOKED' });
    expect(keyIds(await first.load(ORG))).toEqual(['key_a', 'key_b']);
    expect(await stores[0].readStream(`keyring-${ORG}`)).toHaveLength(3);
  });
});
