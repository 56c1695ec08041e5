import type {
  Actor,
  EncryptedKeyMaterial,
  ExpiryCause,
  IssueReason,
  KeyIssued,
  KeyRevoked,
  KeyRingEvent,
  RevokeKind,
} from '@keywarden/contracts';
import { KeyRingError } from './key-ring.errors';
import { MAX_GRACE_DAYS, MAX_VALIDITY_DAYS, Validity } from './validity';

const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// State: a pure fold of the ring's events.
// ---------------------------------------------------------------------------------------------

export type KeyEntry = Readonly<{
  keyId: string;
  orgId: string;
  fingerprint: string;
  hint: string;
  material: EncryptedKeyMaterial;
  issuedAt: string;
  expiresAt: string | null;
  issueReason: IssueReason;
  replaces: string | null;
  issuedBy: Actor;
  revokedAt: string | null;
  graceEndsAt: string | null;
  revokeKind: RevokeKind | null;
  revokeReason: string | null;
  replacedBy: string | null;
  expiredAt: string | null;
  /** The acceptUntil instant the last expiry notice was issued for: a notice is due once per end. */
  noticedFor: string | null;
  deleted: boolean;
}>;

export type KeyRing = Readonly<{
  orgId: string | null;
  /** Every key ever issued, in issue order; deleted ones stay here flagged so ids are never reused. */
  keys: readonly KeyEntry[];
}>;

export const initialState = (): KeyRing => ({ orgId: null, keys: [] });

export type KeyStatus = 'active' | 'revoked' | 'expired';

