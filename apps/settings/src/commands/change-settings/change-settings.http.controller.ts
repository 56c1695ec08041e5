import { Body, Controller, HttpCode, Inject, Patch, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { SettingsPatch } from '@keywarden/contracts';

import { SettingsRepository } from '../../settings/settings.repository';
import { toSettingsView } from '../../settings/settings.view';
import { ChangeSettingsRequestDto } from './change-settings.request.dto';

@Controller('v1/orgs/:orgId/settings')
@UseGuards(AdminGuard)
export class ChangeSettingsHttpController {
  constructor(
    private readonly repository: SettingsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Changes any subset of the settings; a change that changes nothing records nothing. */
  @Patch()
  @HttpCode(200)
  async change(@OrgIdParam() orgId: string, @Body() body: ChangeSettingsRequestDto, @CurrentAdmin() admin: AdminPrincipal) {
    const patch: SettingsPatch = { ...body };
    const { state } = await this.repository.execute(orgId, {
      type: 'ChangeSettings',
      data: { orgId, patch },
      metadata: { now: this.clock.now().toISOString(), actor: actorOf(admin), isOperator: admin.isOperator },
    });
    return toSettingsView(state);
  }
}
