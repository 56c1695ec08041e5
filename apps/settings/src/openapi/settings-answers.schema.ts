import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PLATFORM_DEFAULT_MEDIA_MAX_BASE64_BYTES, SETTINGS_LIMITS } from '@keywarden/contracts';
import { ApiDateTime } from '@keywarden/platform';
import { SettingsView } from '../settings/settings.view';

/** The `Settings` answer as an OpenAPI schema; `implements` keeps it in step with the view. */
@ApiSchema({ name: 'Settings' })
export class SettingsSchema implements SettingsView {
  @ApiProperty({ description: 'Date-times in every answer end with `Z` when true; without a zone designator when false (the default).', example: false })
  isoUtcTimestamps!: boolean;
  @ApiProperty({ description: 'The header the gateway takes the request id from.', maxLength: SETTINGS_LIMITS.requestIdHeader.maxLength, example: 'X-Customer-Request-Id' })
  requestIdHeader!: string;
  @ApiProperty({ type: 'integer', minimum: SETTINGS_LIMITS.rotationIntervalDays.min, maximum: SETTINGS_LIMITS.rotationIntervalDays.max, description: 'The default validity of a new key, in days.', example: 365 })
  rotationIntervalDays!: number;
  @ApiProperty({ type: 'integer', minimum: SETTINGS_LIMITS.defaultGraceDays.min, maximum: SETTINGS_LIMITS.defaultGraceDays.max, description: 'The default grace of a revoked key, in days.', example: 30 })
  defaultGraceDays!: number;
  @ApiProperty({ type: 'integer', minimum: SETTINGS_LIMITS.expiryNoticeDays.min, maximum: SETTINGS_LIMITS.expiryNoticeDays.max, description: 'How many days before a key stops being accepted its notice is sent.', example: 30 })
  expiryNoticeDays!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'email', maxLength: SETTINGS_LIMITS.notificationEmails.maxLength },
    maxItems: SETTINGS_LIMITS.notificationEmails.maxItems,
    description: 'Who receives the expiry and leak notices.',
    example: ['security@acme.example'],
  })
  notificationEmails!: string[];
  @ApiProperty({
    type: 'integer',
    minimum: SETTINGS_LIMITS.mediaMaxBase64Bytes.min,
    maximum: SETTINGS_LIMITS.mediaMaxBase64Bytes.max,
    description: 'The largest request body the gateway forwards, in bytes. Changed by operators only: contact your CS representative.',
    example: PLATFORM_DEFAULT_MEDIA_MAX_BASE64_BYTES,
  })
  mediaMaxBase64Bytes!: number;
  @ApiProperty({ enum: ['revoke', 'notify'], description: 'What a secret scanner’s report of a published key does: `revoke` it at once and issue its replacement (the default), or only `notify`.', example: 'revoke' })
  leakedKeyAction!: 'revoke' | 'notify';
  @ApiDateTime('When the settings last changed; null: never changed (the defaults).', { nullable: true })
  updatedAt!: string | null;
}
