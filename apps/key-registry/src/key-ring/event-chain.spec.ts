import { canonicalJson, CHAIN_GENESIS, CHAIN_VERSION, chainValue, expectedChainValue } from './event-chain';

describe('event chain', () => {
  it('hashes the same event to the same value whatever the key order, and leaves out undefined fields as JSON does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null, e: undefined } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(chainValue(CHAIN_GENESIS, 'KeyDeleted', { keyId: 'k', orgId: 'o' })).toBe(chainValue(CHAIN_GENESIS, 'KeyDeleted', { orgId: 'o', keyId: 'k' }));
  });

  it('hashes to the values already stored: a change of the canonical form would break every recorded chain', () => {
    // Computed when the chain was introduced; non-ASCII, escapes, nesting, arrays and numbers.
    const data = { orgId: 'org-1', keyId: 'key_1', hint: 'kw_…abcd', scopes: ['b', 'a'], nested: { z: 1.5, a: null, line: 'x\u2028y"\\' }, n: -0.000001 };
    const metadata = { schemaVersion: 1, chainVersion: 2, requestId: 'req-1', causationId: 'c-1', command: 'IssueKey' };
    expect(chainValue(CHAIN_GENESIS, 'KeyIssued', data, metadata)).toBe('005a1a7275653b0b4b3e7883362a0812ac2a4572070a3b4bcc5106aadbceeb51');
    expect(chainValue('prev', 'KeyIssued', data)).toBe('3427b7c1ec0fc1ad9eddf17110a4d1343e0498bff12e5720c997d51ea7107b0d');
  });

  it('refuses to hash a value JSON cannot represent', () => {
    expect(() => chainValue(CHAIN_GENESIS, 'KeyDeleted', { keyId: 'k', at: Number.NaN })).toThrow();
  });

  it('changes with the previous value, the type and any field of the data', () => {
    const base = chainValue('p', 'KeyDeleted', { keyId: 'k' });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(chainValue('q', 'KeyDeleted', { keyId: 'k' })).not.toBe(base);
    expect(chainValue('p', 'KeyExpired', { keyId: 'k' })).not.toBe(base);
    expect(chainValue('p', 'KeyDeleted', { keyId: 'l' })).not.toBe(base);
  });

  it('covers the metadata of a version-2 event (all but the chain value), and verifies a version-1 event over type and data', () => {
    const metadata = { schemaVersion: 1, chainVersion: CHAIN_VERSION, requestId: 'req-1', causationId: 'c-1', command: 'DeleteKey' };
    const chain = chainValue('p', 'KeyDeleted', { keyId: 'k' }, metadata);
    const stored = { type: 'KeyDeleted', data: { keyId: 'k' }, metadata: { ...metadata, chain } };
    expect(expectedChainValue('p', stored)).toBe(chain);
    // Another request id, or the version taken away, is another value: the edit breaks the chain.
    expect(expectedChainValue('p', { ...stored, metadata: { ...stored.metadata, requestId: 'req-2' } })).not.toBe(chain);
    const { chainVersion: _version, ...downgraded } = stored.metadata;
    expect(expectedChainValue('p', { ...stored, metadata: downgraded })).not.toBe(chain);

    const v1 = chainValue('p', 'KeyDeleted', { keyId: 'k' });
    expect(expectedChainValue('p', { type: 'KeyDeleted', data: { keyId: 'k' }, metadata: { schemaVersion: 1, requestId: 'req-1', chain: v1 } })).toBe(v1);
  });
});
