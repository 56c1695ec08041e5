import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';
import { EVENT_STORE, EventStore } from '@keywarden/event-store';
import { visibleKeys } from '../../domain/key-ring.decider';

import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { toKeyView } from '../../key-ring/key.view';
import { toAuditEntry } from './audit-entry';
import { parseAuditWindow } from './audit-instant';
import { AuditQueryDto } from './audit.query.dto';
import { replayAudit } from './audit-replay';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { AuditSchema } from '../../openapi/registry-answers.schema';

@ApiTags('Audit')
@Controller('v1/orgs/:orgId/audit')
@UseGuards(AdminGuard)
export class AuditHttpController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly presenter: KeyTablePresenter,
  ) {}

  /**
   * The organisation's timeline, rebuilt by replaying its key ring; with `at`, also the key table
   * as it stood then. Usage is not a ring event, so `lastUsedAt` of a past table is null.
   */
  @Get()
  @AdminOperation({
    operationId: 'getAudit',
    summary: 'Replay the organisation’s key history',
    description: 'Rebuilt by replaying the event store: every event between `from` and `to`; with `at`, also the key table as it stood at that instant.',
    refusals: { 400: 'A query parameter is not an ISO 8601 instant, or `from` is after `to` (INVALID_AUDIT_QUERY).' },
  })
  @ApiOkResponse({ type: AuditSchema, description: 'The timeline, and the key table at `at` when asked.' })
  async audit(@OrgIdParam() orgId: string, @Query() query: AuditQueryDto) {
    const window = parseAuditWindow(query);
    const [{ orgs }, style] = await Promise.all([replayAudit(this.store, { orgId, ...window }), this.presenter.styleFor(orgId)]);
    const org = orgs.get(orgId);
    const events = (org?.records ?? []).map((record) => toAuditEntry(record, style));
    if (!window.at) return { events };
    const at = window.at.toISOString();
    const stateAt = org?.ringAt ? visibleKeys(org.ringAt).map((key) => toKeyView(key, at, style, null)) : [];
    return { events, stateAt };
  }
}
