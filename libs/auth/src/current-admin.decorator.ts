import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { adminPrincipalOf } from './admin.guard';

/** The AdminPrincipal of a route guarded by AdminGuard. */
export const CurrentAdmin = createParamDecorator((_data: unknown, context: ExecutionContext) => adminPrincipalOf(context.switchToHttp().getRequest()));
