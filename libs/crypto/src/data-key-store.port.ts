/** Where the KEK-wrapped data keys live: outside the immutable event log, so they can be destroyed. */
export interface DataKeyStore {
  /** Rejects with DataKeyAlreadyExistsError rather than overwrite a key some material may need. */
  put(dataKeyId: string, wrappedKey: Buffer): Promise<void>;
  get(dataKeyId: string): Promise<Buffer | null>;
  /** Idempotent; afterwards the wrapped key is unrecoverable from the store. */
  destroy(dataKeyId: string): Promise<void>;
}

export const DATA_KEY_STORE = Symbol('DATA_KEY_STORE');
