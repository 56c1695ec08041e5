import { Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { RevealError } from './reveal.errors';
import { RevealKeyService } from './reveal-key.service';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, RevealRequestedSchema } from '../../openapi/registry-answers.schema';

/** Step 1 of viewing a key: a code goes to the caller's email address. */
@ApiTags('Reveal')
@Controller('v1/orgs/:orgId/keys/:keyId/reveal-requests')
@UseGuards(AdminGuard)
export class RequestRevealHttpController {
  constructor(private readonly reveals: RevealKeyService) {}

  @Post()
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'requestKeyReveal',
    summary: 'Ask for a one-time code to reveal a key’s Secret',
    description: 'Emails a 6-digit code to the caller’s address; send it with the `requestId` to `reveal` before `expiresAt`.',
    refusals: {
      403: 'The token is for another organisation, or the caller may not reveal keys (REVEAL_NOT_ALLOWED, e.g. a token without an email).',
      404: 'No such key in this organisation (KEY_NOT_FOUND).',
      409: 'The key has expired and can no longer be viewed (KEY_EXPIRED).',
      429: {
        description: 'Too many reveal requests (REVEAL_RATE_LIMITED): wait the seconds of Retry-After (also in `details.retryAfterSeconds`) and retry.',
        headers: { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'string', pattern: '^[1-9][0-9]*$' } } },
      },
      503: 'The code could not be sent (REVEAL_CODE_NOT_SENT), or a dependency is unavailable: retry shortly.',
    },
  })
  @ApiAcceptedResponse({ type: RevealRequestedSchema, description: 'The code is on its way to the masked address.' })
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
