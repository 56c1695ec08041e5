import { Actor, DEFAULT_SETTINGS, KeyRingEvent } from '@keywarden/contracts';
import { planLifecycleMail, PlannedMail } from './notification-planner';
import { ringContextOf } from './ring-context';

const alice: Actor = { sub: 'u-1', email: 'Alice@Acme.test' };
const bob: Actor = { sub: 'u-2', email: 'bob@acme.test' };
const scheduler: Actor = { sub: 'keywarden:scheduler', email: null };
const material = { alg: 'A256GCM', dataKeyId: 'd', iv: 'i', ciphertext: 'c', tag: 't' } as const;

const issued = (keyId: string, hint: string, at: string, expiresAt: string | null, actor: Actor, replaces: string | null = null): KeyRingEvent => ({
  type: 'KeyIssued',
  data: { orgId: 'acme', keyId, fingerprint: '0'.repeat(64), hint, material, issuedAt: at, expiresAt, reason: replaces ? 'scheduled-rotation' : 'initial', replaces, actor },
});

function plan(events: KeyRingEvent[], settings = DEFAULT_SETTINGS): PlannedMail | string {
  const result = planLifecycleMail(events[events.length - 1], ringContextOf(events), settings);
  return result.kind === 'send' ? result.mail : result.reason;
}

