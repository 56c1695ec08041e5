/**
 * The key-ring events: the only facts Keywarden records about an organisation's keys.
 * Every instant is an ISO 8601 UTC string with milliseconds (`2026-01-01T00:00:00.000Z`); the
 * API's display format is applied at the edge of each service, never stored.
 * No event carries a key in clear: only its peppered fingerprint, a display hint and the
 * envelope-encrypted material whose data key is destroyed on deletion.
 */

export type Actor = Readonly<{
  /** Subject of the admin token, or `keywarden:scheduler` for decisions the scheduler takes. */
  sub: string;
  email: string | null;
}>;

export const SCHEDULER_ACTOR: Actor = { sub: 'keywarden:scheduler', email: null };

/** AES-256-GCM ciphertext of the key, under a per-key data key held in a deletable store. */
export type EncryptedKeyMaterial = Readonly<{
  alg: 'A256GCM';
  dataKeyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}>;

export type IssueReason = 'initial' | 'manual-rotation' | 'scheduled-rotation';
export type RevokeKind = 'manual' | 'scheduled';
export type ExpiryCause = 'validity' | 'grace';

export type KeyIssued = Readonly<{
  type: 'KeyIssued';
  data: Readonly<{
    orgId: string;
    keyId: string;
    fingerprint: string;
    hint: string;
    material: EncryptedKeyMaterial;
    issuedAt: string;
    /** null = never expires. */
    expiresAt: string | null;
    reason: IssueReason;
    /** The key this one replaces, for rotations. */
    replaces: string | null;
    actor: Actor;
  }>;
}>;

export type KeyRevoked = Readonly<{
  type: 'KeyRevoked';
  data: Readonly<{
    orgId: string;
    keyId: string;
    revokedAt: string;
    /**
     * The key is still accepted until this instant: 0 to 30 days after revokedAt, never after the
     * key's expiry. A scheduled rotation ends it at its expiry, which is already past (before
     * revokedAt) when the rotation came late or the organisation's lead is 0.
     */
    graceEndsAt: string;
    kind: RevokeKind;
    /** Free text the admin gave, if any. */
    reason: string | null;
    replacedBy: string | null;
    actor: Actor;
    /**
     * Scheduled rotations: when the replaced key was last used, as the registry knew it; null =
     * never used, so the mail can say no action is needed (seed G). Absent on manual revokes and on
     * rotations recorded before it existed.
     */
    lastUsedAt?: string | null;
  }>;
}>;

export type ExpirationRemoved = Readonly<{
  type: 'ExpirationRemoved';
  data: Readonly<{ orgId: string; keyId: string; removedAt: string; actor: Actor }>;
}>;

export type KeyDeleted = Readonly<{
  type: 'KeyDeleted';
  data: Readonly<{ orgId: string; keyId: string; deletedAt: string; actor: Actor }>;
}>;

export type KeyExpired = Readonly<{
  type: 'KeyExpired';
  data: Readonly<{ orgId: string; keyId: string; expiredAt: string; cause: ExpiryCause }>;
}>;

export type KeyRevealed = Readonly<{
  type: 'KeyRevealed';
  data: Readonly<{ orgId: string; keyId: string; revealedAt: string; revealRequestId: string; actor: Actor }>;
}>;

/** The scheduler's record that the advance notice for a key's end is due (sent by the notifier). */
export type ExpiryNoticeIssued = Readonly<{
  type: 'ExpiryNoticeIssued';
  data: Readonly<{
    orgId: string;
    keyId: string;
    noticedAt: string;
    acceptUntil: string;
    /**
     * The notice period (the organisation's expiryNoticeDays) under which the notice became due; not
     * the days left, which are fewer when the notice came late: those are acceptUntil - noticedAt.
     */
    daysBefore: number;
    /**
     * When the key was last used, as the registry knew it at notice time; null = never used, so the
     * notice can say no action is needed (seed G). Absent on notices recorded before it existed.
     */
    lastUsedAt?: string | null;
  }>;
}>;

export type KeyRingEvent =
  | KeyIssued
  | KeyRevoked
  | ExpirationRemoved
  | KeyDeleted
  | KeyExpired
  | KeyRevealed
  | ExpiryNoticeIssued;

export type KeyRingEventType = KeyRingEvent['type'];

export const KEY_RING_EVENT_TYPES: readonly KeyRingEventType[] = [
  'KeyIssued',
  'KeyRevoked',
  'ExpirationRemoved',
  'KeyDeleted',
  'KeyExpired',
  'KeyRevealed',
  'ExpiryNoticeIssued',
];

/** Schema version of every key-ring event payload; consumers upcast older ones at the boundary. */
export const KEY_RING_SCHEMA_VERSION = 1;
