import { Controller, Get, Inject, NotFoundException, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { findKey, visibleKeys } from '../../domain/key-ring.decider';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, KeyListSchema, KeySchema } from '../../openapi/registry-answers.schema';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys')
@UseGuards(AdminGuard)
export class ListKeysHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly presenter: KeyTablePresenter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The key table: every key not deleted, newest first (the current key on top). */
  @Get()
  @AdminOperation({ operationId: 'listKeys', summary: 'List the organisation’s keys', description: 'Every key not deleted, newest first, with its status now.' })
  @ApiOkResponse({ type: KeyListSchema, description: 'The key table.' })
  async list(@OrgIdParam() orgId: string) {
    const { ring } = await this.repository.load(orgId);
    return { keys: await this.presenter.present(orgId, visibleKeys(ring), this.clock.now()) };
  }

  @Get(':keyId')
  @ApiKeyIdParam()
  @AdminOperation({ operationId: 'getKey', summary: 'Get one key', description: 'One row of the key table, with its status now.', refusals: { 404: 'No such key in this organisation (KEY_NOT_FOUND).' } })
  @ApiOkResponse({ type: KeySchema, description: 'The key.' })
  async get(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string) {
    const { ring } = await this.repository.load(orgId);
    const key = findKey(ring, keyId);
    if (!key) throw new NotFoundException(`key ${keyId} does not exist in this organisation (or was deleted)`);
    return this.presenter.presentOne(orgId, key, this.clock.now());
  }
}
