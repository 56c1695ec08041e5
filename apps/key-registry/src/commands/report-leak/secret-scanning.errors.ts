import { DomainError } from '@keywarden/contracts';

/** Refusals of a secret-scanning report; none of them changes anything. */
export type SecretScanningErrorCode = 'SCAN_SIGNATURE_MISSING' | 'SCAN_SIGNATURE_INVALID' | 'SCAN_REPORT_MALFORMED' | 'SCAN_KEYS_UNAVAILABLE';

export class SecretScanningError extends DomainError<SecretScanningErrorCode> {}

export const SECRET_SCANNING_STATUS_BY_CODE: Readonly<Record<SecretScanningErrorCode, number>> = {
  SCAN_SIGNATURE_MISSING: 401,
  SCAN_SIGNATURE_INVALID: 401,
  SCAN_REPORT_MALFORMED: 400,
  SCAN_KEYS_UNAVAILABLE: 503,
};
