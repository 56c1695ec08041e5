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
 * The master list's acceptUntil is the key's authoritative end; the Secret's own `exp` is only the
 * key's end as it was when the Secret was minted. So a signature-checked Secret is accepted when
 * the master list has its key (deleted and ended keys are gone from it), the entry is the same
 * organisation and key the Secret names, and the entry's acceptUntil has not been reached, whether
 * or not the Secret's `exp` has passed: "never expire" (acceptUntil null) keeps a deployed Secret
 * working past its old `exp`. acceptUntil is only ever moved earlier (revocation) or removed, never
 * beyond a live Secret's `exp` otherwise, so nothing is accepted that the registry does not accept
 * now. A passed `exp` only names the refusal. Every branch costs the same few comparisons.
 */
export function decideAccess(secret: VerifiedSecretEntry, key: ActiveKeyEntry | null, nowMs: number): AccessDecision {
  const pastExp = secret.expiresAtMs !== null && nowMs >= secret.expiresAtMs;
  if (key === null) return pastExp ? REFUSALS.expired : REFUSALS.unknownKey;
  if (key.orgId !== secret.orgId || key.keyId !== secret.keyId) return REFUSALS.mismatch;
  if (key.acceptUntil !== null && nowMs >= key.acceptUntil) return pastExp ? REFUSALS.expired : REFUSALS.ended;
  return ACCEPTED;
}
