import { randomBytes } from 'node:crypto';
import type { EncryptedKeyMaterial } from '@keywarden/contracts';
import { generateApiKey } from './api-key';
import { KeyMaterialIntegrityError, KeyMaterialShreddedError, WeakKeyMaterialError } from './crypto.errors';
import { InMemoryDataKeyStore } from './in-memory-data-key-store.adapter';
import { KeyMaterialVault } from './key-material-vault';

function flipFirstByte(base64url: string): string {
  const bytes = Buffer.from(base64url, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}

describe('KeyMaterialVault', () => {
  const kek = randomBytes(32);
  const { key } = generateApiKey();

  it('round-trips a key, and the sealed form does not contain it', async () => {
    const vault = new KeyMaterialVault(kek, new InMemoryDataKeyStore());
    const material = await vault.seal('key-1', key);
    expect(material).toMatchObject({ alg: 'A256GCM', dataKeyId: 'key-1' });
    expect(JSON.stringify(material)).not.toContain(key.slice(3, 20));
    expect(await vault.open(material)).toBe(key);
  });

  it('uses a fresh data key per key: the same plaintext seals differently', async () => {
    const store = new InMemoryDataKeyStore();
    const vault = new KeyMaterialVault(kek, store);
    const a = await vault.seal('key-a', key);
    const b = await vault.seal('key-b', key);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(await store.get('key-a')).not.toEqual(await store.get('key-b'));
  });

  it('cannot open material after its data key is shredded', async () => {
    const vault = new KeyMaterialVault(kek, new InMemoryDataKeyStore());
    const material = await vault.seal('key-1', key);
    await vault.shred('key-1');
    const error = await vault.open(material).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyMaterialShreddedError);
    expect((error as KeyMaterialShreddedError).code).toBe('KEY_MATERIAL_SHREDDED');
    expect((error as Error).message).not.toContain(key);
  });

  it.each<[string, (m: EncryptedKeyMaterial) => EncryptedKeyMaterial]>([
    ['ciphertext', (m) => ({ ...m, ciphertext: flipFirstByte(m.ciphertext) })],
    ['tag', (m) => ({ ...m, tag: flipFirstByte(m.tag) })],
    ['iv', (m) => ({ ...m, iv: flipFirstByte(m.iv) })],
  ])('rejects a tampered %s', async (_part, tamper) => {
    const vault = new KeyMaterialVault(kek, new InMemoryDataKeyStore());
    const material = await vault.seal('key-1', key);
    const error = await vault.open(tamper(material)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyMaterialIntegrityError);
    expect((error as KeyMaterialIntegrityError).code).toBe('KEY_MATERIAL_INTEGRITY');
  });

  it('rejects material moved onto another data key', async () => {
    const vault = new KeyMaterialVault(kek, new InMemoryDataKeyStore());
    const a = await vault.seal('key-a', key);
    const b = await vault.seal('key-b', generateApiKey().key);
    await expect(vault.open({ ...b, dataKeyId: a.dataKeyId })).rejects.toBeInstanceOf(KeyMaterialIntegrityError);
  });

  it('rejects a wrong KEK', async () => {
    const store = new InMemoryDataKeyStore();
    const material = await new KeyMaterialVault(kek, store).seal('key-1', key);
    await expect(new KeyMaterialVault(randomBytes(32), store).open(material)).rejects.toBeInstanceOf(KeyMaterialIntegrityError);
  });

  it('requires a 32-byte KEK', () => {
    expect(() => new KeyMaterialVault(randomBytes(16), new InMemoryDataKeyStore())).toThrow(WeakKeyMaterialError);
  });
});
