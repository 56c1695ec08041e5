import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { parseValidity } from '../../domain/validity';
import { KeyIssuer } from '../../key-ring/key-issuer.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { IssueKeyRequestDto } from './issue-key.request.dto';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { IssuedKeySchema } from '../../openapi/registry-answers.schema';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys')
@UseGuards(AdminGuard)
export class IssueKeyHttpController {
  constructor(
    private readonly issuer: KeyIssuer,
    private readonly presenter: KeyTablePresenter,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
  ) {}

  @Post()
  @AdminOperation({
    operationId: 'issueKey',
    summary: 'Issue the organisation’s key',
    description: 'Issues a new key and answers its Secret, once. An organisation has one current key: to replace it, revoke it (which issues the replacement).',
    body: true,
    refusals: { 400: 'The body is invalid, or `validity` is not an ISO 8601 duration up to P365D nor "never" (`details.code` INVALID_VALIDITY).', 409: 'The organisation already has an active current key (`details.code` ACTIVE_KEY_EXISTS): revoke it to rotate.' },
  })
  @ApiCreatedResponse({ type: IssuedKeySchema, description: 'The key and its Secret (shown only here and by a reveal).' })
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
