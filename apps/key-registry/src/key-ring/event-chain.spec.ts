import { canonicalJson, CHAIN_GENESIS, CHAIN_VERSION, chainValue, expectedChainValue } from './event-chain';

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
