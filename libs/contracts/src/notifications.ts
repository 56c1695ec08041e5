import { ajv, assertValid } from './validation';

/**
 * Messages of the notifications topic (`Topics.notifications`): requests to tell a person something
 * that is not a key-ring fact. Today one type: the reveal code, which must reach one admin and no one
 * else, and must never cross Kafka in clear (it is sealed for the notifier, see `SealedValue`).
 */

/** AES-256-GCM ciphertext under a key both ends derive from the KEK; `kid` names that derived key. */
export type SealedValue = Readonly<{
  alg: 'A256GCM';
  kid: string;
  iv: string;
  ciphertext: string;
  tag: string;
}>;

export const REVEAL_CODE_ISSUED_TYPE = 'RevealCodeIssued';
export const NOTIFICATION_SCHEMA_VERSION = 1;

export type RevealCodeIssued = Readonly<{
  orgId: string;
  keyId: string;
  /** Display hint of the key (prefix + last 4), so the admin knows which key the code unlocks. */
  keyHint: string;
  revealRequestId: string;
  /** The requesting admin's address: the only recipient. */
  recipient: string;
  issuedAt: string;
  expiresAt: string;
  /** The 6-digit code, sealed; the associated data is `revealCodeAad(...)`. */
  sealedCode: SealedValue;
}>;

/** Binds a sealed code to its request and recipient: editing either on the wire breaks the seal. */
export const revealCodeAad = (message: Pick<RevealCodeIssued, 'orgId' | 'revealRequestId' | 'recipient'>): string =>
  `keywarden/reveal-code:${message.orgId}:${message.revealRequestId}:${message.recipient}`;

const id = { type: 'string', minLength: 1, maxLength: 128 } as const;
const instant = { type: 'string', format: 'date-time' } as const;

const validateRevealCodeIssued = ajv.compile<RevealCodeIssued>({
  type: 'object',
  additionalProperties: false,
  required: ['orgId', 'keyId', 'keyHint', 'revealRequestId', 'recipient', 'issuedAt', 'expiresAt', 'sealedCode'],
  properties: {
    orgId: id,
    keyId: id,
    keyHint: { type: 'string', maxLength: 64 },
    revealRequestId: id,
    // The identity provider's address as given: only its shape is checked, so no valid address is refused here.
    recipient: { type: 'string', minLength: 3, maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' },
    issuedAt: instant,
    expiresAt: instant,
    sealedCode: {
      type: 'object',
      additionalProperties: false,
      required: ['alg', 'kid', 'iv', 'ciphertext', 'tag'],
      properties: {
        alg: { const: 'A256GCM' },
        kid: { type: 'string', minLength: 1, maxLength: 64 },
        iv: { type: 'string', minLength: 1, maxLength: 64 },
        ciphertext: { type: 'string', minLength: 1, maxLength: 256 },
        tag: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
  },
});

/** Validates at the consumer's boundary; throws ContractViolation (poison) when malformed. */
export function parseRevealCodeIssued(data: unknown): RevealCodeIssued {
  assertValid(validateRevealCodeIssued, data, REVEAL_CODE_ISSUED_TYPE);
  return data;
}
