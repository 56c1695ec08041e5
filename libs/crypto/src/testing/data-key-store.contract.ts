import { randomBytes } from 'node:crypto';
import { DataKeyAlreadyExistsError } from '../crypto.errors';
import { DataKeyStore } from '../data-key-store.port';

/** The behaviour every DataKeyStore adapter promises; `make` returns a fresh, empty store. */
export function runDataKeyStoreContract(name: string, make: () => DataKeyStore | Promise<DataKeyStore>): void {
  describe(`DataKeyStore contract: ${name}`, () => {
    it('returns what was put, and null for an unknown id', async () => {
      const store = await make();
      const wrapped = randomBytes(61);
      await store.put('dk-1', wrapped);
      expect(await store.get('dk-1')).toEqual(wrapped);
      expect(await store.get('dk-2')).toBeNull();
    });

    it('never overwrites an existing data key', async () => {
      const store = await make();
      const first = randomBytes(61);
      await store.put('dk-1', first);
      await expect(store.put('dk-1', randomBytes(61))).rejects.toBeInstanceOf(DataKeyAlreadyExistsError);
      expect(await store.get('dk-1')).toEqual(first);
    });

    it('destroys idempotently', async () => {
      const store = await make();
      await store.put('dk-1', randomBytes(61));
      await store.destroy('dk-1');
      await store.destroy('dk-1');
      expect(await store.get('dk-1')).toBeNull();
    });
  });
}
