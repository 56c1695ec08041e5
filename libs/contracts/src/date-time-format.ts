/**
 * The one date-time serializer of every JSON payload (API.md "Date-times in payloads"):
 * ISO 8601 UTC with whole seconds, with the `Z` suffix when the organisation turned
 * `isoUtcTimestamps` on, and without a zone designator (the backward-compatible default) when off.
 */
export type DateTimeStyle = 'iso-utc-z' | 'utc-no-zone';

export const dateTimeStyleOf = (isoUtcTimestamps: boolean): DateTimeStyle => (isoUtcTimestamps ? 'iso-utc-z' : 'utc-no-zone');

/** What Date#toISOString writes (milliseconds optional): the form every recorded instant has. */
const CANONICAL_UTC = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{3})?Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The whole seconds of an instant already written in canonical UTC, read off the text; null when
 * it is not, or names a day its month lacks (Date rolls 02-30 over to March). Parsing a Date and
 * writing it again was most of the cost of formatting an audit of the whole store.
 */
function canonicalWholeSeconds(instant: string): string | null {
  const match = CANONICAL_UTC.exec(instant);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return null;
  const leapDay = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  return day <= DAYS_IN_MONTH[month - 1] + leapDay ? instant.slice(0, 19) : null;
}

export function formatInstant(instant: string | Date, style: DateTimeStyle): string {
  const wholeSeconds =
    typeof instant === 'string' ? (canonicalWholeSeconds(instant) ?? new Date(instant).toISOString().slice(0, 19)) : instant.toISOString().slice(0, 19);
  return style === 'iso-utc-z' ? `${wholeSeconds}Z` : wholeSeconds;
}

export function formatNullableInstant(instant: string | Date | null, style: DateTimeStyle): string | null {
  return instant === null ? null : formatInstant(instant, style);
}
