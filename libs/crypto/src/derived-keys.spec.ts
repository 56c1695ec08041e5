import { randomBytes } from 'node:crypto';
import { deriveKey, OtpHasher, SealedBox, UnreadableSealedValueError } from './derived-keys';

describe('keys derived from the KEK', () => {
  const kek = randomBytes(32);

  it('derives a distinct, stable key per purpose, never the KEK itself', () => {
    const seal = deriveKey(kek, 'notificationSeal');
    const hash = deriveKey(kek, 'otpHash');
    expect(seal.equals(deriveKey(kek, 'notificationSeal'))).toBe(true);
    expect(seal.equals(hash)).toBe(false);
    expect(seal.equals(kek)).toBe(false);
    expect(() => deriveKey(Buffer.alloc(16), 'otpHash')).toThrow(/32 bytes/);
  });

  it('seals a value that only a holder of the same KEK opens, bound to its context', () => {
    const sealed = SealedBox.fromKek(kek).seal('123456', 'request-1:admin@acme.test');
    expect(JSON.stringify(sealed)).not.toContain('123456');
    expect(SealedBox.fromKek(kek).open(sealed, 'request-1:admin@acme.test')).toBe('123456');
    expect(() => SealedBox.fromKek(kek).open(sealed, 'request-1:attacker@evil.test')).toThrow(UnreadableSealedValueError);
    expect(() => SealedBox.fromKek(randomBytes(32)).open(sealed, 'request-1:admin@acme.test')).toThrow(/do not share the same KEK/);
    const tampered = { ...sealed, ciphertext: Buffer.from('654321').toString('base64url') };
    expect(() => SealedBox.fromKek(kek).open(tampered, 'request-1:admin@acme.test')).toThrow(/failed authentication/);
  });

  it('hashes codes per request under a secret key, and compares in constant time', () => {
    const hasher = OtpHasher.fromKek(kek);
    const hash = hasher.hash('rvl_1', '000123');
    expect(hash).not.toContain('000123');
    expect(hasher.hash('rvl_2', '000123')).not.toBe(hash);
    expect(OtpHasher.fromKek(randomBytes(32)).hash('rvl_1', '000123')).not.toBe(hash);
    expect(hasher.matches('rvl_1', '000123', hash)).toBe(true);
    expect(hasher.matches('rvl_1', '000124', hash)).toBe(false);
  });
});
