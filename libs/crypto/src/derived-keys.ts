import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SealedValue } from '@keywarden/contracts';
import { WeakKeyMaterialError } from './crypto.errors';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * What a key derived from the KEK is for. HKDF-SHA256 with a distinct `info` per purpose gives
 * independent keys (RFC 5869 §3.2): none of them can unwrap a data key, and no service needs a
 * second secret to configure. Changing a label changes the key, so they are versioned.
 */
export const DERIVED_KEY_PURPOSES = {
  notificationSeal: 'keywarden/notification-seal/v1',
  otpHash: 'keywarden/otp-hash/v1',
} as const;

export type DerivedKeyPurpose = keyof typeof DERIVED_KEY_PURPOSES;

export function deriveKey(kek: Buffer, purpose: DerivedKeyPurpose): Buffer {
  if (!Buffer.isBuffer(kek) || kek.length !== KEY_BYTES) throw new WeakKeyMaterialError(`the KEK must be exactly ${KEY_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', kek, Buffer.from('keywarden', 'utf8'), DERIVED_KEY_PURPOSES[purpose], KEY_BYTES));
}

/** A sealed value that cannot be opened here: another key (another KEK), tampered, or other associated data. */
export class UnreadableSealedValueError extends Error {
  readonly code = 'UNREADABLE_SEALED_VALUE';
}

/**
 * Seals short secrets (the reveal code) for another Keywarden service to open: AES-256-GCM under a
 * key derived from the KEK, with associated data that binds the value to its context. The `kid`
 * (a hash of the derived key) tells a receiver at once that a value was sealed under another KEK.
 */
export class SealedBox {
  readonly kid: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new WeakKeyMaterialError(`a sealing key must be exactly ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
    this.kid = createHash('sha256').update('keywarden/sealed-box-kid').update(this.key).digest('base64url').slice(0, 16);
  }

  static fromKek(kek: Buffer): SealedBox {
    return new SealedBox(deriveKey(kek, 'notificationSeal'));
  }

  seal(plaintext: string, associatedData: string): SealedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      alg: 'A256GCM',
      kid: this.kid,
      iv: iv.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  }

  open(sealed: SealedValue, associatedData: string): string {
    if (sealed.kid !== this.kid) {
      throw new UnreadableSealedValueError(`sealed under key ${sealed.kid}, not ${this.kid}: the services do not share the same KEK`);
    }
    const iv = Buffer.from(sealed.iv, 'base64url');
    const tag = Buffer.from(sealed.tag, 'base64url');
    if (sealed.alg !== 'A256GCM' || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new UnreadableSealedValueError('the sealed value is malformed');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(associatedData, 'utf8')).setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new UnreadableSealedValueError('the sealed value failed authentication (tampered, or bound to another context)');
    }
  }
}

/**
 * Hashes one-time codes for storage. A 6-digit code has a million values, so a plain hash would
 * be reversed at once from a leaked Redis; an HMAC under a key derived from the KEK cannot be.
 * The request id is part of the input, so equal codes of two requests hash differently.
 */
export class OtpHasher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) throw new WeakKeyMaterialError(`an OTP hashing key must be exactly ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  static fromKek(kek: Buffer): OtpHasher {
    return new OtpHasher(deriveKey(kek, 'otpHash'));
  }

  hash(requestId: string, code: string): string {
    return createHmac('sha256', this.key).update(`${requestId}\u0000${code}`, 'utf8').digest('base64url');
  }

  matches(requestId: string, code: string, expectedHash: string): boolean {
    const actual = Buffer.from(this.hash(requestId, code));
    const expected = Buffer.from(expectedHash);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
