import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, AdminPrincipal, CurrentAdmin, OrgIdParam } from '@keywarden/auth';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { findKey } from '../../domain/key-ring.decider';
import { parseGrace, parseValidity } from '../../domain/validity';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyIssuer } from '../../key-ring/key-issuer.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { RevokeKeyRequestDto } from './revoke-key.request.dto';

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
