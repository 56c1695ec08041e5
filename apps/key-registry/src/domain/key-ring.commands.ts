import type { Actor, EncryptedKeyMaterial, LeakedKeyAction, LeakScanner } from '@keywarden/contracts';
import { Validity } from './validity';

// Commands: time, ids and key material arrive on the command, so decide stays pure.

/** A freshly generated key, ready to be recorded: never the key itself, only what may be stored. */
export type NewKeyMaterial = Readonly<{
  keyId: string;
  fingerprint: string;
  hint: string;
  material: EncryptedKeyMaterial;
}>;

export type CommandMetadata = Readonly<{ now: string; actor: Actor }>;

export type IssueKey = Readonly<{ type: 'IssueKey'; data: { orgId: string; newKey: NewKeyMaterial; validity: Validity }; metadata: CommandMetadata }>;
export type RevokeKey = Readonly<{
  type: 'RevokeKey';
  data: { keyId: string; graceDays: number; reason: string | null; newKey: NewKeyMaterial; newKeyValidity: Validity };
  metadata: CommandMetadata;
}>;
export type RemoveExpiration = Readonly<{ type: 'RemoveExpiration'; data: { keyId: string }; metadata: CommandMetadata }>;
export type DeleteKey = Readonly<{ type: 'DeleteKey'; data: { keyId: string }; metadata: CommandMetadata }>;
export type RecordReveal = Readonly<{ type: 'RecordReveal'; data: { keyId: string; revealRequestId: string }; metadata: CommandMetadata }>;
export type ExpireKey = Readonly<{ type: 'ExpireKey'; data: { keyId: string }; metadata: CommandMetadata }>;
export type RotateKeyOnSchedule = Readonly<{
  type: 'RotateKeyOnSchedule';
  /**
   * leadDays: how long before its expiry the next key is issued (the organisation's grace), at most
   * half the key's validity. newKeyValidity: the organisation's rotation interval, also for the
   * successor of a short-lived key (the schedule's rhythm, not a copy of a one-off choice).
   * lastUsedAt: the outgoing key's, from the usage read model (null = never used), for the mail.
   */
  data: { keyId: string; leadDays: number; newKey: NewKeyMaterial; newKeyValidity: Validity; lastUsedAt?: string | null };
  metadata: CommandMetadata;
}>;
export type IssueExpiryNotice = Readonly<{
  type: 'IssueExpiryNotice';
  /** lastUsedAt: from the usage read model (null = never used); recorded on the notice for the notifier. */
  data: { keyId: string; noticeDays: number; lastUsedAt?: string | null };
  metadata: CommandMetadata;
}>;

export type RecordLeak = Readonly<{
  type: 'RecordLeak';
  /**
   * A secret scanner's report of the key published at `url`. action: the organisation's
   * leakedKeyAction. newKey/newKeyValidity: the replacement, recorded only when the decision revokes.
   */
  data: { keyId: string; scanner: LeakScanner; url: string; source: string; action: LeakedKeyAction; newKey: NewKeyMaterial; newKeyValidity: Validity };
  metadata: CommandMetadata;
}>;

export type KeyRingCommand =
  | IssueKey
  | RevokeKey
  | RemoveExpiration
  | DeleteKey
  | RecordReveal
  | ExpireKey
  | RotateKeyOnSchedule
  | IssueExpiryNotice
  | RecordLeak;
