import { DAY_MS } from '@keywarden/clock';
import { acceptUntil, addDays, currentKey, isAccepted, KeyEntry, KeyRing, ms } from './key-ring.state';

// What the schedule has to do for a ring at an instant: the rules `decide` applies to the
// scheduler's commands, asked ahead by the scheduler so that quiet rings cost no store round trip.

/**
 * The instant a key's successor is due: `leadDays` before its expiry, but never earlier than
 * halfway through the key's own validity, so a key chosen short (P7D, or P30D under a 30-day lead)
 * serves at least half of it instead of being replaced at the first tick. null = never rotated.
 */
export function rotationDueAt(key: KeyEntry, leadDays: number): string | null {
  if (key.expiresAt === null) return null;
  const end = ms(key.expiresAt);
  const leadMs = Math.max(0, Math.min(leadDays * DAY_MS, Math.floor((end - ms(key.issuedAt)) / 2)));
  return new Date(end - leadMs).toISOString();
}

/**
 * The key the schedule has to replace at `now`, if any: the current key, not revoked (so it has no
 * successor), with an expiry, once its rotation is due. Its expiry may already be past (a lead of
 * 0, or a registry that was down through the lead): it is still replaced, or the organisation is
 * left without a key.
 */
export function dueForRotation(ring: KeyRing, now: string, leadDays: number): KeyEntry | null {
  const key = currentKey(ring);
  if (!key || key.revokedAt !== null) return null;
  const dueAt = rotationDueAt(key, leadDays);
  return dueAt !== null && ms(now) >= ms(dueAt) ? key : null;
}

/** The end to record as the key's expiry at `now`: once it has passed, and only once. */
export function expiryDue(key: KeyEntry, now: string): string | null {
  if (key.deleted || key.expiredAt !== null) return null;
  const end = acceptUntil(key);
  return end !== null && ms(now) >= ms(end) ? end : null;
}

/**
 * The end an advance notice is due for at `now`, once per end, while the key still works. A
 * manual revocation already told the admins its grace end; never-expire keys get no notice.
 */
export function noticeDue(key: KeyEntry, now: string, noticeDays: number): string | null {
  if (!isAccepted(key, now) || key.revokeKind === 'manual') return null;
  const end = acceptUntil(key);
  if (end === null || key.noticedFor === end) return null;
  return ms(now) >= ms(addDays(end, -noticeDays)) ? end : null;
}

export type SchedulePolicy = Readonly<{
  /** The next key is issued this many days before the current one expires (the organisation's grace), at most half its validity. */
  leadDays: number;
  /** The expiry notice goes out this many days before a key stops working. */
  noticeDays: number;
}>;

export type DueWork = Readonly<{ expire: readonly string[]; rotate: string | null; notice: readonly string[] }>;

/**
 * The scheduler's commands for one ring at `now`. On a possibly stale view it is only a
 * suggestion: each command is decided again on the ring as stored, which makes a stale or
 * repeated one harmless.
 */
export function dueWork(ring: KeyRing, now: string, policy: SchedulePolicy): DueWork {
  return {
    expire: ring.keys.filter((key) => expiryDue(key, now) !== null).map((key) => key.keyId),
    rotate: dueForRotation(ring, now, policy.leadDays)?.keyId ?? null,
    notice: ring.keys.filter((key) => noticeDue(key, now, policy.noticeDays) !== null).map((key) => key.keyId),
  };
}
