import { KeyRingEvent } from '@keywarden/contracts';
import { endsKeyNow } from './key-end.consumer';

describe('endsKeyNow (what the edge refuses without waiting for the projection)', () => {
  const actor = { sub: 'admin', email: 'admin@example.test' };
  const revoked = (revokedAt: string, graceEndsAt: string): KeyRingEvent => ({
    type: 'KeyRevoked',
    data: { orgId: 'acme', keyId: 'k1', revokedAt, graceEndsAt, kind: 'manual', reason: null, replacedBy: 'k2', actor },
  });

  it('takes a deletion and a revocation without grace, and leaves a revocation with grace to the entry', () => {
    expect(endsKeyNow({ type: 'KeyDeleted', data: { orgId: 'acme', keyId: 'k1', deletedAt: '2026-03-01T10:00:00.000Z', actor } })).toBe(true);
    expect(endsKeyNow(revoked('2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.000Z'))).toBe(true);
    expect(endsKeyNow(revoked('2026-03-01T10:00:00.000Z', '2026-03-08T10:00:00.000Z'))).toBe(false);
    expect(endsKeyNow({ type: 'KeyRevealed', data: { orgId: 'acme', keyId: 'k1', revealedAt: '2026-03-01T10:00:00.000Z', revealRequestId: 'r1', actor } })).toBe(false);
  });
});
