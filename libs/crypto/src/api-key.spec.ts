import nodeCrypto from 'node:crypto';
import { API_KEY_BODY_LENGTH, API_KEY_LENGTH, API_KEY_PREFIX, apiKeyHint, generateApiKey, parseApiKey } from './api-key';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function replaceCharAt(key: string, index: number): string {
  const next = BASE62[(BASE62.indexOf(key[index]) + 1) % BASE62.length];
  return key.slice(0, index) + next + key.slice(index + 1);
}

describe('API key format', () => {
  afterEach(() => jest.restoreAllMocks());

  it('draws at least 256 bits from the CSPRNG and encodes all of them', () => {
    const spy = jest.spyOn(nodeCrypto, 'randomBytes');
    const { key } = generateApiKey();
    expect(spy).toHaveBeenCalledWith(expect.any(Number));
    expect(spy.mock.calls[0][0]).toBeGreaterThanOrEqual(32);
    expect(key).toHaveLength(API_KEY_LENGTH);
    // 43 base62 characters can carry 256 bits: 62^43 > 2^256.
    expect(62n ** BigInt(API_KEY_BODY_LENGTH) > 2n ** 256n).toBe(true);
  });

  it('encodes the random bytes losslessly in the body', () => {
    const bytes = Buffer.alloc(32, 0xff);
    jest.spyOn(nodeCrypto, 'randomBytes').mockImplementation((() => Buffer.from(bytes)) as never);
    const { key } = generateApiKey();
    const body = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + API_KEY_BODY_LENGTH);
    const decoded = [...body].reduce((n, c) => n * 62n + BigInt(BASE62.indexOf(c)), 0n);
    expect(decoded).toBe(2n ** 256n - 1n);
  });

  it('gives distinct keys with the kw_ prefix and a hint of prefix plus last 4', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    for (const { key, hint } of keys) {
      expect(key).toMatch(/^kw_[0-9A-Za-z]{49}$/);
      expect(hint).toBe(`kw_…${key.slice(-4)}`);
      expect(apiKeyHint(key)).toBe(hint);
      expect(parseApiKey(key)).toEqual({ ok: true });
    }
  });

  it('rejects every single-character change through the checksum', () => {
    const { key } = generateApiKey();
    for (let i = API_KEY_PREFIX.length; i < key.length; i++) {
      expect(parseApiKey(replaceCharAt(key, i))).toEqual({ ok: false, reason: 'bad-checksum' });
    }
  });

  it('rejects a wrong prefix, garbage and wrong lengths', () => {
    const { key } = generateApiKey();
    expect(parseApiKey(`gh_${key.slice(3)}`)).toEqual({ ok: false, reason: 'bad-prefix' });
    expect(parseApiKey('not a key at all')).toEqual({ ok: false, reason: 'bad-prefix' });
    expect(parseApiKey('')).toEqual({ ok: false, reason: 'bad-prefix' });
    expect(parseApiKey(key.slice(0, -1))).toEqual({ ok: false, reason: 'malformed' });
    expect(parseApiKey(`${key}A`)).toEqual({ ok: false, reason: 'malformed' });
    expect(parseApiKey(`${key.slice(0, 10)}!${key.slice(11)}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(parseApiKey(undefined as unknown as string)).toEqual({ ok: false, reason: 'malformed' });
  });
});
