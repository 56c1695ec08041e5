import { envelopeToHeaders, MessageHeaders } from './envelope';
import { Type } from '@sinclair/typebox';
import { ActorSchema } from './key-ring.events';
import { Id, Instant, StaticReadonly, StringEnum } from './schema';
import { DEFAULT_SETTINGS, LEAKED_KEY_ACTIONS, type OrgSettings } from './settings';
import { isReservedRequestIdHeader, MAX_MEDIA_MAX_BASE64_BYTES, SETTINGS_FIELDS, SETTINGS_LIMITS, settingsProblems, SettingsPatch } from './settings.rules';
import { settingsStream } from './streams';
import { Topics } from './topics';
import { ajv, ContractViolation, describeErrors } from './validation';

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

/** Types and ranges; the header-name and address rules are `settingsProblems`, applied after. */
const fieldSchemas = {
  isoUtcTimestamps: Type.Boolean(),
  requestIdHeader: Type.String({ minLength: 1, maxLength: SETTINGS_LIMITS.requestIdHeader.maxLength }),
  rotationIntervalDays: Type.Integer({ minimum: SETTINGS_LIMITS.rotationIntervalDays.min, maximum: SETTINGS_LIMITS.rotationIntervalDays.max }),
  defaultGraceDays: Type.Integer({ minimum: SETTINGS_LIMITS.defaultGraceDays.min, maximum: SETTINGS_LIMITS.defaultGraceDays.max }),
  expiryNoticeDays: Type.Integer({ minimum: SETTINGS_LIMITS.expiryNoticeDays.min, maximum: SETTINGS_LIMITS.expiryNoticeDays.max }),
  notificationEmails: Type.Array(Type.String({ maxLength: SETTINGS_LIMITS.notificationEmails.maxLength }), {
    maxItems: SETTINGS_LIMITS.notificationEmails.maxItems,
  }),
  mediaMaxBase64Bytes: Type.Integer({ minimum: 1, maximum: MAX_MEDIA_MAX_BASE64_BYTES }),
  leakedKeyAction: StringEnum(LEAKED_KEY_ACTIONS),
};

/**
 * The data of SettingsChanged (stream `settings-<orgId>`), the one fact recorded about an
 * organisation's API settings. It holds only the fields that changed, with their new value; the
 * current settings are the defaults with every change folded over them.
 */
export const SettingsChangedSchema = Type.Object(
  {
    orgId: Id,
    changes: Type.Partial(Type.Object(fieldSchemas), { additionalProperties: false, minProperties: 1 }),
    changedAt: Instant,
    actor: ActorSchema,
  },
  { additionalProperties: false },
);

export type SettingsChanged = Readonly<{ type: 'SettingsChanged'; data: StaticReadonly<typeof SettingsChangedSchema> }>;

const validateSettingsChanged = ajv.compile(SettingsChangedSchema);

// Fields a newer producer adds are tolerated (and dropped) so that an older consumer keeps
// following the topic instead of dead-lettering every organisation's settings.
// A field added later is optional on the topic: an organisation's message published before it
// existed reads as that field's default.
const validateOrgSettings = ajv.compile(Type.Object({ ...fieldSchemas, leakedKeyAction: Type.Optional(fieldSchemas.leakedKeyAction) }, { additionalProperties: true }));

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
  const known = Object.fromEntries(SETTINGS_FIELDS.map((field) => [field, value[field] ?? DEFAULT_SETTINGS[field]]));
  const problems = settingsProblems(known);
  if (problems.length) throw new ContractViolation(ORG_SETTINGS_MESSAGE_TYPE, problems);
  return known as unknown as OrgSettings;
}
