import { IsOptional, IsString, MaxLength } from 'class-validator';

/** `GET /v1/orgs/{orgId}/audit?from=&to=&at=`: ISO 8601 instants (no zone designator = UTC). */
export class AuditQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @IsOptional()
  @IsString()
  @MaxLength(40)
  at?: string;

  /** The request-id query parameter (seed E) every route accepts. */
  @IsOptional()
  @IsString()
  customerRequestId?: string;
}