/** The instant a key stops being accepted: the earliest of its expiry and its grace end. */
export function acceptUntil(key: KeyEntry): string | null {
  if (key.expiresAt === null) return key.graceEndsAt;
  if (key.graceEndsAt === null) return key.expiresAt;
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

// ---------------------------------------------------------------------------------------------
// Commands: time, ids and key material arrive on the command, so decide stays pure.
// ---------------------------------------------------------------------------------------------

/** A freshly generated key, ready to be recorded: never the key itself, only what may be stored. */
export type NewKeyMaterial = Readonly<{
  keyId: string;
  fingerprint: string;
  hint: string;
  material: EncryptedKeyMaterial;
}>;

type Meta = Readonly<{ now: string; actor: Actor }>;

export type IssueKey = Readonly<{ type: 'IssueKey'; data: { orgId: string; newKey: NewKeyMaterial; validity: Validity }; metadata: Meta }>;
export type RevokeKey = Readonly<{
  type: 'RevokeKey';
  data: { keyId: string; graceDays: number; reason: string | null; newKey: NewKeyMaterial; newKeyValidity: Validity };
  metadata: Meta;
}>;
export type RemoveExpiration = Readonly<{ type: 'RemoveExpiration'; data: { keyId: string }; metadata: Meta }>;
export type DeleteKey = Readonly<{ type: 'DeleteKey'; data: { keyId: string }; metadata: Meta }>;
export type RecordReveal = Readonly<{ type: 'RecordReveal'; data: { keyId: string; revealRequestId: string }; metadata: Meta }>;
export type ExpireKey = Readonly<{ type: 'ExpireKey'; data: { keyId: string }; metadata: Meta }>;
export type RotateKeyOnSchedule = Readonly<{
  type: 'RotateKeyOnSchedule';
  /**
   * leadDays: how long before its expiry the next key is issued (the organisation's grace), at most
   * half the key's validity. newKeyValidity: the organisation's rotation interval, also for the
   * successor of a short-lived key (the schedule's rhythm, not a copy of a one-off choice).
   * lastUsedAt: the outgoing key's, from the usage read model (null = never used), for the mail.
   */
  data: { keyId: string; leadDays: number; newKey: NewKeyMaterial; newKeyValidity: Validity; lastUsedAt?: string | null };
  metadata: Meta;
}>;
export type IssueExpiryNotice = Readonly<{
  type: 'IssueExpiryNotice';
  /** lastUsedAt: from the usage read model (null = never used); recorded on the notice for the notifier. */
  data: { keyId: string; noticeDays: number; lastUsedAt?: string | null };
  metadata: Meta;
}>;

export type KeyRingCommand =
  | IssueKey
  | RevokeKey
  | RemoveExpiration
  | DeleteKey
  | RecordReveal
  | ExpireKey
  | RotateKeyOnSchedule
  | IssueExpiryNotice;

const addDays = (instant: string, days: number): string => new Date(ms(instant) + days * DAY_MS).toISOString();
const ms = (instant: string): number => Date.parse(instant);
const earliest = (a: string, b: string | null): string => (b !== null && ms(b) < ms(a) ? b : a);

function expiryOf(validity: Validity, now: string): string | null {
  if (validity.kind === 'never') return null;
  if (!Number.isInteger(validity.days) || validity.days < 1 || validity.days > MAX_VALIDITY_DAYS) {
    throw new KeyRingError('INVALID_VALIDITY', `a key is valid for 1 to ${MAX_VALIDITY_DAYS} days, or never expires`);
  }
  return addDays(now, validity.days);
}

function requireKey(ring: KeyRing, keyId: string): KeyEntry {
  const key = findKey(ring, keyId);
  if (!key) {
    throw new KeyRingError('KEY_NOT_FOUND', `key ${keyId} does not exist in this organisation (or was deleted)`, { keyId });
  }
  return key;
}

function requireNewKeyId(ring: KeyRing, keyId: string): void {
  if (ring.keys.some((k) => k.keyId === keyId)) {
    throw new KeyRingError('KEY_ID_TAKEN', `key id ${keyId} is already used in this organisation; retry`, { keyId });
  }
}

function issued(orgId: string, newKey: NewKeyMaterial, validity: Validity, reason: IssueReason, replaces: string | null, meta: Meta): KeyIssued {
  return {
    type: 'KeyIssued',
    data: {
      orgId,
      keyId: newKey.keyId,
      fingerprint: newKey.fingerprint,
      hint: newKey.hint,
      material: newKey.material,
      issuedAt: meta.now,
      expiresAt: expiryOf(validity, meta.now),
      reason,
      replaces,
      actor: meta.actor,
    },
  };
}

export function decide(command: KeyRingCommand, ring: KeyRing): KeyRingEvent[] {
  const { now, actor } = command.metadata;
  switch (command.type) {
    case 'IssueKey': {
      const current = currentKey(ring);
      if (current && isAccepted(current, now)) {
        throw new KeyRingError(
          'ACTIVE_KEY_EXISTS',
          `the organisation already has a current key (${current.keyId}); to replace it, revoke it: the revoke issues the new key`,
          { keyId: current.keyId },
        );
      }
      requireNewKeyId(ring, command.data.newKey.keyId);
      return [issued(command.data.orgId, command.data.newKey, command.data.validity, 'initial', null, command.metadata)];
    }

    case 'RevokeKey': {
      const { keyId, graceDays, reason, newKey, newKeyValidity } = command.data;
      const key = requireKey(ring, keyId);
      const status = statusAt(key, now);
      if (status === 'expired') {
        throw new KeyRingError('KEY_EXPIRED', `key ${keyId} has already expired; issue a new key with POST /keys`, { keyId });
      }
      if (status === 'revoked') {
        throw new KeyRingError(
          'KEY_ALREADY_REVOKED',
          `key ${keyId} is already revoked and accepted until ${key.graceEndsAt}; delete it to stop it at once`,
          { keyId, graceEndsAt: key.graceEndsAt },
        );
      }
      if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > MAX_GRACE_DAYS) {
        throw new KeyRingError('INVALID_GRACE', `the grace period is 0 to ${MAX_GRACE_DAYS} days`);
      }
      requireNewKeyId(ring, newKey.keyId);
      // The grace never extends a key past its own expiry: no key outlives its validity.
      const graceEndsAt = earliest(addDays(now, graceDays), key.expiresAt);
      const events: KeyRingEvent[] = [
        issued(key.orgId, newKey, newKeyValidity, 'manual-rotation', keyId, command.metadata),
        revoked(key, now, graceEndsAt, 'manual', reason, newKey.keyId, actor),
      ];
      // Grace 0 is the breach case: record the end now so every consumer stops the key at once.
      if (ms(graceEndsAt) <= ms(now)) events.push(expired(key, now, 'grace'));
      return events;
    }

    case 'RemoveExpiration': {
      const key = requireKey(ring, command.data.keyId);
      const current = currentKey(ring);
      if (current?.keyId !== key.keyId) {
        throw new KeyRingError('KEY_NOT_CURRENT', `only the current key (${current?.keyId ?? 'none'}) can be set to never expire`, {
          keyId: key.keyId,
        });
      }
      const status = statusAt(key, now);
      if (status !== 'active') {
        throw new KeyRingError(
          status === 'expired' ? 'KEY_EXPIRED' : 'KEY_ALREADY_REVOKED',
          `key ${key.keyId} is ${status}; only an active key can be set to never expire`,
          { keyId: key.keyId },
        );
      }
      if (key.expiresAt === null) return []; // already never expires: nothing to record
      return [{ type: 'ExpirationRemoved', data: { orgId: key.orgId, keyId: key.keyId, removedAt: now, actor } }];
    }

    case 'DeleteKey': {
      const key = requireKey(ring, command.data.keyId);
      if (statusAt(key, now) === 'active') {
        throw new KeyRingError(
          'KEY_STILL_ACTIVE',
          `key ${key.keyId} is still active; revoke it first (only revoked or expired keys can be deleted)`,
          { keyId: key.keyId },
        );
      }
      return [{ type: 'KeyDeleted', data: { orgId: key.orgId, keyId: key.keyId, deletedAt: now, actor } }];
    }

    case 'RecordReveal': {
      const key = requireKey(ring, command.data.keyId);
      if (statusAt(key, now) === 'expired') {
        throw new KeyRingError('KEY_EXPIRED', `key ${key.keyId} has expired and can no longer be viewed`, { keyId: key.keyId });
      }
      return [
        {
          type: 'KeyRevealed',
          data: { orgId: key.orgId, keyId: key.keyId, revealedAt: now, revealRequestId: command.data.revealRequestId, actor },
        },
      ];
    }

    case 'ExpireKey': {
      const key = findKey(ring, command.data.keyId);
      if (!key || key.expiredAt !== null) return [];
      const end = acceptUntil(key);
      if (end === null || ms(now) < ms(end)) return [];
      const cause: ExpiryCause = key.graceEndsAt !== null && end === key.graceEndsAt ? 'grace' : 'validity';
      return [expired(key, end, cause)];
    }

    case 'RotateKeyOnSchedule': {
      const { keyId, leadDays, newKey, newKeyValidity, lastUsedAt } = command.data;
      const key = dueForRotation(ring, now, leadDays);
      // Idempotent: a late, repeated or concurrent tick finds the key revoked (rotated) or no longer current.
      if (!key || key.keyId !== keyId || key.expiresAt === null) return [];
      requireNewKeyId(ring, newKey.keyId);
      // The old key ends at its expiry, never later: already past when the tick came late or the lead is 0.
      return [
        issued(key.orgId, newKey, newKeyValidity, 'scheduled-rotation', keyId, command.metadata),
        revoked(key, now, key.expiresAt, 'scheduled', null, newKey.keyId, actor, lastUsedAt),
      ];
    }

    case 'IssueExpiryNotice': {
      const key = findKey(ring, command.data.keyId);
      if (!key || !isAccepted(key, now)) return [];
      // A manual revocation already told the admins its grace end; never-expire keys get no notice.
      if (key.revokeKind === 'manual') return [];
      const end = acceptUntil(key);
      if (end === null || key.noticedFor === end) return [];
      if (ms(now) < ms(addDays(end, -command.data.noticeDays))) return [];
      return [
        {
          type: 'ExpiryNoticeIssued',
          data: {
            orgId: key.orgId,
            keyId: key.keyId,
            noticedAt: now,
            acceptUntil: end,
            // The notice period that made it due, not the days left (a late tick leaves fewer: the mail counts them).
            daysBefore: command.data.noticeDays,
            ...(command.data.lastUsedAt !== undefined ? { lastUsedAt: command.data.lastUsedAt } : {}),
          },
        },
      ];
    }

    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

function revoked(
  key: KeyEntry,
  now: string,
  graceEndsAt: string,
  kind: RevokeKind,
  reason: string | null,
  replacedBy: string,
  actor: Actor,
  lastUsedAt?: string | null,
): KeyRevoked {
  return {
    type: 'KeyRevoked',
    data: {
      orgId: key.orgId,
      keyId: key.keyId,
      revokedAt: now,
      graceEndsAt,
      kind,
      reason,
      replacedBy,
      actor,
      ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
    },
  };
}

function expired(key: KeyEntry, at: string, cause: ExpiryCause): KeyRingEvent {
  return { type: 'KeyExpired', data: { orgId: key.orgId, keyId: key.keyId, expiredAt: at, cause } };
}
