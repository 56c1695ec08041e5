const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** A bad instant in the audit's query or command line: the API answers 400 naming the parameter. */
export class InvalidAuditInstantError extends Error {
  readonly code = 'INVALID_AUDIT_QUERY';
}

/**
 * Parses an instant as the API prints them: ISO 8601, with `Z`, an offset, or no zone designator
 * (read as UTC, the backward-compatible format of API.md).
 */
export function parseAuditInstant(name: string, value: string): Date {
  const match = INSTANT.exec(value.trim());
  const date = match ? new Date(match[8] ? value.trim() : `${value.trim()}Z`) : null;
  if (!date || Number.isNaN(date.getTime()) || Number(match?.[2]) > 12 || Number(match?.[3]) > 31) {
    throw new InvalidAuditInstantError(`${name} must be an ISO 8601 date-time such as 2025-11-23T12:44:11Z, got "${value.slice(0, 40)}"`);
  }
  return date;
}

export type AuditWindow = Readonly<{ from?: Date; to?: Date; at?: Date }>;

export function parseAuditWindow(query: Readonly<{ from?: string; to?: string; at?: string }>): AuditWindow {
  const window = {
    from: query.from === undefined ? undefined : parseAuditInstant('from', query.from),
    to: query.to === undefined ? undefined : parseAuditInstant('to', query.to),
    at: query.at === undefined ? undefined : parseAuditInstant('at', query.at),
  };
  if (window.from && window.to && window.from > window.to) throw new InvalidAuditInstantError('from must not be after to');
  return window;
}
