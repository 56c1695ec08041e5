import { Clock, SystemClock } from '@keywarden/clock';
import { localKeysDir, readOrCreateKeyFile, SigningKeyRing } from '@keywarden/crypto';
import { SignJWT } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { join } from 'node:path';
import { AdminRole } from './admin-principal';
import { AdminTokenVerifierOptions } from './admin-token-verifier';

export const DEV_ISSUER = 'keywarden-dev';
export const DEV_AUDIENCE = 'keywarden';
export const DEV_TOKEN_TTL_SECONDS = 12 * 60 * 60;
export const DEV_ISSUER_KEY_FILE = 'dev-issuer.json';

export type IssueAdminTokenInput = Readonly<{
  orgId: string;
  email: string;
  role: AdminRole;
  /** @default `dev:<email>` */
  sub?: string;
  /** @default 43200 (12 hours) */
  ttlSeconds?: number;
}>;

/**
 * The identity provider of the embedded/development mode only: an Ed25519 key generated once
 * under `<dataDir>/keys/dev-issuer.json` (0600), so tokens survive restarts and the CLI and the
 * running services agree without talking to each other.
 */
export class DevelopmentIssuer {
  readonly issuer = DEV_ISSUER;
  readonly audience = DEV_AUDIENCE;

  private readonly key: SigningKeyRing;

  constructor(
    dataDir: string,
    private readonly clock: Clock = new SystemClock(),
  ) {
    const file = join(localKeysDir(dataDir), DEV_ISSUER_KEY_FILE);
    const json = readOrCreateKeyFile(file, () => `${SigningKeyRing.generate(clock.now()).serialize()}\n`);
    this.key = SigningKeyRing.fromJSON(json);
  }

  static open(dataDir: string, clock?: Clock): DevelopmentIssuer {
    return new DevelopmentIssuer(dataDir, clock);
  }

  async issue(input: IssueAdminTokenInput): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const { kid, privateKey } = this.key.current();
    return new SignJWT({ email: input.email, org: input.orgId, roles: [input.role] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(input.sub ?? `dev:${input.email}`)
      .setIssuedAt(now)
      .setExpirationTime(now + (input.ttlSeconds ?? DEV_TOKEN_TTL_SECONDS))
      .sign(privateKey);
  }

  jwks(): JSONWebKeySet {
    return this.key.jwks();
  }

  /** What an app passes to AdminTokenVerifier in development mode. */
  verifierOptions(clock?: Clock): AdminTokenVerifierOptions {
    return { issuer: this.issuer, audience: this.audience, localJwks: this.jwks(), clock: clock ?? this.clock };
  }
}
