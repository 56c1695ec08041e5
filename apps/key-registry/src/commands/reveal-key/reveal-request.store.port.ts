/**
 * Where reveal requests live between "send me a code" and "here is the code": Redis when REDIS_URL
 * is set (every registry instance sees every request), else memory. The code itself is never
 * stored, only its HMAC (`OtpHasher`); time comes from the caller's Clock.
 */
export type StoredRevealRequest = Readonly<{
  requestId: string;
  orgId: string;
  keyId: string;
  /** The admin who asked: only they can use the code. */
  sub: string;
  codeHash: string;
  expiresAtMs: number;
}>;

export type RevealAttemptInput = Readonly<{
  requestId: string;
  orgId: string;
  keyId: string;
  sub: string;
  codeHash: string;
  nowMs: number;
  /** The wrong code that reaches this count locks the request. */
  maxAttempts: number;
}>;

export type RevealAttemptOutcome =
  | Readonly<{ outcome: 'accepted' }>
  | Readonly<{ outcome: 'wrong'; attemptsLeft: number }>
  | Readonly<{ outcome: 'locked' }>
  | Readonly<{ outcome: 'used' }>
  | Readonly<{ outcome: 'expired' }>
  | Readonly<{ outcome: 'not-found' }>;

export type Admission = Readonly<{ admitted: true }> | Readonly<{ admitted: false; retryAfterMs: number }>;

export interface RevealRequestStore {
  /** Counts one request of `who` in a sliding window; refuses beyond `limit`, saying when one is free again. */
  admit(who: string, nowMs: number, limit: number, windowMs: number): Promise<Admission>;
  save(request: StoredRevealRequest, nowMs: number): Promise<void>;
  /** Removes a request whose code could not be sent, so no code is left pending. */
  discard(requestId: string): Promise<void>;
  /**
   * One atomic step, so concurrent guesses can neither exceed the attempt limit nor both succeed:
   * check owner, state and expiry; on a match consume the request; else count the wrong code and
   * lock at `maxAttempts`.
   */
  attempt(input: RevealAttemptInput): Promise<RevealAttemptOutcome>;
}

export const REVEAL_REQUEST_STORE = Symbol('REVEAL_REQUEST_STORE');

/** Requests are kept this long after they expire, so a late attempt gets "expired" (410) rather than "unknown". */
export const REVEAL_REQUEST_RETENTION_MS = 24 * 60 * 60 * 1000;
