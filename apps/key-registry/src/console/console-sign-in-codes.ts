import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IssueAdminTokenInput } from '@keywarden/auth';
import type { Clock } from '@keywarden/clock';

export type SignInPrincipal = Pick<IssueAdminTokenInput, 'orgId' | 'email' | 'role'>;

/** @default 15 minutes */
export const SIGN_IN_CODE_TTL_MS = 15 * 60 * 1000;

type Pending = Readonly<{ hash: Buffer; principal: SignInPrincipal; expiresAt: number }>;

const hashOf = (code: string): Buffer => createHash('sha256').update(code, 'utf8').digest();

/**
 * The embedded mode's one-time console sign-in codes (`/console#signin=<code>`), held in this
 * process only. A code is a bearer credential for an admin token, so only its SHA-256 is kept
 * (256 random bits need no salt or slow hash) and a redeemed or expired code is forgotten.
 */
export class ConsoleSignInCodes {
  private pending: Pending[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number = SIGN_IN_CODE_TTL_MS,
  ) {}

  /** A fresh code for the principal; the caller prints it once and never logs it. */
  mint(principal: SignInPrincipal): Readonly<{ code: string; expiresAt: Date }> {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now().getTime() + this.ttlMs;
    this.forgetExpired();
    this.pending.push({ hash: hashOf(code), principal, expiresAt });
    return { code, expiresAt: new Date(expiresAt) };
  }

  /** The principal the code was minted for, once; null when unknown, already used or expired. */
  redeem(code: string): SignInPrincipal | null {
    this.forgetExpired();
    const hash = hashOf(code);
    // Constant-time comparison, so the answer's timing says nothing about a near miss.
    const match = this.pending.find((p) => timingSafeEqual(p.hash, hash));
    if (!match) return null;
    this.pending = this.pending.filter((p) => p !== match);
    return match.principal;
  }

  private forgetExpired(): void {
    const now = this.clock.now().getTime();
    this.pending = this.pending.filter((p) => p.expiresAt > now);
  }
}
