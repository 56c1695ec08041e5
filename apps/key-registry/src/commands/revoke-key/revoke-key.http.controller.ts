import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { findKey } from '../../domain/key-ring.decider';
import { parseGrace, parseValidity } from '../../domain/validity';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyIssuer } from '../../key-ring/key-issuer.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { RevokeKeyRequestDto } from './revoke-key.request.dto';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, RevokedKeySchema } from '../../openapi/registry-answers.schema';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys/:keyId/revoke')
@UseGuards(AdminGuard)
export class RevokeKeyHttpController {
  constructor(
    private readonly issuer: KeyIssuer,
    private readonly presenter: KeyTablePresenter,
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
  ) {}

  /** Revokes the key and issues its replacement in one decision (the article's revoke dialog). */
  @Post()
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'revokeKey',
    summary: 'Revoke a key and issue its replacement',
    description: 'Revokes the current key, which stays accepted until its grace ends (P0D stops it at once), and issues its replacement, whose Secret is answered once.',
    body: true,
    refusals: {
      400: 'The body is invalid, `grace` is not P0D..P30D (INVALID_GRACE) or `newKeyValidity` not a duration up to P365D nor "never" (INVALID_VALIDITY).',
      404: 'No such key in this organisation (KEY_NOT_FOUND).',
      409: 'The key is already revoked (KEY_ALREADY_REVOKED), expired (KEY_EXPIRED) or not the current key (KEY_NOT_CURRENT).',
    },
  })
  @ApiOkResponse({ type: RevokedKeySchema, description: 'The revoked key, its replacement and the replacement’s Secret.' })
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
    const { ring, issued, secret, now } = await this.issuer.issue(orgId, admin, (newKey, metadata) => ({
      type: 'RevokeKey',
      data: { keyId, graceDays, reason: body.reason?.trim() || null, newKey, newKeyValidity },
      metadata,
    }));
    const [revokedView, issuedView] = await this.presenter.present(orgId, [findKey(ring, keyId)!, issued], now);
    return { revoked: revokedView, issued: issuedView, secret };
  }
}
