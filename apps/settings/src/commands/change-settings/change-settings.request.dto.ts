import { IsArray, IsBoolean, IsInt, IsString, ValidateIf } from 'class-validator';

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
  @IsString({ each: true })
  notificationEmails?: string[];

  @Given()
  @IsInt()
  mediaMaxBase64Bytes?: number;
}
