import { BadRequestException, Injectable, Param, PipeTransform } from '@nestjs/common';
import { Actor, ORG_ID_PATTERN } from '@keywarden/contracts';
import type { AdminPrincipal } from '@keywarden/auth';

@Injectable()
export class OrgIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ORG_ID_PATTERN.test(value)) {
      throw new BadRequestException('organisation id must be 1-64 letters, digits, "-" or "_", starting with a letter or digit');
    }
    return value;
  }
}

export const OrgIdParam = (): ParameterDecorator => Param('orgId', OrgIdPipe);

export const actorOf = (admin: AdminPrincipal): Actor => ({ sub: admin.sub, email: admin.email });

/** HTTP statuses of the settings service's domain error codes (API.md). */
export const SETTINGS_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_SETTINGS: 400,
  OPERATOR_ONLY_SETTING: 403,
  CONCURRENT_CHANGE: 409,
  CONTRACT_VIOLATION: 500,
};
