import { DAY_MS } from '@keywarden/clock';
import type { Actor, EncryptedKeyMaterial, IssueReason, KeyIssued, KeyRingEvent, LeakScanner, RevokeKind } from '@keywarden/contracts';

// State: a pure fold of the ring's events, and the questions asked of it.

type IssuedKey = {
  keyId: string;
  orgId: string;
  fingerprint: string;
  hint: string;
  material: EncryptedKeyMaterial;
  issuedAt: string;
  /** null = never expires. */
  expiresAt: string | null;
  issueReason: IssueReason;
  replaces: string | null;
  issuedBy: Actor;
  /** When KeyExpired was recorded (its end), null before. */
  expiredAt: string | null;
  /** The acceptUntil instant the last expiry notice was issued for: a notice is due once per end. */
  noticedFor: string | null;
  deleted: boolean;
  /** The first report of the key published by a secret scanner; null while none came. */
  leak: Readonly<{ at: string; url: string; source: string; scanner: LeakScanner }> | null;
};

/** Never revoked: accepted until its expiry, no grace, no successor. */
type NotRevoked = { revokedAt: null; graceEndsAt: null; revokeKind: null; revokeReason: null; replacedBy: null };

/** Revoked by an admin or by the schedule: accepted until its grace ends (never after its expiry). */
type Revoked = { revokedAt: string; graceEndsAt: string; revokeKind: RevokeKind; revokeReason: string | null; replacedBy: string | null };

/** A key's recorded lifecycle: `revokedAt !== null` narrows it to a revoked key with its grace end. */
export type KeyEntry = Readonly<IssuedKey & (NotRevoked | Revoked)>;

export type KeyRing = Readonly<{
  orgId: string | null;
  /** Every key ever issued, in issue order; deleted ones stay here flagged so ids are never reused. */
  keys: readonly KeyEntry[];
}>;

export const initialState = (): KeyRing => ({ orgId: null, keys: [] });

export type KeyStatus = 'active' | 'revoked' | 'expired';

export const ms = (instant: string): number => Date.parse(instant);
export const addDays = (instant: string, days: number): string => new Date(ms(instant) + days * DAY_MS).toISOString();

/** The instant a key stops being accepted: the earliest of its expiry and its grace end. */
export function acceptUntil(key: KeyEntry): string | null {
  if (key.revokedAt === null) return key.expiresAt;
  if (key.expiresAt === null) return key.graceEndsAt;
  return key.graceEndsAt < key.expiresAt ? key.graceEndsAt : key.expiresAt;
}

/** Derived from time, so the table is right even before the scheduler records KeyExpired. */
export function statusAt(key: KeyEntry, now: string): KeyStatus {
  const end = acceptUntil(key);
  if (key.expiredAt !== null || (end !== null && ms(now) >= ms(end))) return 'expired';
  return key.revokedAt !== null ? 'revoked' : 'active';
}

export const isAccepted = (key: KeyEntry, now: string): boolean => !key.deleted && statusAt(key, now) !== 'expired';

/** The table's keys: not deleted, newest first. */
export const visibleKeys = (ring: KeyRing): KeyEntry[] => ring.keys.filter((k) => !k.deleted).reverse();

/** The newest key that was issued and not deleted: the one rotation and "never expire" act on. */
export function currentKey(ring: KeyRing): KeyEntry | null {
  for (let i = ring.keys.length - 1; i >= 0; i--) if (!ring.keys[i].deleted) return ring.keys[i];
  return null;
}

export const findKey = (ring: KeyRing, keyId: string): KeyEntry | null =>
  ring.keys.find((k) => k.keyId === keyId && !k.deleted) ?? null;

const issuedEntry = (d: KeyIssued['data']): KeyEntry => ({
  keyId: d.keyId,
  orgId: d.orgId,
  fingerprint: d.fingerprint,
  hint: d.hint,
  material: d.material,
  issuedAt: d.issuedAt,
  expiresAt: d.expiresAt,
  issueReason: d.reason,
  replaces: d.replaces,
  issuedBy: d.actor,
  revokedAt: null,
  graceEndsAt: null,
  revokeKind: null,
  revokeReason: null,
  replacedBy: null,
  expiredAt: null,
  noticedFor: null,
  deleted: false,
  leak: null,
});

