import { ApiParam, ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { KEY_RING_EVENT_TYPES, KeyRingEventType } from '@keywarden/contracts';
import { ApiDateTime } from '@keywarden/platform';
import { KeyView } from '../key-ring/key.view';
import { KeyStatus } from '../domain/key-ring.decider';

// The answers of the registry as OpenAPI schemas. Each class `implements` the view the route
// returns, so a field added to or renamed in a view breaks the build until it is documented here.

const KEY_ID = { type: 'string', pattern: '^key_[0-9a-f]{24}$', example: 'key_5f0c3a9d1e2b4c6d8e0f1a2b' } as const;

/** The `keyId` path parameter (an unknown or malformed id is a 404). */
export const ApiKeyIdParam = (): MethodDecorator => ApiParam({ name: 'keyId', description: 'The key’s id.', schema: KEY_ID });

@ApiSchema({ name: 'Key' })
export class KeySchema implements KeyView {
  @ApiProperty({ ...KEY_ID, description: 'The key’s id, stable for its whole life.' })
  keyId!: string;
  @ApiProperty({ example: 'acme', description: 'The organisation that owns the key.' })
  orgId!: string;
  @ApiProperty({ example: 'kw_…a2b4', description: 'A few characters of the Secret, to tell keys apart; never enough to use it.' })
  hint!: string;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'], description: '`active`: accepted; `revoked`: still accepted until `graceEndsAt`; `expired`: no longer accepted.' })
  status!: KeyStatus;
  @ApiDateTime('When the key was issued.')
  createdAt!: string;
  @ApiDateTime('When the key’s validity ends; null: it never expires.', { nullable: true })
  expiresAt!: string | null;
  @ApiDateTime('When the key was revoked; null: not revoked.', { nullable: true })
  revokedAt!: string | null;
  @ApiDateTime('When a revoked key stops being accepted; null: not revoked.', { nullable: true })
  graceEndsAt!: string | null;
  @ApiDateTime('When the gateway last accepted the key; null: never used.', { nullable: true })
  lastUsedAt!: string | null;
  @ApiProperty({ ...KEY_ID, nullable: true, description: 'The key that replaced this one at revocation; null: none.' })
  replacedBy!: string | null;
  @ApiDateTime('When the key stops being accepted (the earlier of expiry and grace end); null: never.', { nullable: true })
  acceptUntil!: string | null;
  @ApiProperty({
    type: 'object',
    nullable: true,
    required: ['at', 'url', 'source', 'scanner'],
    properties: {
      at: { type: 'string', format: 'date-time', description: 'When the report was recorded.' },
      url: { type: 'string', description: 'Where the scanner found the key.' },
      source: { type: 'string', description: 'What kind of place it was found in (the scanner’s word, e.g. `content`, `commit`).' },
      scanner: { type: 'string', description: 'The scanner that reported it, e.g. `github`.' },
    },
    description: 'A secret scanner’s report that the key was published; null while none came.',
  })
  leak!: KeyView['leak'];
}

const SECRET = { type: 'string', example: 'kw_eyJhbGciOiJFZERTQSJ9…', description: 'The Secret to send as `Authorization: Bearer <Secret>`. Shown once: store it now.' } as const;

@ApiSchema({ name: 'IssuedKey' })
export class IssuedKeySchema {
  @ApiProperty({ type: KeySchema })
  key!: KeySchema;
  @ApiProperty(SECRET)
  secret!: string;
}

@ApiSchema({ name: 'KeyList' })
export class KeyListSchema {
  @ApiProperty({ type: [KeySchema], description: 'Every key not deleted, newest first.' })
  keys!: KeySchema[];
}

@ApiSchema({ name: 'RevokedKey' })
export class RevokedKeySchema {
  @ApiProperty({ type: KeySchema, description: 'The revoked key, accepted until its grace ends.' })
  revoked!: KeySchema;
  @ApiProperty({ type: KeySchema, description: 'Its replacement, active now.' })
  issued!: KeySchema;
  @ApiProperty(SECRET)
  secret!: string;
}

@ApiSchema({ name: 'RevealRequested' })
export class RevealRequestedSchema {
  @ApiProperty({ pattern: '^rvl_[0-9a-f]{32}$', example: 'rvl_0123456789abcdef0123456789abcdef', description: 'Send it back with the emailed code to `reveal`.' })
  requestId!: string;
  @ApiDateTime('When the emailed code stops working.')
  expiresAt!: string;
  @ApiProperty({ example: 'a***@acme.example', description: 'The caller’s address the code went to, masked.' })
  sentTo!: string;
}

@ApiSchema({ name: 'RevealedKey' })
export class RevealedKeySchema {
  @ApiProperty(SECRET)
  secret!: string;
  @ApiProperty({ type: KeySchema })
  key!: KeySchema;
}

@ApiSchema({ name: 'KeyTest' })
export class KeyTestSchema {
  @ApiProperty({ description: 'True only if the registry accepts the key and the active-key cache the gateway reads has it.' })
  valid!: boolean;
  @ApiPropertyOptional({ example: 'the key has expired', description: 'Why it is not valid, for a person.' })
  reason?: string;
  @ApiDateTime('When the check ran.')
  checkedAt!: string;
}

@ApiSchema({ name: 'SecretTest' })
export class SecretTestSchema {
  @ApiProperty({ description: 'True if the Secret is Keywarden’s, of this organisation, and its key is accepted now.' })
  valid!: boolean;
  @ApiPropertyOptional({ example: 'the Secret has expired', description: 'Why it is not valid, for a person.' })
  reason?: string;
  @ApiPropertyOptional({ type: KeySchema, description: 'The key the Secret belongs to, when it exists.' })
  key?: KeySchema;
}

@ApiSchema({ name: 'Actor' })
export class ActorSchema {
  @ApiProperty({ example: 'user_123', description: 'The subject of the admin token, or `keywarden:scheduler` for what the scheduler decided.' })
  sub!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'admin@acme.example' })
  email!: string | null;
}

@ApiSchema({ name: 'AuditEntry' })
export class AuditEntrySchema {
  @ApiProperty({ type: 'integer', example: 3, description: 'The event’s position in the store: the order of the timeline.' })
  position!: number;
  @ApiDateTime('When the event happened.')
  at!: string;
  @ApiProperty({ enum: KEY_RING_EVENT_TYPES, example: 'KeyIssued' })
  type!: KeyRingEventType;
  @ApiProperty(KEY_ID)
  keyId!: string;
  @ApiProperty({ type: ActorSchema })
  actor!: ActorSchema;
  @ApiPropertyOptional({ example: 'req-42', description: 'The request id of the call that caused it.' })
  requestId?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { hint: 'kw_…a2b4', issuedAt: '2025-11-23T12:44:11Z', expiresAt: '2026-11-23T12:44:11Z', reason: 'issued', replaces: null },
    description: 'What the event changed, by type; every instant in it follows the same date-time form as `at`. Never key material.',
  })
  details!: Record<string, unknown>;
}

@ApiSchema({ name: 'Audit' })
export class AuditSchema {
  @ApiProperty({ type: [AuditEntrySchema], description: 'The events in the window, in store order.' })
  events!: AuditEntrySchema[];
  @ApiPropertyOptional({ type: [KeySchema], description: 'With `at`: the key table exactly as it stood at that instant.' })
  stateAt?: KeySchema[];
}
