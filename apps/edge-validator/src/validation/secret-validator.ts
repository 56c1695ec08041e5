import { LRUCache } from 'lru-cache';
import { InvalidSecretError, inspectSecret, KeyFingerprinter, SecretVerifier, SigningKeysUnavailableError } from '@keywarden/crypto';
import { decideAccess, RefusalReason, VerifiedSecretEntry } from './access-decision';
import { countKeyLookup } from '../edge.metrics';
import { KeyCacheUnavailableError, KeyEntryCache } from './key-entry.cache';

export type Verdict =
  | Readonly<{ outcome: 'accepted'; secret: VerifiedSecretEntry }>
  | Readonly<{ outcome: 'refused'; reason: RefusalReason }>
  /** Fail closed: something the decision needs could not be read; the caller answers 503. */
  | Readonly<{ outcome: 'unavailable'; cause: 'key-cache' | 'signing-keys' }>;

type HeldSecret = VerifiedSecretEntry & Readonly<{ verifiedAtMs: number; accepted: Verdict }>;

export type SecretValidatorOptions = Readonly<{
  /** Verified Secrets held by token string, and as many remembered forgeries. */
  secretCacheMax: number;
}>;

/**
 * A verified Secret is re-verified after this long, so a retired signing key stops being honoured
 * (the JWKS is re-read on the same period); revocation does not wait for it, it goes through the
 * key entry on every request.
 */
const SECRET_REVERIFY_MS = 10 * 60_000;
/** A token whose signature failed is refused from memory for this long, without another EdDSA check. */
const FORGERY_MEMORY_MS = 60_000;

const REFUSED = Object.fromEntries(
  (['missing', 'malformed', 'bad-key-format', 'bad-signature', 'unknown-kid', 'expired', 'unknown-key', 'key-mismatch', 'key-ended'] as const).map((reason) => [
    reason,
    { outcome: 'refused', reason } as Verdict,
  ]),
) as Record<RefusalReason, Verdict>;
const CACHE_UNAVAILABLE: Verdict = { outcome: 'unavailable', cause: 'key-cache' };
const SIGNING_KEYS_UNAVAILABLE: Verdict = { outcome: 'unavailable', cause: 'signing-keys' };

/**
 * Validates a bearer Secret, cheapest check first: present → held verified Secret (by token
 * string) → structure, kid, and the key's prefix and checksum (no crypto, no I/O) → EdDSA
 * signature against the JWKS → fingerprint → key entry (in process, then Redis) → decision.
 *
 * Returns synchronously when everything is in memory (the common case: a client reuses its
 * Secret all day), so the hot path allocates no promise. A Secret that was verified once is only
 * a lookup afterwards; a key that does not exist costs the same lookup as one that does.
 */
export class SecretValidator {
  private readonly verified: LRUCache<string, HeldSecret>;
  private readonly forgeries: LRUCache<string, number>;
  /** `${orgId}\u0000${keyId}` → the held tokens of that key, so an invalidation drops them too. */
  private readonly tokensByKey = new Map<string, Set<string>>();

  constructor(
    private readonly verifier: SecretVerifier,
    private readonly fingerprinter: KeyFingerprinter,
    private readonly keys: KeyEntryCache,
    options: SecretValidatorOptions,
  ) {
    this.verified = new LRUCache<string, HeldSecret>({
      max: options.secretCacheMax,
      dispose: (held, token) => {
        const ref = refOf(held.orgId, held.keyId);
        const tokens = this.tokensByKey.get(ref);
        tokens?.delete(token);
        if (tokens?.size === 0) this.tokensByKey.delete(ref);
      },
    });
    this.forgeries = new LRUCache({ max: options.secretCacheMax });
  }

  validate(token: string | undefined, nowMs: number): Verdict | Promise<Verdict> {
    if (token === undefined) return REFUSED.missing;
    const held = this.verified.get(token);
    if (held !== undefined && nowMs - held.verifiedAtMs < SECRET_REVERIFY_MS) return this.decide(held, nowMs);
    const forgedAt = this.forgeries.get(token);
    if (forgedAt !== undefined && nowMs - forgedAt < FORGERY_MEMORY_MS) return REFUSED['bad-signature'];
    return this.verify(token, nowMs);
  }

  /** Forgets the key's entry and its held Secrets (invalidation: revoked, expired, deleted). */
  evict(orgId: string, keyId: string, fingerprint: string | null): void {
    this.keys.evict(orgId, keyId, fingerprint);
    for (const token of [...(this.tokensByKey.get(refOf(orgId, keyId)) ?? [])]) this.verified.delete(token);
  }

  private decide(secret: HeldSecret, nowMs: number): Verdict | Promise<Verdict> {
    const key = this.keys.get(secret.fingerprint, nowMs);
    countKeyLookup(!(key instanceof Promise));
    if (key instanceof Promise) {
      return key.then(
        (entry) => verdictOf(secret, decideAccess(secret, entry, nowMs)),
        (error: unknown) => {
          if (error instanceof KeyCacheUnavailableError) return CACHE_UNAVAILABLE;
          throw error;
        },
      );
    }
    return verdictOf(secret, decideAccess(secret, key, nowMs));
  }

  private async verify(token: string, nowMs: number): Promise<Verdict> {
    const inspected = inspectSecret(token);
    if (!inspected.ok) return REFUSED[inspected.reason];
    let verified;
    try {
      verified = await this.verifier.verifyInspected(inspected.secret, new Date(nowMs));
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) return SIGNING_KEYS_UNAVAILABLE;
      if (!(error instanceof InvalidSecretError)) throw error;
      if (error.reason === 'bad-signature') this.forgeries.set(token, nowMs);
      return REFUSED[error.reason];
    }
    const entry = {
      orgId: verified.orgId,
      keyId: verified.keyId,
      fingerprint: this.fingerprinter.fingerprint(verified.apiKey),
      expiresAtMs: verified.expiresAt === null ? null : verified.expiresAt.getTime(),
      verifiedAtMs: nowMs,
    };
    const held: HeldSecret = { ...entry, accepted: { outcome: 'accepted', secret: entry } };
    this.verified.set(token, held);
    const ref = refOf(held.orgId, held.keyId);
    let tokens = this.tokensByKey.get(ref);
    if (tokens === undefined) this.tokensByKey.set(ref, (tokens = new Set()));
    tokens.add(token);
    return this.decide(held, nowMs);
  }
}

function verdictOf(secret: HeldSecret, decision: ReturnType<typeof decideAccess>): Verdict {
  return decision.accepted ? secret.accepted : REFUSED[decision.reason];
}

const refOf = (orgId: string, keyId: string): string => `${orgId}\u0000${keyId}`;
