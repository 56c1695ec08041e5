import { TObject, Type } from '@sinclair/typebox';
import { Id, Instant, NullableInstant, NullableString, StaticReadonly, StringEnum } from './schema';

/**
 * The key-ring events: the only facts Keywarden records about an organisation's keys. Each event's
 * data is declared once, as a JSON Schema (TypeBox) that consumers validate with the contracts'
 * Ajv; its TypeScript type is derived from it.
 * Every instant is an ISO 8601 UTC string with milliseconds (`2026-01-01T00:00:00.000Z`); the
 * API's display format is applied at the edge of each service, never stored.
 * No event carries a key in clear: only its peppered fingerprint, a display hint and the
 * envelope-encrypted material whose data key is destroyed on deletion.
 */

export const ActorSchema = Type.Object(
  {
    /** Subject of the admin token, or `keywarden:scheduler` for decisions the scheduler takes. */
    sub: Id,
    email: NullableString({ maxLength: 320 }),
  },
  { additionalProperties: false },
);
export type Actor = StaticReadonly<typeof ActorSchema>;

export const SCHEDULER_ACTOR: Actor = { sub: 'keywarden:scheduler', email: null };

/** AES-256-GCM ciphertext of the key, under a per-key data key held in a deletable store. */
export const EncryptedKeyMaterialSchema = Type.Object(
  { alg: Type.Literal('A256GCM'), dataKeyId: Id, iv: Type.String(), ciphertext: Type.String(), tag: Type.String() },
  { additionalProperties: false },
);
export type EncryptedKeyMaterial = StaticReadonly<typeof EncryptedKeyMaterialSchema>;

export const ISSUE_REASONS = ['initial', 'manual-rotation', 'scheduled-rotation'] as const;
export const REVOKE_KINDS = ['manual', 'scheduled'] as const;
export const EXPIRY_CAUSES = ['validity', 'grace'] as const;
export type IssueReason = (typeof ISSUE_REASONS)[number];
export type RevokeKind = (typeof REVOKE_KINDS)[number];
export type ExpiryCause = (typeof EXPIRY_CAUSES)[number];
/** The secret scanners whose reports the registry takes. */
export const LEAK_SCANNERS = ['github'] as const;
export type LeakScanner = (typeof LEAK_SCANNERS)[number];
/** What the registry did about a reported leak: the organisation's leakedKeyAction, or nothing for a key already stopped. */
export const LEAK_RESPONSES = ['revoked', 'notified', 'already-stopped'] as const;
export type LeakResponse = (typeof LEAK_RESPONSES)[number];

/** The actor of a revoke a secret scanner's report caused. */
export const SCANNER_ACTOR_PREFIX = 'keywarden:secret-scanning:';
export const scannerActor = (scanner: LeakScanner): Actor => ({ sub: `${SCANNER_ACTOR_PREFIX}${scanner}`, email: null });

