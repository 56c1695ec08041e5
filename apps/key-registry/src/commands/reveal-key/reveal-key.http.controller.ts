import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { RevealKeyRequestDto } from './reveal-key.request.dto';
import { RevealKeyService } from './reveal-key.service';

/** Step 2: the code from the email → the current Secret, once. */
@Controller('v1/orgs/:orgId/keys/:keyId/reveal')
@UseGuards(AdminGuard)
export class RevealKeyHttpController {
  constructor(private readonly reveals: RevealKeyService) {}

  @Post()
  @HttpCode(200)
  reveal(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string, @Body() body: RevealKeyRequestDto, @CurrentAdmin() admin: AdminPrincipal) {
    return this.reveals.reveal(orgId, keyId, admin, body.requestId, body.code);
  }
}
