import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { AdminPrincipal } from './admin-principal';
import { ADMIN_TOKEN_VERIFIER, AdminKeysUnavailableError, InvalidAdminTokenError, VerifiesAdminTokens } from './admin-token-verifier';

type AdminRequest = {
  headers?: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  adminPrincipal?: AdminPrincipal;
};

type HeaderSink = { setHeader?(name: string, value: string): unknown; header?(name: string, value: string): unknown };

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/-]+=*)[ \t]*$/i;

/**
 * Admin routes: a verified admin token with the admin or operator role, scoped to the route's
 * `orgId` unless the caller is an operator. Puts the principal on the request for @CurrentAdmin().
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN_VERIFIER) private readonly verifier: VerifiesAdminTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AdminRequest>();
    const response = http.getResponse<HeaderSink>();

    const authorization = request.headers?.authorization;
    const token = typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) {
      challenge(response, 'Bearer realm="keywarden"');
      throw new UnauthorizedException('an admin token is required: send "Authorization: Bearer <admin JWT>"');
    }

    let principal: AdminPrincipal;
    try {
      principal = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof AdminKeysUnavailableError) {
        throw new ServiceUnavailableException("the identity provider's keys could not be fetched; retry shortly");
      }
      if (error instanceof InvalidAdminTokenError) {
        challenge(response, 'Bearer realm="keywarden", error="invalid_token"');
        throw new UnauthorizedException(`the admin token was rejected (${error.reason}); sign in again to get a new one`);
      }
      throw error;
    }

    if (principal.roles.length === 0) throw new ForbiddenException('this route needs the admin or operator role');
    const orgId = request.params?.orgId;
    if (orgId !== undefined && !principal.isOperator && principal.orgId !== orgId) {
      throw new ForbiddenException('admins may act only on their own organisation');
    }
    request.adminPrincipal = principal;
    return true;
  }
}

/** The principal the guard put on the request; throws if the route has no AdminGuard. */
export function adminPrincipalOf(request: unknown): AdminPrincipal {
  const principal = (request as AdminRequest | undefined)?.adminPrincipal;
  if (!principal) throw new Error('no admin principal on this request: is the route guarded by AdminGuard?');
  return principal;
}

function challenge(response: HeaderSink, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader('WWW-Authenticate', value);
  else if (typeof response.header === 'function') response.header('WWW-Authenticate', value);
}
