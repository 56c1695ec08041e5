import { Clock, SystemClock } from '@keywarden/clock';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWSHeaderParameters, FlattenedJWSInput, JWTPayload, KeyLike } from 'jose';
import { ADMIN_ROLES, AdminPrincipal, AdminRole } from './admin-principal';

export type AdminTokenVerifierOptions = Readonly<{
  /** The identity provider's JWKS endpoint (production). */
  jwksUrl?: string;
  /** A fixed key set, used by the development issuer. */
  localJwks?: JSONWebKeySet;
  issuer: string;
  audience: string;
  /** @default new SystemClock() */
  clock?: Clock;
  /** Allowed skew between the identity provider's clock and ours. @default 5 */
  clockToleranceSeconds?: number;
}>;

/** What the guard needs; apps bind an implementation to ADMIN_TOKEN_VERIFIER. */
export interface VerifiesAdminTokens {
  verify(token: string): Promise<AdminPrincipal>;
}

export const ADMIN_TOKEN_VERIFIER = Symbol('ADMIN_TOKEN_VERIFIER');

export type AdminTokenRejection =
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'unknown-key'
  | 'alg-not-allowed'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'bad-claims';

export class InvalidAdminTokenError extends Error {
  readonly code = 'INVALID_ADMIN_TOKEN';
  constructor(readonly reason: AdminTokenRejection) {
    super(`the admin token was rejected: ${reason}`);
  }
}

/** The identity provider's keys could not be fetched: retriable, and not the caller's fault. */
export class AdminKeysUnavailableError extends Error {
  readonly code = 'ADMIN_KEYS_UNAVAILABLE';
  readonly retriable = true;
  constructor() {
    super("the identity provider's signing keys (JWKS) could not be fetched");
  }
}

export class AdminAuthConfigError extends Error {
  readonly code = 'BAD_ADMIN_AUTH_CONFIGURATION';
}

/** Asymmetric only: a shared-secret (HS*) or unsigned (none) token can never pass. */
const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'];

type GetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike>;

export class AdminTokenVerifier implements VerifiesAdminTokens {
  private readonly getKey: GetKey;
  private readonly clock: Clock;
  private readonly clockTolerance: number;

  constructor(private readonly options: AdminTokenVerifierOptions) {
    if (!options.issuer || !options.audience) throw new AdminAuthConfigError('admin token verification needs an issuer and an audience');
    if (options.localJwks) {
      this.getKey = createLocalJWKSet(options.localJwks);
    } else if (options.jwksUrl) {
      const remote = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      this.getKey = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
          throw new AdminKeysUnavailableError();
        }
      };
    } else {
      throw new AdminAuthConfigError('admin token verification needs a JWKS URL or a local JWKS');
    }
    this.clock = options.clock ?? new SystemClock();
    this.clockTolerance = options.clockToleranceSeconds ?? 5;
  }

  /** Throws InvalidAdminTokenError, or AdminKeysUnavailableError when the keys cannot be fetched. */
  async verify(token: string): Promise<AdminPrincipal> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) throw new InvalidAdminTokenError('malformed');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: ALGORITHMS,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: this.clockTolerance,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      if (error instanceof AdminKeysUnavailableError) throw error;
      throw new InvalidAdminTokenError(rejectionOf(error));
    }
    return principalOf(payload);
  }
}

function principalOf(payload: JWTPayload): AdminPrincipal {
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new InvalidAdminTokenError('bad-claims');
  const claimed = Array.isArray(payload.roles) ? payload.roles : typeof payload.roles === 'string' ? [payload.roles] : [];
  const roles = ADMIN_ROLES.filter((role): role is AdminRole => claimed.includes(role));
  return {
    sub: payload.sub,
    email: typeof payload.email === 'string' && payload.email ? payload.email : null,
    orgId: typeof payload.org === 'string' && payload.org ? payload.org : null,
    roles,
    isOperator: roles.includes('operator'),
  };
}

function rejectionOf(error: unknown): AdminTokenRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'wrong-issuer';
    if (error.claim === 'aud') return 'wrong-audience';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'not-yet-valid';
    return 'bad-claims';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg-not-allowed';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return 'unknown-key';
  return 'malformed';
}
