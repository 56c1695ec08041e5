import { Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { RevealError } from './reveal.errors';
import { RevealKeyService } from './reveal-key.service';

/** Step 1 of viewing a key: a code goes to the caller's email address. */
@Controller('v1/orgs/:orgId/keys/:keyId/reveal-requests')
@UseGuards(AdminGuard)
export class RequestRevealHttpController {
  constructor(private readonly reveals: RevealKeyService) {}

  @Post()
  @HttpCode(202)
  async request(
    @OrgIdParam() orgId: string,
    @KeyIdParam() keyId: string,
    @CurrentAdmin() admin: AdminPrincipal,
    @Res({ passthrough: true }) response: Response,
  ) {
    try {
      return await this.reveals.request(orgId, keyId, admin);
    } catch (error) {
      // The exception filter writes the body; the header must be on the response already.
      if (error instanceof RevealError && error.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
  }
}
