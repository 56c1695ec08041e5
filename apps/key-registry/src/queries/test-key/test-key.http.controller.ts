import { Body, Controller, HttpCode, Inject, NotFoundException, Post, UseGuards } from '@nestjs/common';
import { AdminGuard, OrgIdParam } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { formatInstant } from '@keywarden/contracts';
import { inspectSecret, InvalidSecretError, isSecretExpired, SecretVerifier } from '@keywarden/crypto';
import { ACTIVE_KEY_CACHE, ActiveKeyCache, acceptsAt } from '@keywarden/key-cache';
import { findKey, isAccepted } from '../../domain/key-ring.decider';
import { KeyIdParam } from '../../key-ring/key-ring.http';
import { KeyRingRepository } from '../../key-ring/key-ring.repository';
import { KeyMaterialService } from '../../key-ring/key-material.service';
import { KeyTablePresenter } from '../../key-ring/key-table.presenter';
import { TestSecretRequestDto } from './test-secret.request.dto';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOperation } from '@keywarden/platform';
import { ApiKeyIdParam, KeyTestSchema, SecretTestSchema } from '../../openapi/registry-answers.schema';

export const SECRET_VERIFIER = Symbol('SECRET_VERIFIER');

const EXPIRED = 'the key has expired (its validity or grace period is over) and is no longer accepted';

@ApiTags('Keys')
@Controller('v1/orgs/:orgId/keys')
@UseGuards(AdminGuard)
export class TestKeyHttpController {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    private readonly presenter: KeyTablePresenter,
    @Inject(ACTIVE_KEY_CACHE) private readonly cache: ActiveKeyCache,
    @Inject(SECRET_VERIFIER) private readonly verifier: SecretVerifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The article's test icon: valid only when the registry accepts the key AND the active-key
   * cache that the edge reads has it, so a green answer means API calls will really pass.
   */
  @Post(':keyId/test')
  @ApiKeyIdParam()
  @AdminOperation({
    operationId: 'testKey',
    summary: 'Check that the gateway accepts a key',
    description: 'The console’s test icon: valid only if the registry accepts the key and the active-key cache the gateway reads has it. A fresh key may take a few seconds to reach the cache.',
    refusals: { 404: 'No such key in this organisation (KEY_NOT_FOUND).' },
  })
  @ApiOkResponse({ type: KeyTestSchema, description: 'Whether the key is accepted, and why not.' })
  @HttpCode(200)
  async testKey(@OrgIdParam() orgId: string, @KeyIdParam() keyId: string) {
    const now = this.clock.now();
    const [{ ring }, style] = await Promise.all([this.repository.load(orgId), this.presenter.styleFor(orgId)]);
    const checkedAt = formatInstant(now, style);
    const key = findKey(ring, keyId);
    if (!key) throw new NotFoundException(`key ${keyId} does not exist in this organisation (or was deleted)`);
    if (!isAccepted(key, now.toISOString())) return { valid: false, reason: EXPIRED, checkedAt };
    const cached = await this.cache.findByKeyId(orgId, keyId);
    if (!cached || cached.fingerprint !== key.fingerprint || !acceptsAt(cached, now.getTime())) {
      return { valid: false, reason: 'the key is not yet in the active-key cache that the gateway reads; try again in a few seconds', checkedAt };
    }
    return { valid: true, checkedAt };
  }

  /**
   * Checks a pasted Secret the way the gateway would: signature, key, organisation, time. As at
   * the gateway, the key's end is the registry's record, not the Secret's `exp` (the key's end
   * when it was minted): after "Never expire" a Secret past its `exp` is still valid, and nothing
   * the registry does not accept now is.
   */
  @Post('test')
  @AdminOperation({
    operationId: 'testSecret',
    summary: 'Check a pasted Secret',
    description: 'Checks a Secret’s signature, organisation, key and time, without sending it anywhere. An invalid Secret is a 200 with `valid: false` and the reason.',
    body: true,
  })
  @ApiOkResponse({ type: SecretTestSchema, description: 'Whether the Secret is accepted now, and why not.' })
  @HttpCode(200)
  async testSecret(@OrgIdParam() orgId: string, @Body() body: TestSecretRequestDto) {
    const now = this.clock.now();
    const inspected = inspectSecret(body.secret);
    if (!inspected.ok) return { valid: false, reason: describe(inspected.reason) };
    let verified;
    try {
      verified = await this.verifier.verifySignature(inspected.secret, now);
    } catch (error) {
      if (error instanceof InvalidSecretError) return { valid: false, reason: describe(error.reason) };
      throw error;
    }
    // A Secret of another organisation tells this one nothing about it: just "not ours".
    if (verified.orgId !== orgId) return { valid: false, reason: 'the Secret does not belong to this organisation' };
    const { ring } = await this.repository.load(orgId);
    const key = findKey(ring, verified.keyId);
    if (!key || key.fingerprint !== this.material.fingerprint(verified.apiKey)) {
      return { valid: false, reason: 'the key in this Secret does not exist (it may have been deleted)' };
    }
    const view = await this.presenter.presentOne(orgId, key, now);
    if (!isAccepted(key, now.toISOString())) return { valid: false, reason: isSecretExpired(verified, now) ? describe('expired') : EXPIRED, key: view };
    return { valid: true, key: view };
  }
}

function describe(reason: InvalidSecretError['reason']): string {
  switch (reason) {
    case 'expired':
      return 'the Secret has expired';
    case 'bad-signature':
    case 'unknown-kid':
      return 'the Secret was not signed by Keywarden';
    default:
      return 'this is not a Keywarden Secret';
  }
}
