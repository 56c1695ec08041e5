import { Inject, Injectable } from '@nestjs/common';
import { DateTimeStyle, dateTimeStyleOf, ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { KeyEntry } from '../domain/key-ring.decider';
import { KEY_USAGE_READER, KeyUsageReader } from './key-usage.port';
import { KeyView, toKeyView } from './key.view';

/** Turns ring entries into API rows: the organisation's date-time format and "last used". */
@Injectable()
export class KeyTablePresenter {
  constructor(
    @Inject(ORG_SETTINGS_READER) private readonly settings: OrgSettingsReader,
    @Inject(KEY_USAGE_READER) private readonly usage: KeyUsageReader,
  ) {}

  async styleFor(orgId: string): Promise<DateTimeStyle> {
    return dateTimeStyleOf((await this.settings.get(orgId)).isoUtcTimestamps);
  }

  async present(orgId: string, keys: readonly KeyEntry[], now: Date): Promise<KeyView[]> {
    const [style, lastUsed] = await Promise.all([
      this.styleFor(orgId),
      this.usage.lastUsedAt(
        orgId,
        keys.map((k) => k.keyId),
      ),
    ]);
    const at = now.toISOString();
    return keys.map((k) => toKeyView(k, at, style, lastUsed.get(k.keyId) ?? null));
  }

  async presentOne(orgId: string, key: KeyEntry, now: Date): Promise<KeyView> {
    return (await this.present(orgId, [key], now))[0];
  }
}
