import { Controller, Get, Inject, NotFoundException, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { findKey, visibleKeys } from '../../domain/key-ring.decider';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';

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
  async list(@OrgIdParam() orgId: string) {
    const { ring } = await this.repository.load(orgId);
    return { keys: await this.presenter.present(orgId, visibleKeys(ring), this.clock.now()) };
  }

  @Get(':keyId')
  async get(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string) {
    const { ring } = await this.repository.load(orgId);
    const key = findKey(ring, keyId);
    if (!key) throw new NotFoundException(`key ${keyId} does not exist in this organisation (or was deleted)`);
    return this.presenter.presentOne(orgId, key, this.clock.now());
  }
}
