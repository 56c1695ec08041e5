import { KeyObject, verify as verifySignature } from 'node:crypto';
import { compactVerify, errors, SignJWT } from 'jose';
import type { JSONWebKeySet, KeyLike } from 'jose';
import { parseApiKey } from './api-key';
import { InvalidApiKeyError, InvalidSecretError, InvalidSecretReason } from './crypto.errors';
import { ed25519KeysOf, RemoteJwks, RemoteJwksOptions } from './remote-jwks';
import { SigningKeyRing } from './signing-key-ring';

/**
 * The Secret: a compact JWS (EdDSA over Ed25519) carrying the API key in `client_secret`.
 * `iat` is the start of the UTC day of minting and Ed25519 signatures are deterministic, so the
 * Secret is stable within a day and changes daily while the key inside does not.
 */
export type SecretPayload = Readonly<{
  client_secret: string;
  org_id: string;
  key_id: string;
  iat: number;
  exp?: number;
}>;

export type MintSecretInput = Readonly<{
  apiKey: string;
  orgId: string;
  keyId: string;
  /** The key's effective end (expiry or grace end); null = never expires, and `exp` is omitted. */
  acceptUntil: Date | null;
  now: Date;
}>;

export type VerifiedSecret = Readonly<{
  apiKey: string;
  orgId: string;
  keyId: string;
  issuedAt: Date;
  expiresAt: Date | null;
  kid: string;
}>;

/** A Secret that passed the structural checks only: nothing here is authenticated yet. */
export type InspectedSecret = VerifiedSecret & Readonly<{ compact: string }>;

export type InspectSecretResult = { ok: true; secret: InspectedSecret } | { ok: false; reason: 'malformed' | 'bad-key-format' };

export type SecretKeyLookup = (kid: string) => Promise<KeyLike | null> | KeyLike | null;

const DAY_SECONDS = 24 * 60 * 60;
/** Far above a real Secret (~400 chars): bounds the work done on hostile input. */
const MAX_SECRET_LENGTH = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function startOfUtcDaySeconds(instant: Date): number {
  const seconds = Math.floor(instant.getTime() / 1000);
  return seconds - (((seconds % DAY_SECONDS) + DAY_SECONDS) % DAY_SECONDS);
}

export class SecretMinter {
  constructor(private readonly signingKeys: SigningKeyRing) {}

  async mint(input: MintSecretInput): Promise<string> {
    if (!parseApiKey(input.apiKey).ok) throw new InvalidApiKeyError('refusing to mint a Secret around a malformed API key');
    const payload: SecretPayload = {
      client_secret: input.apiKey,
      org_id: input.orgId,
      key_id: input.keyId,
      iat: startOfUtcDaySeconds(input.now),
      ...(input.acceptUntil ? { exp: Math.floor(input.acceptUntil.getTime() / 1000) } : {}),
    };
    const { kid, privateKey } = this.signingKeys.current();
    return new SignJWT({ ...payload }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(privateKey);
  }
}

/**
 * Cheap structural checks, no cryptography and no I/O: the edge runs this first and can reject
 * garbage, or look the key's fingerprint up, before paying for a signature check.
 */
export function inspectSecret(compact: string): InspectSecretResult {
  if (typeof compact !== 'string' || compact.length > MAX_SECRET_LENGTH || !COMPACT_JWS.test(compact)) return { ok: false, reason: 'malformed' };
  const [headerPart, payloadPart] = compact.split('.');
  const header = decodeJsonPart(headerPart);
  const payload = decodeJsonPart(payloadPart);
  if (!header || !payload) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string' || header.kid.length === 0) return { ok: false, reason: 'malformed' };
  if (header.typ !== undefined && header.typ !== 'JWT') return { ok: false, reason: 'malformed' };
  const { client_secret, org_id, key_id, iat, exp } = payload;
  if (typeof client_secret !== 'string' || typeof org_id !== 'string' || typeof key_id !== 'string') return { ok: false, reason: 'malformed' };
  if (!Number.isSafeInteger(iat) || (exp !== undefined && !Number.isSafeInteger(exp))) return { ok: false, reason: 'malformed' };
  if (!parseApiKey(client_secret).ok) return { ok: false, reason: 'bad-key-format' };
  return {
    ok: true,
    secret: {
      apiKey: client_secret,
      orgId: org_id,
      keyId: key_id,
      issuedAt: new Date((iat as number) * 1000),
      expiresAt: exp === undefined ? null : new Date((exp as number) * 1000),
      kid: header.kid,
      compact,
    },
  };
}

/** Same rule as the signature check's: a Secret is expired from its `exp` second on. */
export function isSecretExpired(secret: Pick<VerifiedSecret, 'expiresAt'>, now: Date): boolean {
  return secret.expiresAt !== null && Math.floor(now.getTime() / 1000) >= secret.expiresAt.getTime() / 1000;
}

export class SecretVerifier {
  private readonly getKey: SecretKeyLookup;

