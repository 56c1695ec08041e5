import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { SettingsSchema } from '../../openapi/settings-answers.schema';
import { Body, Controller, HttpCode, Inject, Patch, UseGuards } from '@nestjs/common';
import { actorOf, AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { SettingsPatch } from '@keywarden/contracts';

import { SettingsRepository } from '../../settings/settings.repository';
import { toSettingsView } from '../../settings/settings.view';
import { ChangeSettingsRequestDto } from './change-settings.request.dto';

@ApiTags('Settings')
@Controller('v1/orgs/:orgId/settings')
@UseGuards(AdminGuard)
export class ChangeSettingsHttpController {
  constructor(
    private readonly repository: SettingsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Changes any subset of the settings; a change that changes nothing records nothing. */
  @Patch()
  @AdminOperation({
    operationId: 'changeSettings',
    summary: 'Change some of the organisation’s settings',
    description: 'Changes the fields sent and keeps the others; any other field is refused. Every service applies the change within seconds.',
    body: true,
    refusals: {
      400: 'A field is of the wrong type, out of range or unknown (INVALID_SETTINGS; `details.problems` lists each).',
      403: 'The token is for another organisation, or an admin set an operator-only field (OPERATOR_ONLY_SETTING): contact your CS representative.',
      409: 'Another change landed at the same time (CONCURRENT_CHANGE): read the settings and retry.',
    },
  })
  @ApiOkResponse({ type: SettingsSchema, description: 'The settings after the change.' })
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
