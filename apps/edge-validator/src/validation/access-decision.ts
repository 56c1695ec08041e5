/**
 * The edge's decision, pure: a verified Secret against the key's entry in the master list of
 * active keys, at one instant. No I/O, no clock: time arrives as an argument.
 */

/** What a verified Secret says about itself (signature checked, key fingerprinted). */
export type VerifiedSecretEntry = Readonly<{
  orgId: string;
  keyId: string;
  fingerprint: string;
  /** The Secret's own `exp` in epoch ms; null = minted for a never-expiring key. */
  expiresAtMs: number | null;
}>;

/** The master list's entry for a fingerprint, as the projection wrote it. */
export type ActiveKeyEntry = Readonly<{
  orgId: string;
  keyId: string;
  /** Epoch ms from which the key is refused (earliest of expiry and grace end); null = never. */
  acceptUntil: number | null;
}>;

export type RefusalReason = 'missing' | 'malformed' | 'bad-key-format' | 'bad-signature' | 'unknown-kid' | 'expired' | 'unknown-key' | 'key-mismatch' | 'key-ended';

export type AccessDecision = Readonly<{ accepted: true }> | Readonly<{ accepted: false; reason: RefusalReason }>;

const ACCEPTED: AccessDecision = { accepted: true };
const refused = (reason: RefusalReason): AccessDecision => ({ accepted: false, reason });
const REFUSALS = {
  expired: refused('expired'),
  unknownKey: refused('unknown-key'),
  mismatch: refused('key-mismatch'),
  ended: refused('key-ended'),
};

/**
 * Accepted only when the Secret is within its own `exp`, the master list has its key (deleted and
 * ended keys are gone from it), the entry is the same organisation and key the Secret names, and
 * the key's acceptUntil has not been reached. Every branch costs the same few comparisons.
 */
export function decideAccess(secret: VerifiedSecretEntry, key: ActiveKeyEntry | null, nowMs: number): AccessDecision {
  if (secret.expiresAtMs !== null && nowMs >= secret.expiresAtMs) return REFUSALS.expired;
  if (key === null) return REFUSALS.unknownKey;
  if (key.orgId !== secret.orgId || key.keyId !== secret.keyId) return REFUSALS.mismatch;
  if (key.acceptUntil !== null && nowMs >= key.acceptUntil) return REFUSALS.ended;
  return ACCEPTED;
}
