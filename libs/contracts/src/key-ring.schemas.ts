import { ValidateFunction } from 'ajv';
import { KEY_RING_EVENT_TYPES, KeyRingEvent } from './key-ring.events';
import { ajv, ContractViolation, describeErrors } from './validation';

const instant = { type: 'string', format: 'date-time' } as const;
const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;
const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const actor = {
  type: 'object',
  additionalProperties: false,
  required: ['sub', 'email'],
  properties: { sub: id, email: { type: ['string', 'null'], maxLength: 320 } },
} as const;
const material = {
  type: 'object',
  additionalProperties: false,
  required: ['alg', 'dataKeyId', 'iv', 'ciphertext', 'tag'],
  properties: {
    alg: { const: 'A256GCM' },
    dataKeyId: id,
    iv: { type: 'string' },
    ciphertext: { type: 'string' },
    tag: { type: 'string' },
  },
} as const;

const dataSchemas: Record<KeyRingEvent['type'], object> = {
  KeyIssued: {
    required: ['orgId', 'keyId', 'fingerprint', 'hint', 'material', 'issuedAt', 'expiresAt', 'reason', 'replaces', 'actor'],
    properties: {
      orgId: id,
      keyId: id,
      fingerprint: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      hint: { type: 'string', maxLength: 64 },
      material,
      issuedAt: instant,
      expiresAt: nullableInstant,
      reason: { enum: ['initial', 'manual-rotation', 'scheduled-rotation'] },
      replaces: { type: ['string', 'null'] },
      actor,
    },
  },
  KeyRevoked: {
    required: ['orgId', 'keyId', 'revokedAt', 'graceEndsAt', 'kind', 'reason', 'replacedBy', 'actor'],
    properties: {
      orgId: id,
      keyId: id,
      revokedAt: instant,
      graceEndsAt: instant,
      kind: { enum: ['manual', 'scheduled'] },
      reason: { type: ['string', 'null'], maxLength: 500 },
      replacedBy: { type: ['string', 'null'] },
      actor,
      lastUsedAt: nullableInstant,
    },
  },
  ExpirationRemoved: {
    required: ['orgId', 'keyId', 'removedAt', 'actor'],
    properties: { orgId: id, keyId: id, removedAt: instant, actor },
  },
  KeyDeleted: {
    required: ['orgId', 'keyId', 'deletedAt', 'actor'],
    properties: { orgId: id, keyId: id, deletedAt: instant, actor },
  },
  KeyExpired: {
    required: ['orgId', 'keyId', 'expiredAt', 'cause'],
    properties: { orgId: id, keyId: id, expiredAt: instant, cause: { enum: ['validity', 'grace'] } },
  },
  KeyRevealed: {
    required: ['orgId', 'keyId', 'revealedAt', 'revealRequestId', 'actor'],
    properties: { orgId: id, keyId: id, revealedAt: instant, revealRequestId: id, actor },
  },
  ExpiryNoticeIssued: {
    required: ['orgId', 'keyId', 'noticedAt', 'acceptUntil', 'daysBefore'],
    properties: {
      orgId: id,
      keyId: id,
      noticedAt: instant,
      acceptUntil: instant,
      daysBefore: { type: 'integer', minimum: 0, maximum: 366 },
      lastUsedAt: nullableInstant,
    },
  },
};

const validators = new Map<string, ValidateFunction>(
  KEY_RING_EVENT_TYPES.map((type) => [
    type,
    ajv.compile({ type: 'object', additionalProperties: false, ...dataSchemas[type] }),
  ]),
);

export const isKeyRingEventType = (type: string): type is KeyRingEvent['type'] => validators.has(type);

/**
 * Validates a key-ring event at a process boundary (Kafka consumer, store reader) and returns it
 * typed. Throws ContractViolation, which consumers treat as poison (dead-letter), never retriable.
 */
export function parseKeyRingEvent(type: string, data: unknown): KeyRingEvent {
  const validate = validators.get(type);
  if (!validate) throw new ContractViolation(`event type "${type}"`, ['is not a key-ring event']);
  if (!validate(data)) throw new ContractViolation(`${type} event`, describeErrors(validate.errors));
  return { type, data } as KeyRingEvent;
}
