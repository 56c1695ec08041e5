import { Inject, Injectable } from '@nestjs/common';
import { actorOf, AdminPrincipal } from '@keywarden/auth';
import { CLOCK, Clock } from '@keywarden/clock';
import { CommandMetadata, findKey, KeyEntry, KeyRing, KeyRingCommand, NewKeyMaterial } from '../domain/key-ring.decider';
import { KeyMaterialService } from './key-material.service';
import { KeyRingRepository } from './key-ring.repository';

export type IssuedByAdmin = Readonly<{ ring: KeyRing; issued: KeyEntry; secret: string; now: Date }>;

/**
 * An admin's command that records a new key (issue, revoke): the key is generated and recorded
 * through KeyMaterialService's one path, then its Secret is minted, to be shown once.
 */
@Injectable()
export class KeyIssuer {
  constructor(
    private readonly repository: KeyRingRepository,
    private readonly material: KeyMaterialService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async issue(orgId: string, admin: AdminPrincipal, command: (newKey: NewKeyMaterial, metadata: CommandMetadata) => KeyRingCommand): Promise<IssuedByAdmin> {
    const now = this.clock.now();
    const metadata: CommandMetadata = { now: now.toISOString(), actor: actorOf(admin) };
    const { apiKey, newKey, recorded } = await this.material.recordNewKey((newKey) => this.repository.execute(orgId, command(newKey, metadata)));
    const issued = findKey(recorded.ring, newKey.keyId)!;
    return { ring: recorded.ring, issued, now, secret: await this.material.mintSecret(apiKey, issued, now) };
  }
}
