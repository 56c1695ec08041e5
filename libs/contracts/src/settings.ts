/** Per-organisation API settings (API.md "settings"), the payload of the settings topic. */
export type OrgSettings = Readonly<{
  isoUtcTimestamps: boolean;
  requestIdHeader: string;
  rotationIntervalDays: number;
  defaultGraceDays: number;
  expiryNoticeDays: number;
  notificationEmails: readonly string[];
  mediaMaxBase64Bytes: number;
  /** What a secret scanner's report of a published key does: revoke it at once (and replace it), or only tell the organisation. */
  leakedKeyAction: LeakedKeyAction;
}>;

export const LEAKED_KEY_ACTIONS = ['revoke', 'notify'] as const;
export type LeakedKeyAction = (typeof LEAKED_KEY_ACTIONS)[number];

/** 10 MiB of Base64 unless a CS representative raised it for the organisation. */
export const PLATFORM_DEFAULT_MEDIA_MAX_BASE64_BYTES = 10 * 1024 * 1024;

export const DEFAULT_SETTINGS: OrgSettings = {
  isoUtcTimestamps: false,
  requestIdHeader: 'X-Customer-Request-Id',
  rotationIntervalDays: 365,
  defaultGraceDays: 30,
  expiryNoticeDays: 30,
  notificationEmails: [],
  mediaMaxBase64Bytes: PLATFORM_DEFAULT_MEDIA_MAX_BASE64_BYTES,
  leakedKeyAction: 'revoke',
};

/** How a service learns an organisation's settings: defaults until the settings service says otherwise. */
export interface OrgSettingsReader {
  get(orgId: string): Promise<OrgSettings>;
  /**
   * The same, synchronously, from what this process has received (the defaults for an organisation
   * it has none for), for a per-request hot path. A change replaces the object: its identity says
   * whether anything changed.
   */
  current(orgId: string): OrgSettings;
}

export const ORG_SETTINGS_READER = Symbol('ORG_SETTINGS_READER');

export class DefaultOrgSettingsReader implements OrgSettingsReader {
  async get(): Promise<OrgSettings> {
    return DEFAULT_SETTINGS;
  }

  current(): OrgSettings {
    return DEFAULT_SETTINGS;
  }
}
