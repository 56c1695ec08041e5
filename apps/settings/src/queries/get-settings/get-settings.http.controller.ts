import { Controller, Get, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';

import { SettingsRepository } from '../../settings/settings.repository';
import { toSettingsView } from '../../settings/settings.view';

@Controller('v1/orgs/:orgId/settings')
@UseGuards(AdminGuard)
export class GetSettingsHttpController {
  constructor(private readonly repository: SettingsRepository) {}

  /** Read from the store, not the topic: an admin sees their change at once. */
  @Get()
  async get(@OrgIdParam() orgId: string) {
    return toSettingsView((await this.repository.load(orgId)).state);
  }
}
