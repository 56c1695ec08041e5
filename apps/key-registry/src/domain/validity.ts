import { KeyRingError } from './key-ring.errors';

/** How long a new key is accepted: a number of days (1..365) or never expiring. */
export type Validity = Readonly<{ kind: 'days'; days: number }> | Readonly<{ kind: 'never' }>;

export const MAX_VALIDITY_DAYS = 365;
export const MAX_GRACE_DAYS = 30;
export const DEFAULT_GRACE_DAYS = 30;
export const DEFAULT_ROTATION_INTERVAL_DAYS = 365;

const DAYS = /^P(?:(\d{1,4})D|(\d{1,3})W|(1)Y)$/;

/** The durations parseDayDuration reads, as a JSON Schema pattern (the range is checked after). */
export const DAY_DURATION_PATTERN = DAYS.source.replace(/\((?!\?)/g, '(?:');
/** A validity: a day duration or "never", as a JSON Schema pattern. */
export const VALIDITY_PATTERN = `^(?:never|${DAY_DURATION_PATTERN.slice(1, -1)})$`;

/**
 * Parses the ISO 8601 durations the API accepts for validity and grace: `PnD`, `PnW`, and `P1Y`
 * (taken as 365 days, the article's "valid for up to a year"). Months are refused: their length
 * depends on the start date, and a key's end must be unambiguous.
 */
export function parseDayDuration(value: string): number | null {
  const match = DAYS.exec(value);
  if (!match) return null;
  if (match[1] !== undefined) return Number(match[1]);
  if (match[2] !== undefined) return Number(match[2]) * 7;
  return 365;
}

export function parseValidity(value: string | undefined, defaultDays: number): Validity {
  if (value === undefined) return { kind: 'days', days: defaultDays };
  if (value === 'never') return { kind: 'never' };
  const days = parseDayDuration(value);
  if (days === null || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new KeyRingError(
      'INVALID_VALIDITY',
      `validity "${value}" is not allowed: give an ISO 8601 duration from P1D to P${MAX_VALIDITY_DAYS}D (e.g. "P365D"), or "never"`,
      { field: 'validity' },
    );
  }
  return { kind: 'days', days };
}

export function parseGrace(value: string | undefined, defaultDays: number): number {
  if (value === undefined) return defaultDays;
  const days = parseDayDuration(value);
  if (days === null || days > MAX_GRACE_DAYS) {
    throw new KeyRingError(
      'INVALID_GRACE',
      `grace "${value}" is not allowed: give an ISO 8601 duration from P0D to P${MAX_GRACE_DAYS}D (e.g. "P30D", or "P0D" to stop the key at once)`,
      { field: 'grace' },
    );
  }
  return days;
}
