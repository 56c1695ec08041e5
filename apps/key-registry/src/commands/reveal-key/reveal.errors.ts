/** Refusals of the reveal flow, each with a stable code (mapped to statuses in REVEAL_STATUS_BY_CODE). */
export type RevealErrorCode =
  | 'REVEAL_NOT_ALLOWED'
  | 'REVEAL_CODE_WRONG'
  | 'REVEAL_LOCKED'
  | 'REVEAL_RATE_LIMITED'
  | 'REVEAL_REQUEST_USED'
  | 'REVEAL_REQUEST_EXPIRED'
  | 'REVEAL_REQUEST_NOT_FOUND'
  | 'REVEAL_CODE_NOT_SENT';

export class RevealError extends Error {
  constructor(
    readonly code: RevealErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** For 429: when to try again (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'RevealError';
  }
}

export const REVEAL_STATUS_BY_CODE: Readonly<Record<RevealErrorCode, number>> = {
  REVEAL_NOT_ALLOWED: 403,
  REVEAL_CODE_WRONG: 401,
  REVEAL_LOCKED: 429,
  REVEAL_RATE_LIMITED: 429,
  REVEAL_REQUEST_USED: 410,
  REVEAL_REQUEST_EXPIRED: 410,
  REVEAL_REQUEST_NOT_FOUND: 404,
  REVEAL_CODE_NOT_SENT: 503,
};