describe('notification planner', () => {
  const first = issued('key_a', 'kw_…aaaa', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', alice);
  const rotated = issued('key_b', 'kw_…bbbb', '2026-12-02T00:00:00.000Z', '2027-12-02T00:00:00.000Z', scheduler, 'key_a');
  const scheduledRevoke: KeyRingEvent = {
    type: 'KeyRevoked',
    data: { orgId: 'acme', keyId: 'key_a', revokedAt: '2026-12-02T00:00:00.000Z', graceEndsAt: '2027-01-01T00:00:00.000Z', kind: 'scheduled', reason: null, replacedBy: 'key_b', actor: scheduler },
  };
  const notice = (lastUsedAt?: string | null, noticedAt = '2026-12-02T00:00:00.000Z'): KeyRingEvent => ({
    type: 'ExpiryNoticeIssued',
    data: { orgId: 'acme', keyId: 'key_a', noticedAt, acceptUntil: '2027-01-01T00:00:00.000Z', daysBefore: 30, ...(lastUsedAt !== undefined ? { lastUsedAt } : {}) },
  });
  const scheduledRevokeWith = (lastUsedAt: string | null, revokedAt = '2026-12-02T00:00:00.000Z'): KeyRingEvent => ({
    type: 'KeyRevoked',
    data: { ...(scheduledRevoke.data as Extract<KeyRingEvent, { type: 'KeyRevoked' }>['data']), revokedAt, lastUsedAt },
  });

  it('falls back to every admin who acted on the ring (lower-cased, once each), never to the scheduler', () => {
    const revealed: KeyRingEvent = { type: 'KeyRevealed', data: { orgId: 'acme', keyId: 'key_a', revealedAt: '2026-02-01T00:00:00.000Z', revealRequestId: 'rvl_1', actor: bob } };
    const mail = plan([first, revealed, issued('key_x', 'kw_…xxxx', '2026-03-01T00:00:00.000Z', null, alice), rotated, scheduledRevoke]) as PlannedMail;
    expect(mail.to).toEqual(['alice@acme.test', 'bob@acme.test']);
  });

  it('sends to the notification addresses when the organisation set some', () => {
    const mail = plan([first], { ...DEFAULT_SETTINGS, notificationEmails: ['sec@acme.test'] }) as PlannedMail;
    expect(mail.to).toEqual(['sec@acme.test']);
  });

  it('writes one rotation mail, on the revoke, naming both keys; nothing for the rotation\'s KeyIssued', () => {
    expect(plan([first, rotated])).toMatch(/not notified/);
    const mail = plan([first, rotated, scheduledRevoke]) as PlannedMail;
    expect(mail.subject).toBe('API key rotated: kw_…bbbb replaces kw_…aaaa');
    expect(mail.text).toContain('keeps working until 2027-01-01T00:00:00');
    expect(mail.text).toContain('New key: kw_…bbbb (expires at 2027-12-02T00:00:00)');
  });

  it('says what to do in the expiry notice, or that nothing is needed when the key was never used', () => {
    const used = plan([first, rotated, scheduledRevoke, notice('2026-11-30T08:00:00.000Z')]) as PlannedMail;
    expect(used.text).toContain('It was last used at 2026-11-30T08:00:00.');
    expect(used.text).toContain('What to do: copy the new key kw_…bbbb and replace kw_…aaaa');
    const unused = plan([first, rotated, scheduledRevoke, notice(null)]) as PlannedMail;
    expect(unused.text).toContain('never been used');
    expect(unused.text).toContain('no action is required');
    expect(unused.text).not.toContain('What to do');
    // Notices recorded before "last used" existed: the usual advice.
    expect((plan([first, notice()]) as PlannedMail).text).toContain('a new key is issued automatically by 2027-01-01T00:00:00');
  });

  it('states the days actually left when the notice came late, and the date', () => {
    expect((plan([first, notice(null)]) as PlannedMail).text).toContain('stops working at 2027-01-01T00:00:00, in 30 days.');
    // A tick 15 days after the notice moment (registry down): 15 days left, not the 30 of the setting.
    expect((plan([first, notice(null, '2026-12-17T00:00:00.000Z')]) as PlannedMail).text).toContain('stops working at 2027-01-01T00:00:00, in 15 days.');
    // Part of a day left counts as a day.
    expect((plan([first, notice(null, '2026-12-17T06:00:00.000Z')]) as PlannedMail).text).toContain('in 15 days.');
    expect((plan([first, notice(null, '2026-12-31T23:00:00.000Z')]) as PlannedMail).text).toContain('in 1 day.');
  });

  it('tells the admins of a never-used key, in the rotation mail as in the notice, that no action is needed (seed G)', () => {
    const unused = plan([first, rotated, scheduledRevokeWith(null)]) as PlannedMail;
    expect(unused.text).toContain('kw_…aaaa has never been used to call the API');
    expect(unused.text).toContain('no action is required');
    expect(unused.text).not.toContain('What to do');
    const used = plan([first, rotated, scheduledRevokeWith('2026-11-30T08:00:00.000Z')]) as PlannedMail;
    expect(used.text).toContain('kw_…aaaa was last used at 2026-11-30T08:00:00.');
    expect(used.text).toContain('What to do: copy the new key and replace the old one in every system that calls the API before 2027-01-01T00:00:00.');
  });

  it('says the old key already stopped working when the rotation came after its end (late tick, or lead 0)', () => {
    const late = plan([first, rotated, scheduledRevokeWith('2026-11-30T08:00:00.000Z', '2027-01-15T00:00:00.000Z')]) as PlannedMail;
    expect(late.text).toContain('It replaces kw_…aaaa, which stopped working at 2027-01-01T00:00:00, when its validity ended.');
    expect(late.text).toContain('Warning: kw_…aaaa already stopped working: calls made with it are refused.');
    expect(late.text).toContain('Old key: kw_…aaaa (stopped working at 2027-01-01T00:00:00)');
    expect(late.text).toContain('in every system that calls the API now.');
    expect(late.text).not.toMatch(/keeps working|before 2027-01-01/);
    // At the very instant of the end (lead 0), it has stopped too.
    expect((plan([first, rotated, scheduledRevokeWith(null, '2027-01-01T00:00:00.000Z')]) as PlannedMail).text).toContain('which stopped working at 2027-01-01T00:00:00');
  });

  it("uses the organisation's date-time format", () => {
    const mail = plan([first], { ...DEFAULT_SETTINGS, isoUtcTimestamps: true }) as PlannedMail;
    expect(mail.text).toContain('Expires: 2027-01-01T00:00:00Z');
    expect(mail.html).toContain('2027-01-01T00:00:00Z');
  });

  it('writes one mail for a leak the scanner revoked, on the KeyLeaked: where it was found, what was done, the replacement', () => {
    const github: Actor = { sub: 'keywarden:secret-scanning:github', email: null };
    const at = '2026-03-01T00:00:00.000Z';
    const replacement = { ...issued('key_b', 'kw_…bbbb', at, '2027-03-01T00:00:00.000Z', github, 'key_a') };
    const leakRevoke: KeyRingEvent = {
      type: 'KeyRevoked',
      data: { orgId: 'acme', keyId: 'key_a', revokedAt: at, graceEndsAt: at, kind: 'manual', reason: 'published', replacedBy: 'key_b', actor: github },
    };
    const leaked: KeyRingEvent = {
      type: 'KeyLeaked',
      data: { orgId: 'acme', keyId: 'key_a', fingerprint: '0'.repeat(64), leakedAt: at, scanner: 'github', url: 'https://github.com/o/r/blob/1/.env', source: 'content', response: 'revoked', replacedBy: 'key_b' },
    };
    expect(plan([first, replacement])).toBe('KeyIssued is not notified');
    expect(plan([first, replacement, leakRevoke])).toBe('KeyRevoked is not notified');
    const mail = plan([first, replacement, leakRevoke, leaked]) as PlannedMail;
    expect(mail.to).toEqual(['alice@acme.test']);
    expect(mail.subject).toBe('API key kw_…aaaa found published: revoked');
    expect(mail.text).toContain('https://github.com/o/r/blob/1/.env');
    expect(mail.text).toContain('kw_…bbbb');
    expect(mail.text).toContain('revoked at once');
  });

  it('says the key still works and how to revoke it when the organisation only wants to be told', () => {
    const leaked: KeyRingEvent = {
      type: 'KeyLeaked',
      data: { orgId: 'acme', keyId: 'key_a', fingerprint: '0'.repeat(64), leakedAt: '2026-03-01T00:00:00.000Z', scanner: 'github', url: 'https://x.test/a', source: 'npm', response: 'notified', replacedBy: null },
    };
    const mail = plan([first, leaked]) as PlannedMail;
    expect(mail.subject).toBe('API key kw_…aaaa found published: action needed');
    expect(mail.text).toContain('still works');
  });

  it('skips a ring nobody with an address acted on', () => {
    expect(plan([issued('key_a', 'kw_…aaaa', '2026-01-01T00:00:00.000Z', null, { sub: 'svc', email: null })])).toMatch(/no recipient/);
  });
});
