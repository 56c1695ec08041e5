import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { parseValidity } from '../../domain/validity';
import { KeyIssuer } from '../../key-ring/key-issuer.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { IssueKeyRequestDto } from './issue-key.request.dto';

@Controller('v1/orgs/:orgId/keys')
@UseGuards(AdminGuard)
export class IssueKeyHttpController {
  constructor(
    private readonly issuer: KeyIssuer,
    private readonly presenter: KeyTablePresenter,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
  ) {}

  @Post()
  @HttpCode(201)
  async issue(@OrgIdParam() orgId: string, @Body() body: IssueKeyRequestDto, @CurrentAdmin() admin: AdminPrincipal) {
    const { rotationIntervalDays } = await this.settings.get(orgId);
    const validity = parseValidity(body.validity, rotationIntervalDays);
    const { issued, secret, now } = await this.issuer.issue(orgId, admin, (newKey, metadata) => ({
      type: 'IssueKey',
      data: { orgId, newKey, validity },
      metadata,
    }));
    return { key: await this.presenter.presentOne(orgId, issued, now), secret };
  }
}
