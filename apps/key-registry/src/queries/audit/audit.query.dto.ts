import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** `GET /v1/orgs/{orgId}/audit?from=&to=&at=`: ISO 8601 instants (no zone designator = UTC). */
export class AuditQueryDto {
  @ApiPropertyOptional({ description: 'Events at or after this instant: an ISO 8601 instant (no zone designator = UTC), e.g. 2025-11-23T12:44:11Z.', maxLength: 40, example: '2025-11-01T00:00:00Z' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({ description: 'Events at or before this instant: an ISO 8601 instant (no zone designator = UTC), e.g. 2025-11-23T12:44:11Z.', maxLength: 40, example: '2025-11-30T23:59:59Z' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({ description: 'Also answer `stateAt`, the key table at this instant: an ISO 8601 instant (no zone designator = UTC), e.g. 2025-11-23T12:44:11Z.', maxLength: 40, example: '2025-11-23T12:44:11Z' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  at?: string;

  /** The request-id query parameter (seed E) every route accepts. */
  @ApiPropertyOptional({ description: 'A request id to record with the call, when the request-id header cannot be set.', example: 'req-42' })
  @IsOptional()
  @IsString()
  customerRequestId?: string;
}
