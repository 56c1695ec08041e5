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

/**
 * The organisations' settings as the request path needs them: synchronously, from the reader's
 * memory (the compacted settings topic it follows), prepared once per settings value. The reader
 * replaces an organisation's object on every change, so a change applies to the next request, and
 * an organisation with no settings of its own shares the prepared defaults: no per-organisation
 * state here, however many organisations call.
 */
export class OrgSettingsSnapshot {
  private readonly prepared = new WeakMap<OrgSettings, EdgeOrgSettings>();

  constructor(private readonly reader: OrgSettingsReader) {
    this.prepared.set(DEFAULT_SETTINGS, DEFAULT_EDGE_SETTINGS);
  }

  get(orgId: string): EdgeOrgSettings {
    const settings = this.reader.current(orgId);
    let edge = this.prepared.get(settings);
    if (edge === undefined) this.prepared.set(settings, (edge = prepare(settings)));
    return edge;
  }
}
