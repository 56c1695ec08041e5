import { canonicalHeaderName, IDENTITY_HEADER_PREFIX, reservedHeaderReason } from './http-headers';
import { LEAKED_KEY_ACTIONS, type OrgSettings } from './settings';

/**
 * The rules every organisation setting obeys (API.md "settings"), in one place: the settings
 * service refuses a change that breaks them, and consumers of the settings topic refuse a payload
 * that breaks them (poison) instead of applying it.
 */

/** The most a CS representative can raise an organisation's Base64 media limit to: 100 MiB. */
export const MAX_MEDIA_MAX_BASE64_BYTES = 100 * 1024 * 1024;

export const SETTINGS_LIMITS = {
  rotationIntervalDays: { min: 1, max: 365 },
  defaultGraceDays: { min: 0, max: 30 },
  expiryNoticeDays: { min: 1, max: 90 },
  mediaMaxBase64Bytes: { min: 1, max: MAX_MEDIA_MAX_BASE64_BYTES },
  notificationEmails: { maxItems: 50, maxLength: 254 },
  requestIdHeader: { maxLength: 64 },
} as const;

export const SETTINGS_FIELDS = [
  'isoUtcTimestamps',
  'requestIdHeader',
  'rotationIntervalDays',
  'defaultGraceDays',
  'expiryNoticeDays',
  'notificationEmails',
  'mediaMaxBase64Bytes',
  'leakedKeyAction',
] as const satisfies ReadonlyArray<keyof OrgSettings>;

export type SettingsField = (typeof SETTINGS_FIELDS)[number];

/** Fields only platform operators may change; admins see them ("contact your CS representative"). */
export const OPERATOR_ONLY_SETTINGS: ReadonlySet<SettingsField> = new Set<SettingsField>(['mediaMaxBase64Bytes']);

/** A partial settings object: what a change carries. */
export type SettingsPatch = Partial<OrgSettings>;

/** RFC 9110 §5.1: a field name is a `token`. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request-id header's name: a token, and none of the names with a meaning to the proxy or to
 * browsers (http-headers.ts, the same sets the edge filters with), nor Keywarden's own X-Keywarden-*.
 */
export function requestIdHeaderProblem(value: string): string | null {
  const what = 'requestIdHeader';
  if (value.length === 0 || value.length > SETTINGS_LIMITS.requestIdHeader.maxLength || !HTTP_TOKEN.test(value)) {
    return `${what} must be an HTTP header name of 1 to ${SETTINGS_LIMITS.requestIdHeader.maxLength} letters, digits or !#$%&'*+-.^_\`|~ (no spaces or colons), e.g. X-Customer-Request-Id`;
  }
  if (canonicalHeaderName(value).startsWith(IDENTITY_HEADER_PREFIX)) {
    return `${what} cannot start with X-Keywarden-: those headers are set by Keywarden itself; choose a name such as X-Customer-Request-Id`;
  }
  const reason = reservedHeaderReason(value);
  if (reason !== null) {
    return `${what} cannot be ${value}: that header ${reason}, and the request id a caller (or a link's author) supplies is sent upstream and echoed on the response under this name; choose a name such as X-Customer-Request-Id`;
  }
  return null;
}

/** A well-formed header name that is reserved (a name the rule above refuses for what it means, not its syntax). */
export function isReservedRequestIdHeader(value: string): boolean {
  return HTTP_TOKEN.test(value) && (canonicalHeaderName(value).startsWith(IDENTITY_HEADER_PREFIX) || reservedHeaderReason(value) !== null);
}

/** A pragmatic address check: one @, no spaces or angle brackets, a dotted domain of DNS labels. */
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export const isEmailAddress = (value: string): boolean => value.length <= SETTINGS_LIMITS.notificationEmails.maxLength && EMAIL.test(value);

function integerProblem(field: 'rotationIntervalDays' | 'defaultGraceDays' | 'expiryNoticeDays' | 'mediaMaxBase64Bytes', value: unknown, unit: string): string | null {
  const { min, max } = SETTINGS_LIMITS[field];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return null;
  return `${field} must be a whole number of ${unit} from ${min} to ${max} (got ${JSON.stringify(value)})`;
}

/**
 * Every problem of the given fields, one readable sentence each; empty when the patch is valid.
 * Absent fields are not checked, so this serves a partial change as well as a full payload.
 */
export function settingsProblems(patch: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(patch)) {
    if (!(SETTINGS_FIELDS as readonly string[]).includes(field)) problems.push(`${field} is not a setting`);
  }
  const has = (field: SettingsField): boolean => Object.prototype.hasOwnProperty.call(patch, field);
  if (has('isoUtcTimestamps') && typeof patch.isoUtcTimestamps !== 'boolean') {
    problems.push('isoUtcTimestamps must be true or false');
  }
  if (has('requestIdHeader')) {
    const value = patch.requestIdHeader;
    const problem = typeof value === 'string' ? requestIdHeaderProblem(value) : 'requestIdHeader must be a string';
    if (problem) problems.push(problem);
  }
  const integers = [
    ['rotationIntervalDays', 'days'],
    ['defaultGraceDays', 'days'],
    ['expiryNoticeDays', 'days'],
    ['mediaMaxBase64Bytes', 'bytes'],
  ] as const;
  for (const [field, unit] of integers) {
    if (!has(field)) continue;
    const problem = integerProblem(field, patch[field], unit);
    if (problem) problems.push(problem);
  }
  if (has('notificationEmails')) problems.push(...emailProblems(patch.notificationEmails));
  if (has('leakedKeyAction') && !(LEAKED_KEY_ACTIONS as readonly unknown[]).includes(patch.leakedKeyAction)) {
    problems.push(`leakedKeyAction must be ${LEAKED_KEY_ACTIONS.map((a) => JSON.stringify(a)).join(' or ')} (got ${JSON.stringify(patch.leakedKeyAction)?.slice(0, 40)})`);
  }
  return problems;
}

function emailProblems(value: unknown): string[] {
  const { maxItems } = SETTINGS_LIMITS.notificationEmails;
  if (!Array.isArray(value)) return ['notificationEmails must be a list of email addresses'];
  const problems: string[] = [];
  if (value.length > maxItems) problems.push(`notificationEmails holds at most ${maxItems} addresses (got ${value.length})`);
  const seen = new Set<string>();
  value.forEach((address, index) => {
    if (typeof address !== 'string' || !isEmailAddress(address)) {
      problems.push(`notificationEmails[${index}] is not a valid email address (got ${JSON.stringify(address)?.slice(0, 80)})`);
      return;
    }
    const key = address.toLowerCase();
    if (seen.has(key)) problems.push(`notificationEmails lists ${address} more than once`);
    seen.add(key);
  });
  return problems;
}

/** Equality of two setting values; lists compare element by element, in order. */
export function sameSettingValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
