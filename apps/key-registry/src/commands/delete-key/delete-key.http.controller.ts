import { Controller, Delete, HttpCode, Inject, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { KeyEntry } from '../../domain/key-ring.decider';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam } from '../../openapi/registry-answers.schema';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys/:keyId')
@UseGuards(AdminGuard)
export class DeleteKeyHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Deletes a revoked or expired key, then destroys its data key: the encrypted copy left in the
   * immutable log can never be read again (crypto-shredding). Shredding after the append means a
   * crash in between leaves a deleted-but-readable copy, never a live key that cannot be viewed.
   */
  @Delete()
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'deleteKey',
    summary: 'Delete a key that is no longer accepted',
    description: 'Removes a revoked key whose grace is over, or an expired key, from the key table; it is never accepted again. The audit keeps its history.',
    refusals: { 404: 'No such key in this organisation (KEY_NOT_FOUND).', 409: 'The key is still accepted (KEY_STILL_ACTIVE): revoke it with grace P0D first.' },
  })
  @ApiNoContentResponse({ description: 'The key is deleted.' })
  @HttpCode(204)
  async delete(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string, @CurrentAdmin() admin: AdminPrincipal): Promise<void> {
    const { ring } = await this.repository.execute(orgId, {
      type: 'DeleteKey',
      data: { keyId },
      metadata: { now: this.clock.now().toISOString(), actor: actorOf(admin) },
    });
    const deleted = ring.keys.find((k: KeyEntry) => k.keyId === keyId);
    if (deleted) await this.material.shred(deleted);
  }
}
