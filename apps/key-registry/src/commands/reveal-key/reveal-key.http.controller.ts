import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { RevealKeyRequestDto } from './reveal-key.request.dto';
import { RevealKeyService } from './reveal-key.service';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, RevealedKeySchema } from '../../openapi/registry-answers.schema';

/** Step 2: the code from the email → the current Secret, once. */
@ApiTags('Reveal')
@Controller('v1/orgs/:orgId/keys/:keyId/reveal')
@UseGuards(AdminGuard)
export class RevealKeyHttpController {
  constructor(private readonly reveals: RevealKeyService) {}

  @Post()
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'revealKey',
    summary: 'Reveal a key’s Secret with the emailed code',
    description: 'Answers the Secret of the key when the code matches the reveal request. Five wrong codes lock the request.',
    body: true,
    refusals: {
      401: 'No valid admin token, or a wrong code (REVEAL_CODE_WRONG): check the email and try again.',
      403: 'The token is for another organisation, or the caller is not the one who asked (REVEAL_NOT_ALLOWED).',
      404: 'No such key (KEY_NOT_FOUND) or reveal request (REVEAL_REQUEST_NOT_FOUND).',
      410: 'The reveal request has expired (REVEAL_REQUEST_EXPIRED) or was used (REVEAL_REQUEST_USED): ask for a new code.',
      429: 'Five wrong codes locked the request (REVEAL_LOCKED): ask for a new code.',
    },
  })
  @ApiOkResponse({ type: RevealedKeySchema, description: 'The Secret and its key.' })
  @HttpCode(200)
  reveal(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string, @Body() body: RevealKeyRequestDto, @CurrentAdmin() admin: AdminPrincipal) {
    return this.reveals.reveal(orgId, keyId, admin, body.requestId, body.code);
  }
}
