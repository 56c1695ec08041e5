import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { VALIDITY_PATTERN } from '../../domain/validity';

@ApiSchema({ name: 'IssueKeyRequest' })
export class IssueKeyRequestDto {
  /** ISO 8601 duration up to P365D, or "never"; default: the organisation's rotation interval. */
  @ApiPropertyOptional({ description: 'ISO 8601 duration up to P365D (e.g. P90D), or "never"; default: the organisation’s `rotationIntervalDays`.', maxLength: 16, pattern: VALIDITY_PATTERN, examples: ['P365D', 'never'], example: 'P365D' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  validity?: string;
}
