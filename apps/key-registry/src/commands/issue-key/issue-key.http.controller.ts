import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { findKey } from '../../domain/key-ring.decider';
import { parseValidity } from '../../domain/validity';

import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { IssueKeyRequestDto } from './issue-key.request.dto';

@Controller('v1/orgs/:orgId/keys')
@UseGuards(AdminGuard)
export class IssueKeyHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    private readonly presenter: KeyTablePresenter,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  async issue(@OrgIdParam() orgId: string, @Body() body: IssueKeyRequestDto, @CurrentAdmin() admin: AdminPrincipal) {
    const { rotationIntervalDays } = await this.settings.get(orgId);
    const validity = parseValidity(body.validity, rotationIntervalDays);
    const now = this.clock.now();
    const { apiKey, newKey, recorded } = await this.material.recordNewKey((newKey) =>
      this.repository.execute(orgId, {
        type: 'IssueKey',
        data: { orgId, newKey, validity },
        metadata: { now: now.toISOString(), actor: actorOf(admin) },
      }),
    );
    const key = findKey(recorded.ring, newKey.keyId)!;
    return {
      key: await this.presenter.presentOne(orgId, key, now),
      secret: await this.material.mintSecret(apiKey, key, now),
    };
  }
}
