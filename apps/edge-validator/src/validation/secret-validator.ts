import { LRUCache } from 'lru-cache';
import { InvalidSecretError, inspectSecret, KeyFingerprinter, SecretVerifier, SigningKeysUnavailableError } from '@keywarden/crypto';
import { decideAccess, RefusalReason, VerifiedSecretEntry } from './access-decision';
import { countKeyLookup } from '../edge.metrics';
import type { EndedKeys } from './ended-keys';
import { KeyCacheIncompleteError, KeyCacheUnavailableError, KeyEntryCache } from './key-entry.cache';

export type Verdict =
  | Readonly<{ outcome: 'accepted'; secret: VerifiedSecretEntry }>
  /** `orgId` when the Secret's signature verified (a revoked, expired or deleted key): its organisation's request-id header applies. */
  | Readonly<{ outcome: 'refused'; reason: RefusalReason; orgId?: string }>
  /** Fail closed: something the decision needs could not be read; the caller answers 503. */
  | Readonly<{ outcome: 'unavailable'; cause: 'key-cache' | 'key-cache-incomplete' | 'signing-keys' }>;

type HeldSecret = VerifiedSecretEntry & Readonly<{ token: string; verifiedAtMs: number; accepted: Verdict }>;
type Forgery = Readonly<{ token: string; atMs: number }>;

/**
 * Held Secrets are found by the last characters of their signature, and used only when the whole
 * token is the same string: a lookup hashes 32 characters instead of the whole ~400 (V8 hashes
 * every new header string in full), and a token that merely shares them is simply not found.
 */
const SLOT_CHARS = 32;
const slotOf = (token: string): string => (token.length > SLOT_CHARS ? token.slice(-SLOT_CHARS) : token);

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
const CACHE_INCOMPLETE: Verdict = { outcome: 'unavailable', cause: 'key-cache-incomplete' };
const SIGNING_KEYS_UNAVAILABLE: Verdict = { outcome: 'unavailable', cause: 'signing-keys' };

/**
 * Validates a bearer Secret, cheapest check first: present → held verified Secret (the same token
 * string, verified before) → structure, kid, and the key's prefix and checksum (no crypto, no I/O) → EdDSA
 * signature against the JWKS → fingerprint → key entry (in process, then Redis) → decision. The
 * Secret's `exp` is weighed in the decision, against the entry: the entry's acceptUntil is the
 * key's authoritative end, so a held Secret stays accepted past its `exp` exactly while the entry
 * says so, and is refused from the entry's end on.
 *
 * Returns synchronously when everything is in memory (the common case: a client reuses its
 * Secret all day), so the hot path allocates no promise. A Secret that was verified once is only
 * a lookup afterwards; a key that does not exist costs the same lookup as one that does.
 */
export class SecretValidator {
  private readonly verified: LRUCache<string, HeldSecret>;
  private readonly forgeries: LRUCache<string, Forgery>;
  /** `${orgId}\u0000${keyId}` → the slots of that key's held Secrets, so an invalidation drops them too. */
  private readonly tokensByKey = new Map<string, Set<string>>();

  constructor(
    private readonly verifier: SecretVerifier,
    private readonly fingerprinter: KeyFingerprinter,
    private readonly keys: KeyEntryCache,
    options: SecretValidatorOptions,
    /** Ends seen on the lifecycle topic by this edge, checked before the key cache. */
    private readonly ended?: EndedKeys,
  ) {
    this.verified = new LRUCache<string, HeldSecret>({
      max: options.secretCacheMax,
      dispose: (held, slot) => {
        const ref = refOf(held.orgId, held.keyId);
        const slots = this.tokensByKey.get(ref);
        slots?.delete(slot);
        if (slots?.size === 0) this.tokensByKey.delete(ref);
      },
    });
    this.forgeries = new LRUCache({ max: options.secretCacheMax });
  }

  validate(token: string | undefined, nowMs: number): Verdict | Promise<Verdict> {
    if (token === undefined) return REFUSED.missing;
    const slot = slotOf(token);
    const held = this.verified.get(slot);
    if (held !== undefined && held.token === token && nowMs - held.verifiedAtMs < SECRET_REVERIFY_MS) return this.decide(held, nowMs);
    const forgery = this.forgeries.get(slot);
    if (forgery !== undefined && forgery.token === token && nowMs - forgery.atMs < FORGERY_MEMORY_MS) return REFUSED['bad-signature'];
    return this.verify(token, nowMs);
  }

  /** Forgets the key's entry and its held Secrets (invalidation: revoked, expired, deleted). */
  evict(orgId: string, keyId: string, fingerprint: string | null): void {
    this.keys.evict(orgId, keyId, fingerprint);
    for (const slot of [...(this.tokensByKey.get(refOf(orgId, keyId)) ?? [])]) this.verified.delete(slot);
  }

  private decide(secret: HeldSecret, nowMs: number): Verdict | Promise<Verdict> {
    if (this.ended?.has(secret.orgId, secret.keyId)) return { outcome: 'refused', reason: 'key-ended', orgId: secret.orgId };
    const key = this.keys.get(secret.fingerprint, nowMs);
    countKeyLookup(!(key instanceof Promise));
    if (key instanceof Promise) {
      return key.then(
        (entry) => verdictOf(secret, decideAccess(secret, entry, nowMs)),
        (error: unknown) => {
          if (error instanceof KeyCacheUnavailableError) return CACHE_UNAVAILABLE;
          if (error instanceof KeyCacheIncompleteError) return CACHE_INCOMPLETE;
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
      // Not verifyInspected: a Secret past its own exp is still accepted while the master list's
      // entry says its key is (decideAccess), e.g. after "Never expire" was set.
      verified = await this.verifier.verifySignature(inspected.secret, new Date(nowMs));
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) return SIGNING_KEYS_UNAVAILABLE;
      if (!(error instanceof InvalidSecretError)) throw error;
      if (error.reason === 'bad-signature') this.forgeries.set(slotOf(token), { token, atMs: nowMs });
      return REFUSED[error.reason];
    }
    const entry = {
      orgId: verified.orgId,
      keyId: verified.keyId,
      fingerprint: this.fingerprinter.fingerprint(verified.apiKey),
      expiresAtMs: verified.expiresAt === null ? null : verified.expiresAt.getTime(),
      verifiedAtMs: nowMs,
    };
    const held: HeldSecret = { ...entry, token, accepted: { outcome: 'accepted', secret: entry } };
    const slot = slotOf(token);
    this.verified.set(slot, held);
    const ref = refOf(held.orgId, held.keyId);
    let slots = this.tokensByKey.get(ref);
    if (slots === undefined) this.tokensByKey.set(ref, (slots = new Set()));
    slots.add(slot);
    return this.decide(held, nowMs);
  }
}

function verdictOf(secret: HeldSecret, decision: ReturnType<typeof decideAccess>): Verdict {
  return decision.accepted ? secret.accepted : { outcome: 'refused', reason: decision.reason, orgId: secret.orgId };
}

const refOf = (orgId: string, keyId: string): string => `${orgId}\u0000${keyId}`;
