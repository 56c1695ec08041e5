import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsString, ValidateIf } from 'class-validator';
import type { LeakedKeyAction } from '@keywarden/contracts';
import { SETTINGS_LIMITS } from '@keywarden/contracts';

/** Types only checked here, null refused; the ranges and rules are the domain's (settingsProblems). */
const Given = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/** `PATCH /v1/orgs/{orgId}/settings`: any subset of Settings; any other field is refused. */
export class ChangeSettingsRequestDto {
  @Given()
  @IsBoolean()
  isoUtcTimestamps?: boolean;

  @Given()
  @IsString()
  requestIdHeader?: string;

  @Given()
  @IsInt()
  rotationIntervalDays?: number;

  @Given()
  @IsInt()
  defaultGraceDays?: number;

  @Given()
  @IsInt()
  expiryNoticeDays?: number;

  @Given()
  @IsArray()
  // Refused at the boundary, one message however many arrive (the domain holds the same limit).
  @ArrayMaxSize(SETTINGS_LIMITS.notificationEmails.maxItems, {
    message: ({ value }) => `notificationEmails holds at most ${SETTINGS_LIMITS.notificationEmails.maxItems} addresses (got ${(value as unknown[]).length})`,
  })
  @IsString({ each: true })
  notificationEmails?: string[];

  @Given()
  @IsInt()
  mediaMaxBase64Bytes?: number;

  /** "revoke" or "notify"; the value is checked by the domain (settingsProblems). */
  @Given()
  @IsString()
  leakedKeyAction?: LeakedKeyAction;
}
