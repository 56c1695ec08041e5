import { acceptUntil, dueForRotation, KeyRing, statusAt } from '../domain/key-ring.decider';

const DAY_MS = 24 * 60 * 60 * 1000;

export type SchedulePolicy = Readonly<{
  /** The next key is issued this many days before the current one expires (the organisation's grace), at most half its validity. */
  leadDays: number;
  /** The expiry notice goes out this many days before a key stops working. */
  noticeDays: number;
}>;

export type DueWork = Readonly<{ expire: readonly string[]; rotate: string | null; notice: readonly string[] }>;

/**
 * What the scheduler should ask the domain to do for one ring at `now`: a cheap pre-filter on a
 * possibly stale view, so that quiet rings cost no store round trip. It is never the decision:
 * each command is decided again by `decide` on the ring as stored, which makes a stale or repeated
 * suggestion harmless.
 */
export function dueWork(ring: KeyRing, now: string, policy: SchedulePolicy): DueWork {
  const nowMs = Date.parse(now);
  const expire: string[] = [];
  const notice: string[] = [];
  for (const key of ring.keys) {
    if (key.deleted) continue;
    const end = acceptUntil(key);
    // Never-expire keys (no end) are never expired, rotated or noticed.
    if (end === null) continue;
    if (key.expiredAt === null && nowMs >= Date.parse(end)) expire.push(key.keyId);
    if (
      statusAt(key, now) !== 'expired' &&
      key.revokeKind !== 'manual' &&
      key.noticedFor !== end &&
      nowMs >= Date.parse(end) - policy.noticeDays * DAY_MS
    ) {
      notice.push(key.keyId);
    }
  }
  // The decider's own rule, so a key past its expiry (lead 0, or a late tick) is suggested too.
  const rotate = dueForRotation(ring, now, policy.leadDays)?.keyId ?? null;
  return { expire, rotate, notice };
}
