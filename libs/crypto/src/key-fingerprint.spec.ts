import { randomBytes } from 'node:crypto';
import { generateApiKey } from './api-key';
import { WeakKeyMaterialError } from './crypto.errors';
import { KeyFingerprinter } from './key-fingerprint';

describe('KeyFingerprinter', () => {
  const pepper = randomBytes(32);
  const { key } = generateApiKey();

  it('is a stable 64-char hex HMAC', () => {
    const fingerprinter = new KeyFingerprinter(pepper);
    expect(fingerprinter.fingerprint(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(new KeyFingerprinter(Buffer.from(pepper)).fingerprint(key)).toBe(fingerprinter.fingerprint(key));
  });

  it('depends on the pepper and on the key', () => {
    const fingerprinter = new KeyFingerprinter(pepper);
    expect(new KeyFingerprinter(randomBytes(32)).fingerprint(key)).not.toBe(fingerprinter.fingerprint(key));
    expect(fingerprinter.fingerprint(generateApiKey().key)).not.toBe(fingerprinter.fingerprint(key));
  });

  it('does not follow later changes to the buffer it was given', () => {
    const mutable = Buffer.from(pepper);
    const fingerprinter = new KeyFingerprinter(mutable);
    const before = fingerprinter.fingerprint(key);
    mutable.fill(0);
    expect(fingerprinter.fingerprint(key)).toBe(before);
  });

  it('refuses a pepper shorter than 32 bytes', () => {
    expect(() => new KeyFingerprinter(randomBytes(31))).toThrow(WeakKeyMaterialError);
  });
});
