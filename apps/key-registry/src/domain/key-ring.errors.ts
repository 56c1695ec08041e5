/**
 * Refusals of the key-ring domain. Each has a stable `code` that clients can branch on; the HTTP
 * layer maps codes to statuses in one place. Messages say what to do next and never carry a key.
 */
export type KeyRingErrorCode =
  | 'KEY_NOT_FOUND'
  | 'ACTIVE_KEY_EXISTS'
  | 'KEY_ALREADY_REVOKED'
  | 'KEY_EXPIRED'
  | 'KEY_STILL_ACTIVE'
  | 'KEY_NOT_CURRENT'
  | 'KEY_ID_TAKEN'
  | 'INVALID_VALIDITY'
  | 'INVALID_GRACE';

export class KeyRingError extends Error {
  constructor(
    readonly code: KeyRingErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'KeyRingError';
  }
}
