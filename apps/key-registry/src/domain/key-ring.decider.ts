import type { Actor, ExpiryCause, IssueReason, KeyExpired, KeyIssued, KeyLeaked, KeyRevoked, KeyRingEvent, LeakResponse, RevokeKind } from '@keywarden/contracts';
import {
  CommandMetadata,
  DeleteKey,
  ExpireKey,
  IssueExpiryNotice,
  IssueKey,
  KeyRingCommand,
  NewKeyMaterial,
  RecordLeak,
  RecordReveal,
  RemoveExpiration,
  RevokeKey,
  RotateKeyOnSchedule,
} from './key-ring.commands';
import { KeyRingError } from './key-ring.errors';
import { dueForRotation, expiryDue, noticeDue } from './key-ring.schedule';
import { addDays, currentKey, findKey, isAccepted, KeyEntry, KeyRing, ms, statusAt } from './key-ring.state';
import { MAX_GRACE_DAYS, MAX_VALIDITY_DAYS, Validity } from './validity';

export * from './key-ring.commands';
export * from './key-ring.schedule';
export * from './key-ring.state';

/** Dispatches each command to its decision; every decision is pure and reads no clock. */
export function decide(command: KeyRingCommand, ring: KeyRing): KeyRingEvent[] {
  switch (command.type) {
    case 'IssueKey':
      return issueKey(command, ring);
    case 'RevokeKey':
      return revokeKey(command, ring);
    case 'RemoveExpiration':
      return removeExpiration(command, ring);
    case 'DeleteKey':
      return deleteKey(command, ring);
    case 'RecordReveal':
      return recordReveal(command, ring);
    case 'ExpireKey':
      return expireKey(command, ring);
    case 'RotateKeyOnSchedule':
      return rotateKeyOnSchedule(command, ring);
    case 'IssueExpiryNotice':
      return issueExpiryNotice(command, ring);
    case 'RecordLeak':
      return recordLeak(command, ring);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export function issueKey({ data, metadata }: IssueKey, ring: KeyRing): KeyRingEvent[] {
  const current = currentKey(ring);
  if (current && isAccepted(current, metadata.now)) {
    throw new KeyRingError(
      'ACTIVE_KEY_EXISTS',
      `the organisation already has a current key (${current.keyId}); to replace it, revoke it: the revoke issues the new key`,
      { keyId: current.keyId },
    );
  }
  requireNewKeyId(ring, data.newKey.keyId);
  return [issued({ orgId: data.orgId, newKey: data.newKey, validity: data.validity, reason: 'initial', replaces: null, metadata })];
}

export function revokeKey({ data, metadata }: RevokeKey, ring: KeyRing): KeyRingEvent[] {
  const { keyId, graceDays, reason, newKey, newKeyValidity } = data;
  const { now, actor } = metadata;
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
    issued({ orgId: key.orgId, newKey, validity: newKeyValidity, reason: 'manual-rotation', replaces: keyId, metadata }),
    revoked({ key, at: now, graceEndsAt, kind: 'manual', reason, replacedBy: newKey.keyId, actor }),
  ];
  // Grace 0 is the breach case: record the end now so every consumer stops the key at once.
  if (ms(graceEndsAt) <= ms(now)) events.push(expired(key, now, 'grace'));
  return events;
}

export function removeExpiration({ data, metadata }: RemoveExpiration, ring: KeyRing): KeyRingEvent[] {
  const key = requireKey(ring, data.keyId);
  const current = currentKey(ring);
  if (current?.keyId !== key.keyId) {
    throw new KeyRingError('KEY_NOT_CURRENT', `only the current key (${current?.keyId ?? 'none'}) can be set to never expire`, {
      keyId: key.keyId,
    });
  }
  const status = statusAt(key, metadata.now);
  if (status !== 'active') {
    throw new KeyRingError(
      status === 'expired' ? 'KEY_EXPIRED' : 'KEY_ALREADY_REVOKED',
      `key ${key.keyId} is ${status}; only an active key can be set to never expire`,
      { keyId: key.keyId },
    );
  }
  if (key.expiresAt === null) return []; // already never expires: nothing to record
  return [{ type: 'ExpirationRemoved', data: { orgId: key.orgId, keyId: key.keyId, removedAt: metadata.now, actor: metadata.actor } }];
}

export function deleteKey({ data, metadata }: DeleteKey, ring: KeyRing): KeyRingEvent[] {
  const key = requireKey(ring, data.keyId);
  if (statusAt(key, metadata.now) === 'active') {
    throw new KeyRingError(
      'KEY_STILL_ACTIVE',
      `key ${key.keyId} is still active; revoke it first (only revoked or expired keys can be deleted)`,
      { keyId: key.keyId },
    );
  }
  return [{ type: 'KeyDeleted', data: { orgId: key.orgId, keyId: key.keyId, deletedAt: metadata.now, actor: metadata.actor } }];
}

export function recordReveal({ data, metadata }: RecordReveal, ring: KeyRing): KeyRingEvent[] {
  const key = requireKey(ring, data.keyId);
  if (statusAt(key, metadata.now) === 'expired') {
    throw new KeyRingError('KEY_EXPIRED', `key ${key.keyId} has expired and can no longer be viewed`, { keyId: key.keyId });
  }
  return [
    {
      type: 'KeyRevealed',
      data: { orgId: key.orgId, keyId: key.keyId, revealedAt: metadata.now, revealRequestId: data.revealRequestId, actor: metadata.actor },
    },
  ];
}

export function expireKey({ data, metadata }: ExpireKey, ring: KeyRing): KeyRingEvent[] {
  const key = findKey(ring, data.keyId);
  const end = key && expiryDue(key, metadata.now);
  if (!key || !end) return [];
  const cause: ExpiryCause = key.graceEndsAt !== null && end === key.graceEndsAt ? 'grace' : 'validity';
  return [expired(key, end, cause)];
}

export function rotateKeyOnSchedule({ data, metadata }: RotateKeyOnSchedule, ring: KeyRing): KeyRingEvent[] {
  const { keyId, leadDays, newKey, newKeyValidity, lastUsedAt } = data;
  const key = dueForRotation(ring, metadata.now, leadDays);
  // Idempotent: a late, repeated or concurrent tick finds the key revoked (rotated) or no longer current.
  if (!key || key.keyId !== keyId || key.expiresAt === null) return [];
  requireNewKeyId(ring, newKey.keyId);
  // The old key ends at its expiry, never later: already past when the tick came late or the lead is 0.
  return [
    issued({ orgId: key.orgId, newKey, validity: newKeyValidity, reason: 'scheduled-rotation', replaces: keyId, metadata }),
    revoked({ key, at: metadata.now, graceEndsAt: key.expiresAt, kind: 'scheduled', reason: null, replacedBy: newKey.keyId, actor: metadata.actor, lastUsedAt }),
  ];
}

export function issueExpiryNotice({ data, metadata }: IssueExpiryNotice, ring: KeyRing): KeyRingEvent[] {
  const key = findKey(ring, data.keyId);
  const end = key && noticeDue(key, metadata.now, data.noticeDays);
  if (!key || !end) return [];
  return [
    {
      type: 'ExpiryNoticeIssued',
      data: {
        orgId: key.orgId,
        keyId: key.keyId,
        noticedAt: metadata.now,
        acceptUntil: end,
        // The notice period that made it due, not the days left (a late tick leaves fewer: the mail counts them).
        daysBefore: data.noticeDays,
        ...(data.lastUsedAt !== undefined ? { lastUsedAt: data.lastUsedAt } : {}),
      },
    },
  ];
}

/**
 * A secret scanner found the key published. The first report is recorded; a repeated one records
 * nothing. Under `revoke` an active key is revoked with grace 0 and replaced, exactly as an admin's
 * breach revoke; a key already revoked has its grace cut short (its replacement exists). KeyLeaked
 * comes last, so a reader of it already knows the replacement.
 */
export function recordLeak({ data, metadata }: RecordLeak, ring: KeyRing): KeyRingEvent[] {
  const { keyId, scanner, url, source, action, newKey, newKeyValidity } = data;
  const { now, actor } = metadata;
  const key = requireKey(ring, keyId);
  if (key.leak !== null) return [];
  const leaked = (response: LeakResponse, replacedBy: string | null): KeyLeaked => ({
    type: 'KeyLeaked',
    data: { orgId: key.orgId, keyId, fingerprint: key.fingerprint, leakedAt: now, scanner, url, source, response, replacedBy },
  });
  const status = statusAt(key, now);
  if (status === 'expired') return [leaked('already-stopped', key.replacedBy)];
  if (action === 'notify') return [leaked('notified', key.replacedBy)];
  if (status === 'revoked') return [expired(key, now, 'grace'), leaked('revoked', key.replacedBy)];
  requireNewKeyId(ring, newKey.keyId);
  return [
    issued({ orgId: key.orgId, newKey, validity: newKeyValidity, reason: 'manual-rotation', replaces: keyId, metadata }),
    revoked({ key, at: now, graceEndsAt: now, kind: 'manual', reason: `published: reported by ${scanner} secret scanning`, replacedBy: newKey.keyId, actor }),
    expired(key, now, 'grace'),
    leaked('revoked', newKey.keyId),
  ];
}

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

type Issue = Readonly<{ orgId: string; newKey: NewKeyMaterial; validity: Validity; reason: IssueReason; replaces: string | null; metadata: CommandMetadata }>;

function issued({ orgId, newKey, validity, reason, replaces, metadata }: Issue): KeyIssued {
  return {
    type: 'KeyIssued',
    data: {
      orgId,
      keyId: newKey.keyId,
      fingerprint: newKey.fingerprint,
      hint: newKey.hint,
      material: newKey.material,
      issuedAt: metadata.now,
      expiresAt: expiryOf(validity, metadata.now),
      reason,
      replaces,
      actor: metadata.actor,
    },
  };
}

type Revocation = Readonly<{
  key: KeyEntry;
  at: string;
  graceEndsAt: string;
  kind: RevokeKind;
  reason: string | null;
  replacedBy: string;
  actor: Actor;
  /** Scheduled rotations only: when the outgoing key was last used (null = never). */
  lastUsedAt?: string | null;
}>;

function revoked({ key, at, graceEndsAt, kind, reason, replacedBy, actor, lastUsedAt }: Revocation): KeyRevoked {
  return {
    type: 'KeyRevoked',
    data: {
      orgId: key.orgId,
      keyId: key.keyId,
      revokedAt: at,
      graceEndsAt,
      kind,
      reason,
      replacedBy,
      actor,
      ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
    },
  };
}

function expired(key: KeyEntry, at: string, cause: ExpiryCause): KeyExpired {
  return { type: 'KeyExpired', data: { orgId: key.orgId, keyId: key.keyId, expiredAt: at, cause } };
}
