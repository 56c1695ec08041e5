import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedKeyMaterial } from '@keywarden/contracts';
import { KeyMaterialIntegrityError, KeyMaterialShreddedError, WeakKeyMaterialError } from './crypto.errors';
import { DataKeyStore } from './data-key-store.port';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of a wrapped data key, so a later KEK rotation can tell formats apart. */
const WRAP_FORMAT_V1 = 1;
const WRAPPED_LENGTH = 1 + IV_BYTES + TAG_BYTES + KEY_BYTES;

/**
 * Envelope encryption of the key copy that OTP-gated viewing needs. Each key gets its own random
 * data key, wrapped by the KEK and kept in a deletable store; the ciphertext goes into the
 * immutable event log. Destroying the data key makes that ciphertext unreadable forever.
 */
export class KeyMaterialVault {
  private readonly kek: Buffer;

  constructor(
    kek: Buffer,
    private readonly store: DataKeyStore,
  ) {
    if (!Buffer.isBuffer(kek) || kek.length !== KEY_BYTES) throw new WeakKeyMaterialError(`the KEK must be exactly ${KEY_BYTES} bytes`);
    this.kek = Buffer.from(kek);
  }

  async seal(dataKeyId: string, plaintext: string): Promise<EncryptedKeyMaterial> {
    const dataKey = randomBytes(KEY_BYTES);
    try {
      const iv = randomBytes(IV_BYTES);
      // The AAD binds the ciphertext to its data key id, so material cannot be swapped between keys.
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(Buffer.from(dataKeyId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      await this.store.put(dataKeyId, this.wrap(dataKeyId, dataKey));
      return {
        alg: 'A256GCM',
        dataKeyId,
        iv: iv.toString('base64url'),
        ciphertext: ciphertext.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  async open(material: EncryptedKeyMaterial): Promise<string> {
    const { dataKeyId } = material;
    const wrapped = await this.store.get(dataKeyId);
    if (wrapped === null) throw new KeyMaterialShreddedError(dataKeyId);
    const dataKey = this.unwrap(dataKeyId, wrapped);
    try {
      const iv = Buffer.from(material.iv, 'base64url');
      const tag = Buffer.from(material.tag, 'base64url');
      if (material.alg !== 'A256GCM' || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new KeyMaterialIntegrityError(dataKeyId);
      const decipher = createDecipheriv('aes-256-gcm', dataKey, iv).setAAD(Buffer.from(dataKeyId, 'utf8')).setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(material.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      if (error instanceof KeyMaterialIntegrityError) throw error;
      throw new KeyMaterialIntegrityError(dataKeyId);
    } finally {
      dataKey.fill(0);
    }
  }

  /** Crypto-shredding: after this, every copy of the material sealed under this id is unreadable. */
  async shred(dataKeyId: string): Promise<void> {
    await this.store.destroy(dataKeyId);
  }

  private wrap(dataKeyId: string, dataKey: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv).setAAD(wrapAad(dataKeyId));
    const wrappedKey = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([Buffer.of(WRAP_FORMAT_V1), iv, cipher.getAuthTag(), wrappedKey]);
  }

  private unwrap(dataKeyId: string, wrapped: Buffer): Buffer {
    if (wrapped.length !== WRAPPED_LENGTH || wrapped[0] !== WRAP_FORMAT_V1) throw new KeyMaterialIntegrityError(dataKeyId);
    const iv = wrapped.subarray(1, 1 + IV_BYTES);
    const tag = wrapped.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, iv).setAAD(wrapAad(dataKeyId)).setAuthTag(tag);
      return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyMaterialIntegrityError(dataKeyId);
    }
  }
}

function wrapAad(dataKeyId: string): Buffer {
  return Buffer.from(`keywarden-data-key:${dataKeyId}`, 'utf8');
}
