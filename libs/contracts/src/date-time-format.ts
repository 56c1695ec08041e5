/**
 * The one date-time serializer of every JSON payload (API.md "Date-times in payloads"):
 * ISO 8601 UTC with whole seconds, with the `Z` suffix when the organisation turned
 * `isoUtcTimestamps` on, and without a zone designator (the backward-compatible default) when off.
 */
export type DateTimeStyle = 'iso-utc-z' | 'utc-no-zone';

export const dateTimeStyleOf = (isoUtcTimestamps: boolean): DateTimeStyle => (isoUtcTimestamps ? 'iso-utc-z' : 'utc-no-zone');

export function formatInstant(instant: string | Date, style: DateTimeStyle): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  const wholeSeconds = date.toISOString().slice(0, 19);
  return style === 'iso-utc-z' ? `${wholeSeconds}Z` : wholeSeconds;
}

export function formatNullableInstant(instant: string | Date | null, style: DateTimeStyle): string | null {
  return instant === null ? null : formatInstant(instant, style);
}
