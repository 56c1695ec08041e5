import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsString, ValidateIf } from 'class-validator';
import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { LeakedKeyAction } from '@keywarden/contracts';
import { SETTINGS_LIMITS } from '@keywarden/contracts';

/** Types only checked here, null refused; the ranges and rules are the domain's (settingsProblems). */
const Given = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** `PATCH /v1/orgs/{orgId}/settings`: any subset of Settings; any other field is refused. */
@ApiSchema({ name: 'SettingsChange' })
export class ChangeSettingsRequestDto {
  @ApiPropertyOptional({ description: 'End every date-time with `Z` (true) or leave the zone designator out (false).', example: true })
  @Given()
  @IsBoolean()
  isoUtcTimestamps?: boolean;

  @ApiPropertyOptional({ description: 'An HTTP header name, not starting with X-Keywarden-.', minLength: 1, maxLength: SETTINGS_LIMITS.requestIdHeader.maxLength, example: 'X-Request-Id' })
  @Given()
  @IsString()
  requestIdHeader?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: SETTINGS_LIMITS.rotationIntervalDays.min, maximum: SETTINGS_LIMITS.rotationIntervalDays.max, example: 90 })
  @Given()
  @IsInt()
  rotationIntervalDays?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: SETTINGS_LIMITS.defaultGraceDays.min, maximum: SETTINGS_LIMITS.defaultGraceDays.max, example: 7 })
  @Given()
  @IsInt()
  defaultGraceDays?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: SETTINGS_LIMITS.expiryNoticeDays.min, maximum: SETTINGS_LIMITS.expiryNoticeDays.max, example: 14 })
  @Given()
  @IsInt()
  expiryNoticeDays?: number;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string', format: 'email', maxLength: SETTINGS_LIMITS.notificationEmails.maxLength }, maxItems: SETTINGS_LIMITS.notificationEmails.maxItems, example: ['security@acme.example'] })
  @Given()
  @IsArray()
  // Refused at the boundary, one message however many arrive (the domain holds the same limit).
  @ArrayMaxSize(SETTINGS_LIMITS.notificationEmails.maxItems, {
    message: ({ value }) => `notificationEmails holds at most ${SETTINGS_LIMITS.notificationEmails.maxItems} addresses (got ${(value as unknown[]).length})`,
  })
  @IsString({ each: true })
  notificationEmails?: string[];

  @ApiPropertyOptional({ type: 'integer', minimum: SETTINGS_LIMITS.mediaMaxBase64Bytes.min, maximum: SETTINGS_LIMITS.mediaMaxBase64Bytes.max, description: 'Operators only: an admin who sets it is refused with 403 (OPERATOR_ONLY_SETTING).', example: 1048576 })
  @Given()
  @IsInt()
  mediaMaxBase64Bytes?: number;

  /** "revoke" or "notify"; the value is checked by the domain (settingsProblems). */
  @ApiPropertyOptional({ enum: ['revoke', 'notify'], description: 'What a secret scanner’s report of a published key does: `revoke` (the default) or only `notify`.', example: 'notify' })
  @Given()
  @IsString()
  leakedKeyAction?: LeakedKeyAction;
}