/** What an event does to the existing key it names (the same entry when it changes nothing). */
function evolveKey(k: KeyEntry, event: KeyRingEvent): KeyEntry {
  switch (event.type) {
    case 'KeyRevoked': {
      const d = event.data;
      return { ...k, revokedAt: d.revokedAt, graceEndsAt: d.graceEndsAt, revokeKind: d.kind, revokeReason: d.reason, replacedBy: d.replacedBy };
    }
    case 'ExpirationRemoved':
      return { ...k, expiresAt: null };
    case 'KeyDeleted':
      return { ...k, deleted: true };
    case 'KeyExpired':
      return { ...k, expiredAt: event.data.expiredAt };
    case 'ExpiryNoticeIssued':
      return { ...k, noticedFor: event.data.acceptUntil };
    case 'KeyLeaked': {
      const d = event.data;
      return { ...k, leak: { at: d.leakedAt, url: d.url, source: d.source, scanner: d.scanner } };
    }
    case 'KeyIssued':
    case 'KeyRevealed':
      return k;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

export function evolve(ring: KeyRing, event: KeyRingEvent): KeyRing {
  if (event.type === 'KeyIssued') return { orgId: event.data.orgId, keys: [...ring.keys, issuedEntry(event.data)] };
  if (event.type === 'KeyRevealed') return ring;
  const keyId = event.data.keyId;
  return { ...ring, keys: ring.keys.map((k) => (k.keyId === keyId ? evolveKey(k, event) : k)) };
}

/** Rings up to this many keys are searched by a scan; larger ones get an index by key id. */
const SCANNED_RING_KEYS = 16;

/**
 * A fold fed one event at a time, in linear total time: one working copy of the key list, and an
 * index by key id once the ring is large. `ring()` equals `events.reduce(evolve, from)` over the
 * events applied so far. For a reader that meets a ring's events spread over a long replay (the
 * audit's key table at an instant) without holding the events until the end; a Map per ring cost
 * that replay more than scanning the few keys most rings hold.
 */
export class KeyRingFold {
  private orgId: KeyRing['orgId'];
  private readonly keys: KeyEntry[];
  private index: Map<string, number> | null = null;

  constructor(from: KeyRing = initialState()) {
    this.orgId = from.orgId;
    this.keys = [...from.keys];
    if (this.keys.length > SCANNED_RING_KEYS) this.index = new Map(this.keys.map((k, i) => [k.keyId, i]));
  }

  apply(event: KeyRingEvent): void {
    if (event.type === 'KeyIssued') {
      this.orgId = event.data.orgId;
      const i = this.keys.push(issuedEntry(event.data)) - 1;
      if (this.index) this.index.set(event.data.keyId, i);
      else if (this.keys.length > SCANNED_RING_KEYS) this.index = new Map(this.keys.map((k, n) => [k.keyId, n]));
    } else if (event.type !== 'KeyRevealed') {
      const i = this.positionOf(event.data.keyId);
      if (i >= 0) this.keys[i] = evolveKey(this.keys[i], event);
    }
  }

  ring(): KeyRing {
    return { orgId: this.orgId, keys: [...this.keys] };
  }

  /** The last entry with that id, as the index keeps it; -1 when the ring has none. */
  private positionOf(keyId: string): number {
    if (this.index) return this.index.get(keyId) ?? -1;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i].keyId === keyId) return i;
    return -1;
  }
}

/**
 * `events.reduce(evolve, from)`, in linear time. evolve copies the key list at every event, and a
 * ring keeps every key it ever issued, so reducing a ring of a few thousand keys took most of a
 * second on each load.
 */
export function fold(events: readonly KeyRingEvent[], from: KeyRing = initialState()): KeyRing {
  if (events.length === 0) return from;
  const folding = new KeyRingFold(from);
  for (const event of events) folding.apply(event);
  return folding.ring();
}