  /** A kid-to-public-key lookup, or a ring whose published keys are used directly. */
  constructor(keys: SecretKeyLookup | SigningKeyRing) {
    this.getKey = keys instanceof SigningKeyRing ? (kid) => keys.publicKey(kid) : keys;
  }

  /** In-process verification against a ring (the registry's own keys). */
  static forRing(ring: SigningKeyRing): SecretVerifier {
    return new SecretVerifier(ring);
  }

  /** Verification against a fixed public JWKS; non-Ed25519 entries are ignored. */
  static forJwks(jwks: JSONWebKeySet): SecretVerifier {
    const keys = ed25519KeysOf(jwks);
    return new SecretVerifier((kid) => keys.get(kid) ?? null);
  }

  /**
   * Verification against a published JWKS (the edge), through RemoteJwks: the last good set keeps
   * serving while the registry is down, an unknown kid (how a rotated-in key is picked up) fetches
   * at most once per cooldown, and failed fetches back off. A fetch failure that leaves a kid
   * unresolved throws SigningKeysUnavailableError, not InvalidSecretError: it is not the caller's
   * fault and is retriable.
   */
  static forRemoteJwks(url: string | URL, options: RemoteJwksOptions = {}): SecretVerifier {
    const jwks = new RemoteJwks(new URL(url), options);
    return new SecretVerifier((kid) => jwks.key(kid));
  }

  /** Structural checks, then the signature and time check; throws InvalidSecretError. */
  async verify(secret: string, now: Date): Promise<VerifiedSecret> {
    const inspected = inspectSecret(secret);
    if (!inspected.ok) throw new InvalidSecretError(inspected.reason);
    return this.verifyInspected(inspected.secret, now);
  }

  /** The expensive half, for callers that ran inspectSecret (and maybe a cache lookup) first. */
  async verifyInspected(secret: InspectedSecret, now: Date): Promise<VerifiedSecret> {
    if (isSecretExpired(secret, now)) throw new InvalidSecretError('expired');
    return this.verifySignature(secret, now);
  }

  /**
   * Everything but the `exp` check: for callers that decide the key's end from the registry's
   * record (the master list's acceptUntil), which "Never expire" may have moved past the `exp`
   * the Secret was minted with. `expiresAt` is still returned for them to weigh.
   */
  async verifySignature(secret: InspectedSecret, now: Date): Promise<VerifiedSecret> {
    const key = await this.getKey(secret.kid);
    if (key === null) throw new InvalidSecretError('unknown-kid');
    if (key instanceof KeyObject && key.asymmetricKeyType === 'ed25519') {
      verifyEd25519(secret, key);
    } else {
      try {
        await compactVerify(secret.compact, key, { algorithms: ['EdDSA'] });
      } catch (error) {
        throw new InvalidSecretError(reasonOf(error));
      }
    }
    checkTypAndNbf(secret, now);
    const { compact: _compact, ...verified } = secret;
    return verified;
  }
}

const ED25519_SIGNATURE_BYTES = 64;

/**
 * The signature check on node:crypto directly: jose adds about a third to the EdDSA check's own
 * cost, and the edge pays it on every Secret it has not seen yet. inspectSecret already checked
 * alg, kid, iat and the payload's shape; checkTypAndNbf does the rest of what jose's jwtVerify
 * would (the caller weighs exp).
 */
function verifyEd25519(secret: InspectedSecret, key: KeyObject): void {
  const { compact } = secret;
  const signatureAt = compact.lastIndexOf('.');
  const signature = Buffer.from(compact.slice(signatureAt + 1), 'base64url');
  if (signature.length !== ED25519_SIGNATURE_BYTES || !verifySignature(null, Buffer.from(compact.slice(0, signatureAt), 'latin1'), key, signature)) {
    throw new InvalidSecretError('bad-signature');
  }
}

function checkTypAndNbf(secret: InspectedSecret, now: Date): void {
  const [headerPart, payloadPart] = secret.compact.split('.', 2);
  if (decodeJsonPart(headerPart)?.typ !== 'JWT') throw new InvalidSecretError('malformed');
  const nbf = decodeJsonPart(payloadPart)?.nbf;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now.getTime() / 1000)) throw new InvalidSecretError('malformed');
}

function reasonOf(error: unknown): InvalidSecretReason {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
  return 'malformed';
}

function decodeJsonPart(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
