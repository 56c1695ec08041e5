import { BadRequestException, Injectable, Param, PipeTransform } from '@nestjs/common';
import { Actor, ORG_ID_PATTERN } from '@keywarden/contracts';
import type { AdminPrincipal } from './admin-principal';

/** The `orgId` route parameter of every admin route: refused with 400 unless it is a valid id. */
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

/** Who an event records as having acted: the admin token's subject and email, nothing else. */
export const actorOf = (admin: AdminPrincipal): Actor => ({ sub: admin.sub, email: admin.email });
