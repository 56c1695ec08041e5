import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { findKey } from '../../domain/key-ring.decider';
import { parseGrace, parseValidity } from '../../domain/validity';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { RevokeKeyRequestDto } from './revoke-key.request.dto';

@Controller('v1/orgs/:orgId/keys/:keyId/revoke')
@UseGuards(AdminGuard)
export class RevokeKeyHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    private readonly presenter: KeyTablePresenter,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Revokes the key and issues its replacement in one decision (the article's revoke dialog). */
  @Post()
  @HttpCode(200)
  async revoke(
    @OrgIdParam() orgId: string,
    @KeyIdParam() keyId: string,
    @Body() body: RevokeKeyRequestDto,
    @CurrentAdmin() admin: AdminPrincipal,
  ) {
    const { defaultGraceDays, rotationIntervalDays } = await this.settings.get(orgId);
    const graceDays = parseGrace(body.grace, defaultGraceDays);
    const newKeyValidity = parseValidity(body.newKeyValidity, rotationIntervalDays);
    const now = this.clock.now();
    const { apiKey, newKey, recorded } = await this.material.recordNewKey((newKey) =>
      this.repository.execute(orgId, {
        type: 'RevokeKey',
        data: { keyId, graceDays, reason: body.reason?.trim() || null, newKey, newKeyValidity },
        metadata: { now: now.toISOString(), actor: actorOf(admin) },
      }),
    );
    const issued = findKey(recorded.ring, newKey.keyId)!;
    const [revokedView, issuedView] = await this.presenter.present(orgId, [findKey(recorded.ring, keyId)!, issued], now);
    return { revoked: revokedView, issued: issuedView, secret: await this.material.mintSecret(apiKey, issued, now) };
  }
}
