import { IsOptional, IsString, MaxLength } from 'class-validator';

export class RevokeKeyRequestDto {
  /** P0D..P30D; default: the organisation's default grace (P30D). P0D stops the key at once. */
  @IsOptional()
  @IsString()
  @MaxLength(16)
  grace?: string;

  /** The replacement's validity: ISO 8601 duration up to P365D, or "never". */
  @IsOptional()
  @IsString()
  @MaxLength(16)
  newKeyValidity?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
