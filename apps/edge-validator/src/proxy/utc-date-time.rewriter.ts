import { formatInstant } from '@keywarden/contracts';

/**
 * Seed A on the upstream's JSON (API.md "Date-times in payloads"): when the organisation turned
 * `isoUtcTimestamps` on, every string value that is an ISO 8601 date-time becomes
 * `YYYY-MM-DDTHH:mm:ssZ` through the one shared serializer. A value with an offset is converted to
 * UTC; a value without a zone is taken as UTC (the platform's convention). Dates without a time,
 * times alone, numbers and object keys are left alone. Anything that is not valid JSON passes
 * through byte for byte.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** The UTC form of one date-time string, or null when the value is not a (valid) date-time. */
export function toUtcDateTime(value: string): string | null {
  if (value.length < 16 || value.length > 40) return null;
  const m = DATE_TIME.exec(value);
  if (m === null) return null;
  const [, year, month, day, hour, minute, second = '00', fraction, zone] = m;
  if (+month < 1 || +month > 12 || +day < 1 || +day > 31 || +hour > 23 || +minute > 59 || +second > 59) return null;
  let offset = 'Z';
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    offset = `${digits.slice(0, 3)}:${digits.length > 3 ? digits.slice(3, 5) : '00'}`;
    if (+digits.slice(1, 3) > 23 || +(digits.slice(3, 5) || '0') > 59) return null;
  }
  // Date.parse rolls 2026-02-31 over into March: a value that is not a real calendar date is left alone.
  const calendar = new Date(Date.UTC(+year, +month - 1, +day));
  if (calendar.getUTCDate() !== +day) return null;
  const ms = fraction === undefined ? '' : `.${fraction.padEnd(3, '0').slice(0, 3)}`;
  const instant = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${ms}${offset}`);
  if (Number.isNaN(instant.getTime())) return null;
  return formatInstant(instant, 'iso-utc-z');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const isJsonWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The rewritten body, or null to send the original bytes (not JSON, or no date-time to change).
 * The text is edited in place, string token by string token, rather than parsed and re-serialized:
 * everything but the rewritten values stays byte for byte (formatting, key order, and numbers
 * beyond 2^53 that a JSON.parse round trip would silently corrupt).
 */
export function rewriteJsonDateTimes(body: Buffer): Buffer | null {
  const text = body.toString('utf8');
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== QUOTE) continue;
    const start = i + 1;
    let escaped = false;
    let j = start;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === BACKSLASH) {
        escaped = true;
        j++;
      } else if (c === QUOTE) break;
    }
    i = j;
    // A date-time has no escapes; an object key (followed by a colon) is never rewritten.
    if (escaped || j - start < 16 || j - start > 40) continue;
    let k = j + 1;
    while (k < text.length && isJsonWhitespace(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === COLON) continue;
    const value = text.slice(start, j);
    const utc = toUtcDateTime(value);
    if (utc === null || utc === value) continue;
    out += text.slice(copiedUpTo, start) + utc;
    copiedUpTo = j;
  }
  if (copiedUpTo === 0) return null;
  return Buffer.from(out + text.slice(copiedUpTo), 'utf8');
}

/** JSON media types: application/json and the structured `+json` suffix (RFC 6839). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
