import { DataKeyAlreadyExistsError } from './crypto.errors';
import { DataKeyStore } from './data-key-store.port';

/** For unit tests: same semantics as the SQLite store, nothing persisted. */
export class InMemoryDataKeyStore implements DataKeyStore {
  private readonly keys = new Map<string, Buffer>();

  async put(dataKeyId: string, wrappedKey: Buffer): Promise<void> {
    if (this.keys.has(dataKeyId)) throw new DataKeyAlreadyExistsError(dataKeyId);
    this.keys.set(dataKeyId, Buffer.from(wrappedKey));
  }

  async get(dataKeyId: string): Promise<Buffer | null> {
    const key = this.keys.get(dataKeyId);
    return key ? Buffer.from(key) : null;
  }

  async destroy(dataKeyId: string): Promise<void> {
    this.keys.get(dataKeyId)?.fill(0);
    this.keys.delete(dataKeyId);
  }
}
