import { DomainError } from '@keywarden/contracts';

/** Refusals of the key-ring domain. */
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

export class KeyRingError extends DomainError<KeyRingErrorCode> {}
