import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generateApiKey, KeyFingerprinter, KeyMaterialVault, SecretMinter } from '@keywarden/crypto';
import { acceptUntil, KeyEntry, NewKeyMaterial } from '../domain/key-ring.decider';
import { CommandResult } from './key-ring.repository';

export const KEY_FINGERPRINTER = Symbol('KEY_FINGERPRINTER');
export const KEY_MATERIAL_VAULT = Symbol('KEY_MATERIAL_VAULT');
export const SECRET_MINTER = Symbol('SECRET_MINTER');

export type GeneratedKey = Readonly<{ newKey: NewKeyMaterial; apiKey: string }>;

const newKeyId = (): string => `key_${randomBytes(12).toString('hex')}`;

/**
 * The impure side of issuing a key: randomness, the pepper, the vault. It hands the domain only
 * what may be stored (fingerprint, hint, sealed material) and keeps the key itself in memory
 * just long enough to mint the Secret returned to the admin.
 */
@Injectable()
export class KeyMaterialService {
  constructor(
    @Inject(KEY_FINGERPRINTER) private readonly fingerprinter: KeyFingerprinter,
    @Inject(KEY_MATERIAL_VAULT) private readonly vault: KeyMaterialVault,
    @Inject(SECRET_MINTER) private readonly minter: SecretMinter,
  ) {}

  /**
   * The one path by which a key is generated (issue, revoke, scheduled rotation): generates a key
   * and runs the command that records it. When the command is refused or records nothing (another
   * instance rotated first) the key's data key is destroyed at once, so no copy of an unrecorded key
   * lingers; once recorded, the key is the ring's and nothing here touches it any more.
   */
  async recordNewKey(record: (newKey: NewKeyMaterial) => Promise<CommandResult>): Promise<GeneratedKey & { recorded: CommandResult }> {
    const generated = await this.generate();
    let recorded: CommandResult | undefined;
    try {
      recorded = await record(generated.newKey);
      return { ...generated, recorded };
    } finally {
      if (!recorded?.events.some((e) => e.type === 'KeyIssued' && e.data.keyId === generated.newKey.keyId)) {
        await this.vault.shred(generated.newKey.material.dataKeyId);
      }
    }
  }

  private async generate(): Promise<GeneratedKey> {
    const keyId = newKeyId();
    const { key, hint } = generateApiKey();
    const material = await this.vault.seal(keyId, key);
    return { apiKey: key, newKey: { keyId, fingerprint: this.fingerprinter.fingerprint(key), hint, material } };
  }

  fingerprint(apiKey: string): string {
    return this.fingerprinter.fingerprint(apiKey);
  }

  mintSecret(apiKey: string, key: KeyEntry, now: Date): Promise<string> {
    const end = acceptUntil(key);
    return this.minter.mint({ apiKey, orgId: key.orgId, keyId: key.keyId, acceptUntil: end === null ? null : new Date(end), now });
  }

  /** Decrypts a stored key for the OTP-gated reveal; fails once the key was deleted (shredded). */
  async open(key: KeyEntry): Promise<string> {
    return this.vault.open(key.material);
  }

  async shred(key: KeyEntry): Promise<void> {
    await this.vault.shred(key.material.dataKeyId);
  }
}
