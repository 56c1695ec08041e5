import { ajv, assertValid } from './validation';

/**
 * Published by the edge to the key-usage topic (key = organisation id) every few seconds: the keys
 * of one organisation that accepted requests in the window, with a count and the last use,
 * truncated to the minute ("last used" in the key table needs no more, and a coarser time says
 * less about a caller's traffic).
 */
export type KeyUsageReported = Readonly<{
  orgId: string;
  keys: ReadonlyArray<Readonly<{ keyId: string; requests: number; lastUsedAt: string }>>;
}>;

export const KEY_USAGE_REPORTED_TYPE = 'KeyUsageReported';

/** An ISO 8601 instant cut to the start of its UTC minute, e.g. `2026-03-01T10:04:00.000Z`. */
export const toUsageMinute = (epochMs: number): string => new Date(epochMs - (epochMs % 60_000)).toISOString();

const validate = ajv.compile<KeyUsageReported>({
  type: 'object',
  additionalProperties: false,
  required: ['orgId', 'keys'],
  properties: {
    orgId: { type: 'string', minLength: 1 },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyId', 'requests', 'lastUsedAt'],
        properties: {
          keyId: { type: 'string', minLength: 1 },
          requests: { type: 'integer', minimum: 1 },
          lastUsedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
});

export function parseKeyUsageReported(data: unknown): KeyUsageReported {
  assertValid(validate, data, KEY_USAGE_REPORTED_TYPE);
  return data;
}
