import { ajv, assertValid } from './validation';

/** Published by the projection when a key stops being accepted as it was: the edge evicts it. */
export type KeyInvalidated = Readonly<{ orgId: string; keyId: string; fingerprint: string | null; cause: string }>;

export const KEY_INVALIDATED_TYPE = 'KeyInvalidated';

const validate = ajv.compile<KeyInvalidated>({
  type: 'object',
  additionalProperties: false,
  required: ['orgId', 'keyId', 'fingerprint', 'cause'],
  properties: {
    orgId: { type: 'string', minLength: 1 },
    keyId: { type: 'string', minLength: 1 },
    fingerprint: { type: ['string', 'null'] },
    cause: { type: 'string' },
  },
});

export function parseKeyInvalidated(data: unknown): KeyInvalidated {
  assertValid(validate, data, KEY_INVALIDATED_TYPE);
  return data;
}
