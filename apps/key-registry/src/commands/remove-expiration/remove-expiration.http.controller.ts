import { Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { findKey } from '../../domain/key-ring.decider';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, KeySchema } from '../../openapi/registry-answers.schema';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys/:keyId/remove-expiration')
@UseGuards(AdminGuard)
export class RemoveExpirationHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly presenter: KeyTablePresenter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** "Never expire": the key stays valid, is never rotated and gets no expiry notices. */
  @Post()
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'removeKeyExpiration',
    summary: 'Make a key valid forever',
    description: 'Removes the key’s expiry date: it stays accepted until revoked.',
    refusals: { 404: 'No such key in this organisation (KEY_NOT_FOUND).', 409: 'The key is revoked or expired (KEY_ALREADY_REVOKED, KEY_EXPIRED).' },
  })
  @ApiOkResponse({ type: KeySchema, description: 'The key, with `expiresAt` null.' })
  @HttpCode(200)
  async removeExpiration(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string, @CurrentAdmin() admin: AdminPrincipal) {
    const now = this.clock.now();
    const { ring } = await this.repository.execute(orgId, {
      type: 'RemoveExpiration',
      data: { keyId },
      metadata: { now: now.toISOString(), actor: actorOf(admin) },
    });
    return this.presenter.presentOne(orgId, findKey(ring, keyId)!, now);
  }
}
