import { canonicalJson, CHAIN_GENESIS, chainValue } from './event-chain';

describe('event chain', () => {
  it('hashes the same event to the same value whatever the key order, and leaves out undefined fields as JSON does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null, e: undefined } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(chainValue(CHAIN_GENESIS, 'KeyDeleted', { keyId: 'k', orgId: 'o' })).toBe(chainValue(CHAIN_GENESIS, 'KeyDeleted', { orgId: 'o', keyId: 'k' }));
  });

  it('changes with the previous value, the type and any field of the data', () => {
    const base = chainValue('p', 'KeyDeleted', { keyId: 'k' });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(chainValue('q', 'KeyDeleted', { keyId: 'k' })).not.toBe(base);
    expect(chainValue('p', 'KeyExpired', { keyId: 'k' })).not.toBe(base);
    expect(chainValue('p', 'KeyDeleted', { keyId: 'l' })).not.toBe(base);
  });
});
