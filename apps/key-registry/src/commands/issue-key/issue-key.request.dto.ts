import { IsOptional, IsString, MaxLength } from 'class-validator';

export class IssueKeyRequestDto {
  /** ISO 8601 duration up to P365D, or "never"; default: the organisation's rotation interval. */
  @IsOptional()
  @IsString()
  @MaxLength(16)
  validity?: string;
}
