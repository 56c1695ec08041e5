import type { KeyObject } from 'node:crypto';

/** The public keys a secret scanner signs its reports with, by their identifier. */
export interface ScannerPublicKeys {
  /** The key with that identifier, or null when the scanner publishes none by that name. */
  find(identifier: string): Promise<KeyObject | null>;
}

export const SCANNER_PUBLIC_KEYS = Symbol('SCANNER_PUBLIC_KEYS');