const eventData = <T extends TObject['properties']>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** The data schema of each key-ring event type: what the store and the lifecycle topic accept. */
export const KEY_RING_EVENT_SCHEMAS = {
  KeyIssued: eventData({
    orgId: Id,
    keyId: Id,
    fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    hint: Type.String({ maxLength: 64 }),
    material: EncryptedKeyMaterialSchema,
    issuedAt: Instant,
    /** null = never expires. */
    expiresAt: NullableInstant,
    reason: StringEnum(ISSUE_REASONS),
    /** The key this one replaces, for rotations. */
    replaces: NullableString(),
    actor: ActorSchema,
  }),
  KeyRevoked: eventData({
    orgId: Id,
    keyId: Id,
    revokedAt: Instant,
    /**
     * The key is still accepted until this instant: 0 to 30 days after revokedAt, never after the
     * key's expiry. A scheduled rotation ends it at its expiry, which is already past (before
     * revokedAt) when the rotation came late or the organisation's lead is 0.
     */
    graceEndsAt: Instant,
    kind: StringEnum(REVOKE_KINDS),
    /** Free text the admin gave, if any. */
    reason: NullableString({ maxLength: 500 }),
    replacedBy: NullableString(),
    actor: ActorSchema,
    /**
     * Scheduled rotations: when the replaced key was last used, as the registry knew it; null =
     * never used, so the mail can say no action is needed (seed G). Absent on manual revokes and on
     * rotations recorded before it existed.
     */
    lastUsedAt: Type.Optional(NullableInstant),
  }),
  ExpirationRemoved: eventData({ orgId: Id, keyId: Id, removedAt: Instant, actor: ActorSchema }),
  KeyDeleted: eventData({ orgId: Id, keyId: Id, deletedAt: Instant, actor: ActorSchema }),
  KeyExpired: eventData({ orgId: Id, keyId: Id, expiredAt: Instant, cause: StringEnum(EXPIRY_CAUSES) }),
  KeyRevealed: eventData({ orgId: Id, keyId: Id, revealedAt: Instant, revealRequestId: Id, actor: ActorSchema }),
  /**
   * A secret scanner reported the key published (a bare key, or a Secret carrying it). Holds where
   * it was found and the key's fingerprint, never the key or the token it was found in.
   */
  KeyLeaked: eventData({
    orgId: Id,
    keyId: Id,
    fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    leakedAt: Instant,
    scanner: StringEnum(LEAK_SCANNERS),
    /** Where the scanner found it (e.g. the commit's URL); the scanner's own text, bounded. */
    url: Type.String({ maxLength: 2048 }),
    /** The scanner's kind of place (`content`, `commit`, `npm`, ...). */
    source: Type.String({ maxLength: 100 }),
    response: StringEnum(LEAK_RESPONSES),
    /** The replacement issued with the revoke; null when none was. */
    replacedBy: NullableString(),
  }),
  /** The scheduler's record that the advance notice for a key's end is due (sent by the notifier). */
  ExpiryNoticeIssued: eventData({
    orgId: Id,
    keyId: Id,
    noticedAt: Instant,
    acceptUntil: Instant,
    /**
     * The notice period (the organisation's expiryNoticeDays) under which the notice became due; not
     * the days left, which are fewer when the notice came late: those are acceptUntil - noticedAt.
     */
    daysBefore: Type.Integer({ minimum: 0, maximum: 366 }),
    /**
     * When the key was last used, as the registry knew it at notice time; null = never used, so the
     * notice can say no action is needed (seed G). Absent on notices recorded before it existed.
     */
    lastUsedAt: Type.Optional(NullableInstant),
  }),
};

export type KeyRingEventType = keyof typeof KEY_RING_EVENT_SCHEMAS;
type KeyRingEventOf<T extends KeyRingEventType> = Readonly<{ type: T; data: StaticReadonly<(typeof KEY_RING_EVENT_SCHEMAS)[T]> }>;

export type KeyIssued = KeyRingEventOf<'KeyIssued'>;
export type KeyRevoked = KeyRingEventOf<'KeyRevoked'>;
export type ExpirationRemoved = KeyRingEventOf<'ExpirationRemoved'>;
export type KeyDeleted = KeyRingEventOf<'KeyDeleted'>;
export type KeyExpired = KeyRingEventOf<'KeyExpired'>;
export type KeyRevealed = KeyRingEventOf<'KeyRevealed'>;
export type ExpiryNoticeIssued = KeyRingEventOf<'ExpiryNoticeIssued'>;
export type KeyLeaked = KeyRingEventOf<'KeyLeaked'>;

export type KeyRingEvent =
  | KeyIssued
  | KeyRevoked
  | ExpirationRemoved
  | KeyDeleted
  | KeyExpired
  | KeyRevealed
  | ExpiryNoticeIssued
  | KeyLeaked;

export const KEY_RING_EVENT_TYPES: readonly KeyRingEventType[] = [
  'KeyIssued',
  'KeyRevoked',
  'ExpirationRemoved',
  'KeyDeleted',
  'KeyExpired',
  'KeyRevealed',
  'ExpiryNoticeIssued',
  'KeyLeaked',
];

/** Schema version of every key-ring event payload; consumers upcast older ones at the boundary. */
export const KEY_RING_SCHEMA_VERSION = 1;
