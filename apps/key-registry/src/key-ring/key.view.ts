import { DateTimeStyle, formatInstant, formatNullableInstant } from '@keywarden/contracts';
import { acceptUntil, KeyEntry, KeyStatus, statusAt } from '../domain/key-ring.decider';

/** The `Key` of API.md: one row of the key table. */
export type KeyView = Readonly<{
  keyId: string;
  orgId: string;
  hint: string;
  status: KeyStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  graceEndsAt: string | null;
  lastUsedAt: string | null;
  replacedBy: string | null;
  /** When the key stops being accepted (earliest of expiry and grace end); null = never. */
  acceptUntil: string | null;
  /** A secret scanner's first report of the key published (when, where, by whom); null while none came. */
  leak: Readonly<{ at: string; url: string; source: string; scanner: string }> | null;
}>;

export function toKeyView(key: KeyEntry, now: string, style: DateTimeStyle, lastUsedAt: string | null): KeyView {
  return {
    keyId: key.keyId,
    orgId: key.orgId,
    hint: key.hint,
    status: statusAt(key, now),
    createdAt: formatInstant(key.issuedAt, style),
    expiresAt: formatNullableInstant(key.expiresAt, style),
    revokedAt: formatNullableInstant(key.revokedAt, style),
    graceEndsAt: formatNullableInstant(key.graceEndsAt, style),
    lastUsedAt: formatNullableInstant(lastUsedAt, style),
    replacedBy: key.replacedBy,
    acceptUntil: formatNullableInstant(acceptUntil(key), style),
    leak: key.leak && { ...key.leak, at: formatInstant(key.leak.at, style) },
  };
}
