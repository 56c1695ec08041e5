import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SETTINGS, OrgSettings, OrgSettingsReader } from '@keywarden/contracts';

/** What the edge needs of an organisation's settings, prepared once per change. */
export type EdgeOrgSettings = Readonly<{
  requestIdHeader: string;
  /** Lower case, as Node's req.headers keys are. */
  requestIdHeaderLower: string;
  mediaMaxBase64Bytes: number;
  isoUtcTimestamps: boolean;
}>;

const prepare = (s: OrgSettings): EdgeOrgSettings => ({
  requestIdHeader: s.requestIdHeader,
  requestIdHeaderLower: s.requestIdHeader.toLowerCase(),
  mediaMaxBase64Bytes: s.mediaMaxBase64Bytes,
  isoUtcTimestamps: s.isoUtcTimestamps,
});

export const DEFAULT_EDGE_SETTINGS = prepare(DEFAULT_SETTINGS);

type Held = { settings: EdgeOrgSettings; readAtMs: number; refreshing: boolean };

/**
 * Re-read at most this often per organisation: a changed setting applies within about a second.
 * Real (monotonic) time, not the Clock port: this is a refresh period, not a decision about keys.
 */
const REFRESH_MS = 1000;
const MAX_ORGS = 100_000;

/**
 * The organisations' settings as the request path needs them: synchronously, from memory. The
 * OrgSettingsReader port is asked on an organisation's first request (which waits for it) and then
 * in the background at most once a second, so a settings change applies within about a second and
 * no request waits for it. A reader failure keeps the last known settings (the defaults for an
 * organisation never read): the edge works with no settings at all.
 */
export class OrgSettingsSnapshot {
  private readonly held = new LRUCache<string, Held>({ max: MAX_ORGS });

  constructor(
    private readonly reader: OrgSettingsReader,
    private readonly logger: Logger,
  ) {}

  get(orgId: string): EdgeOrgSettings | Promise<EdgeOrgSettings> {
    const held = this.held.get(orgId);
    if (held === undefined) return this.read(orgId, null);
    if (!held.refreshing && performance.now() - held.readAtMs >= REFRESH_MS) {
      held.refreshing = true;
      void this.read(orgId, held);
    }
    return held.settings;
  }

  private async read(orgId: string, held: Held | null): Promise<EdgeOrgSettings> {
    let settings = held?.settings ?? DEFAULT_EDGE_SETTINGS;
    try {
      settings = prepare(await this.reader.get(orgId));
    } catch (error) {
      this.logger.warn({ err: error, orgId }, 'organisation settings could not be read: using the last known (or default) settings');
    }
    this.held.set(orgId, { settings, readAtMs: performance.now(), refreshing: false });
    return settings;
  }
}
