import { createPublicKey, KeyObject } from 'node:crypto';
import type { Clock } from '@keywarden/clock';
import { ScannerPublicKeys } from './scanner-public-keys.port';
import { SecretScanningError } from './secret-scanning.errors';

export type HttpScannerPublicKeysOptions = Readonly<{
  /** GitHub's format: `{ public_keys: [{ key_identifier, key (PEM), is_current }] }`. */
  url: string;
  clock: Clock;
  /** Least time between two fetches caused by unknown identifiers. @default 30000 */
  refetchIntervalMs?: number;
  /** @default 5000 */
  timeoutMs?: number;
}>;

type KeyList = { public_keys?: Array<{ key_identifier?: unknown; key?: unknown }> };

/**
 * Fetches the keys once and keeps them. An unknown identifier (GitHub rotated its key) fetches
 * again, at most once per refetch interval, so a flood of reports naming made-up identifiers
 * costs the scanner's endpoint one request per interval, not one per report.
 */
export class HttpScannerPublicKeys implements ScannerPublicKeys {
  private keys: Map<string, KeyObject> | null = null;
  private lastFetchMs = -Infinity;
  private fetching?: Promise<void>;
  private lastProblem = 'not fetched yet';

  constructor(private readonly options: HttpScannerPublicKeysOptions) {}

  async find(identifier: string): Promise<KeyObject | null> {
    const known = this.keys?.get(identifier);
    if (known) return known;
    const nowMs = this.options.clock.now().getTime();
    // The interval holds also while no fetch ever succeeded: a flood of reports during an outage of
    // the keys endpoint costs it one request per interval (each refused meanwhile; GitHub retries).
    if (nowMs - this.lastFetchMs >= (this.options.refetchIntervalMs ?? 30_000)) {
      this.fetching ??= this.fetchKeys(nowMs).finally(() => (this.fetching = undefined));
      await this.fetching;
    }
    if (this.keys === null) {
      throw new SecretScanningError('SCAN_KEYS_UNAVAILABLE', `the scanner's public keys could not be fetched (${this.lastProblem}); the report was not processed, send it again`);
    }
    return this.keys.get(identifier) ?? null;
  }

  private async fetchKeys(nowMs: number): Promise<void> {
    this.lastFetchMs = nowMs;
    let list: KeyList;
    try {
      const response = await fetch(this.options.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      list = (await response.json()) as KeyList;
    } catch (error) {
      // The keys we had are kept: a report signed with a known key still verifies.
      this.lastProblem = (error as Error).message;
      return;
    }
    const keys = new Map<string, KeyObject>();
    for (const entry of list.public_keys ?? []) {
      if (typeof entry.key_identifier !== 'string' || typeof entry.key !== 'string') continue;
      try {
        const key = createPublicKey(entry.key);
        // Only ECDSA P-256 keys are taken: the partner program signs with ECDSA over SHA-256.
        if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(entry.key_identifier, key);
      } catch {
        // a key that does not parse is skipped: the others still verify
      }
    }
    this.keys = keys;
  }
}
