import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { DAY_DURATION_PATTERN, VALIDITY_PATTERN } from '../../domain/validity';

@ApiSchema({ name: 'RevokeKeyRequest' })
export class RevokeKeyRequestDto {
  /** P0D..P30D; default: the organisation's default grace (P30D). P0D stops the key at once. */
  @ApiPropertyOptional({ description: 'How long the revoked key stays accepted: an ISO 8601 duration from P0D (stops it at once) to P30D; default: the organisation’s `defaultGraceDays`.', maxLength: 16, pattern: DAY_DURATION_PATTERN, example: 'P7D' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  grace?: string;

  /** The replacement's validity: ISO 8601 duration up to P365D, or "never". */
  @ApiPropertyOptional({ description: 'The replacement’s validity: '+'ISO 8601 duration up to P365D (e.g. P90D), or "never"; default: the organisation’s `rotationIntervalDays`.', maxLength: 16, pattern: VALIDITY_PATTERN, example: 'P365D' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  newKeyValidity?: string;

  @ApiPropertyOptional({ description: 'Why, for the audit.', maxLength: 500, example: 'laptop lost' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
