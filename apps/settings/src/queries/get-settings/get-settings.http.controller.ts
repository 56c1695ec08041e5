import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { SettingsSchema } from '../../openapi/settings-answers.schema';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';

import { SettingsRepository } from '../../settings/settings.repository';
import { toSettingsView } from '../../settings/settings.view';

@ApiTags('Settings')
@Controller('v1/orgs/:orgId/settings')
@UseGuards(AdminGuard)
export class GetSettingsHttpController {
  constructor(private readonly repository: SettingsRepository) {}

  /** Read from the store, not the topic: an admin sees their change at once. */
  @Get()
  @AdminOperation({ operationId: 'getSettings', summary: 'Get the organisation’s settings', description: 'The settings in force, the defaults until one is changed.' })
  @ApiOkResponse({ type: SettingsSchema, description: 'The settings.' })
  async get(@OrgIdParam() orgId: string) {
    return toSettingsView((await this.repository.load(orgId)).state);
  }
}
