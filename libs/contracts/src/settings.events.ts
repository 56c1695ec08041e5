import { envelopeToHeaders, MessageHeaders } from './envelope';
import type { Actor } from './key-ring.events';
import { DEFAULT_SETTINGS, type OrgSettings } from './settings';
import { isReservedRequestIdHeader, MAX_MEDIA_MAX_BASE64_BYTES, SETTINGS_FIELDS, SETTINGS_LIMITS, settingsProblems, SettingsPatch } from './settings.rules';
import { settingsStream } from './streams';
import { Topics } from './topics';
import { ajv, ContractViolation, describeErrors } from './validation';

/**
 * The settings events (stream `settings-<orgId>`): the facts recorded about an organisation's API
 * settings. An event holds only the fields that changed; the current settings are the defaults
 * with every change folded over them.
 */
export type SettingsChanged = Readonly<{
  type: 'SettingsChanged';
  data: Readonly<{
    orgId: string;
    /** Only the fields whose value changed, with their new value. */
    changes: Readonly<SettingsPatch>;
    changedAt: string;
    actor: Actor;
  }>;
}>;

export type SettingsEvent = SettingsChanged;

export const SETTINGS_EVENT_TYPES: readonly SettingsEvent['type'][] = ['SettingsChanged'];

/** Schema version of the settings events and of the settings topic's payload. */
export const SETTINGS_SCHEMA_VERSION = 1;

/**
 * `ce_type` of the messages of the compacted settings topic (key = orgId): the value is the
 * organisation's full current settings (an `OrgSettings`), so the latest message of a key is
 * all a consumer needs.
 */
export const ORG_SETTINGS_MESSAGE_TYPE = 'OrgSettings';

export type OrgSettingsMessageFields = Readonly<{
  orgId: string;
  /** The organisation's full settings as of `streamRevision` (tests also send invalid ones). */
  settings: unknown;
  /** The message id: the settings event's id. */
  id: string;
  streamRevision: number;
  time: string;
  correlationId?: string;
  causationId?: string;
}>;

/** A message of the compacted settings topic, as the settings service's relay publishes it. */
export function orgSettingsMessage(fields: OrgSettingsMessageFields): { topic: string; key: string; value: string; headers: MessageHeaders } {
  return {
    topic: Topics.settings,
    key: fields.orgId,
    value: JSON.stringify(fields.settings),
    headers: envelopeToHeaders({
      id: fields.id,
      type: ORG_SETTINGS_MESSAGE_TYPE,
      source: 'keywarden/settings',
      schemaVersion: SETTINGS_SCHEMA_VERSION,
      orgId: fields.orgId,
      streamId: settingsStream(fields.orgId),
      streamRevision: fields.streamRevision,
      time: fields.time,
      correlationId: fields.correlationId,
      causationId: fields.causationId,
    }),
  };
}

const integer = (min: number, max: number) => ({ type: 'integer', minimum: min, maximum: max }) as const;

/** Types and ranges; the header-name and address rules are `settingsProblems`, applied after. */
const fieldSchemas = {
  isoUtcTimestamps: { type: 'boolean' },
  requestIdHeader: { type: 'string', minLength: 1, maxLength: SETTINGS_LIMITS.requestIdHeader.maxLength },
  rotationIntervalDays: integer(SETTINGS_LIMITS.rotationIntervalDays.min, SETTINGS_LIMITS.rotationIntervalDays.max),
  defaultGraceDays: integer(SETTINGS_LIMITS.defaultGraceDays.min, SETTINGS_LIMITS.defaultGraceDays.max),
  expiryNoticeDays: integer(SETTINGS_LIMITS.expiryNoticeDays.min, SETTINGS_LIMITS.expiryNoticeDays.max),
  notificationEmails: {
    type: 'array',
    maxItems: SETTINGS_LIMITS.notificationEmails.maxItems,
    items: { type: 'string', maxLength: SETTINGS_LIMITS.notificationEmails.maxLength },
  },
  mediaMaxBase64Bytes: integer(1, MAX_MEDIA_MAX_BASE64_BYTES),
} as const;

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;

const validateSettingsChanged = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['orgId', 'changes', 'changedAt', 'actor'],
  properties: {
    orgId: id,
    changes: { type: 'object', additionalProperties: false, minProperties: 1, properties: fieldSchemas },
    changedAt: { type: 'string', format: 'date-time' },
    actor: {
      type: 'object',
      additionalProperties: false,
      required: ['sub', 'email'],
      properties: { sub: id, email: { type: ['string', 'null'], maxLength: 320 } },
    },
  },
});

// Fields a newer producer adds are tolerated (and dropped) so that an older consumer keeps
// following the topic instead of dead-lettering every organisation's settings.
const validateOrgSettings = ajv.compile({
  type: 'object',
  additionalProperties: true,
  required: [...SETTINGS_FIELDS],
  properties: fieldSchemas,
});

/** Validates a settings event read from the store and returns it typed; throws ContractViolation. */
export function parseSettingsEvent(type: string, data: unknown): SettingsEvent {
  if (type !== 'SettingsChanged') throw new ContractViolation(`event type "${type}"`, ['is not a settings event']);
  if (!validateSettingsChanged(data)) throw new ContractViolation(`${type} event`, describeErrors(validateSettingsChanged.errors));
  const event = upcastReservedRequestIdHeader(data as SettingsChanged['data']);
  const problems = settingsProblems(event.changes);
  if (problems.length) throw new ContractViolation(`${type} event`, problems);
  return { type, data: event } as SettingsChanged;
}

/**
 * The list of header names a request-id header may not take has grown over time: a change recorded
 * before a name was reserved reads as a change back to the default header, so the organisation's
 * settings stay readable (and changeable) and no consumer is handed a header it would refuse.
 */
function upcastReservedRequestIdHeader(data: SettingsChanged['data']): SettingsChanged['data'] {
  const header = data.changes.requestIdHeader;
  if (header === undefined || !isReservedRequestIdHeader(header)) return data;
  return { ...data, changes: { ...data.changes, requestIdHeader: DEFAULT_SETTINGS.requestIdHeader } };
}

/**
 * Validates the value of a settings-topic message (the full settings of one organisation) and
 * returns exactly the known fields. Throws ContractViolation, which consumers treat as poison.
 */
export function parseOrgSettings(data: unknown): OrgSettings {
  if (!validateOrgSettings(data)) throw new ContractViolation(ORG_SETTINGS_MESSAGE_TYPE, describeErrors(validateOrgSettings.errors));
  const value = data as unknown as Record<string, unknown>;
  const known = Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, value[field]]));
  const problems = settingsProblems(known);
  if (problems.length) throw new ContractViolation(ORG_SETTINGS_MESSAGE_TYPE, problems);
  return known as unknown as OrgSettings;
}
