import { createHmac } from 'node:crypto';
import { WeakKeyMaterialError } from './crypto.errors';

export const MIN_PEPPER_BYTES = 32;

/**
 * The only form in which a key is looked up: HMAC-SHA256 under a pepper kept outside the event
 * store, so a leaked store or cache cannot be brute-forced offline without the pepper too.
 */
export class KeyFingerprinter {
  private readonly pepper: Buffer;

  constructor(pepper: Buffer) {
    if (!Buffer.isBuffer(pepper) || pepper.length < MIN_PEPPER_BYTES) {
      throw new WeakKeyMaterialError(`the pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
    }
    this.pepper = Buffer.from(pepper);
  }

  /** 64 lowercase hex characters. */
  fingerprint(apiKey: string): string {
    return createHmac('sha256', this.pepper).update(apiKey, 'utf8').digest('hex');
  }
}
