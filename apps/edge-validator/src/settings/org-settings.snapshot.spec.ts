import { DEFAULT_SETTINGS, OrgSettings, OrgSettingsReader } from '@keywarden/contracts';
import { DEFAULT_EDGE_SETTINGS, OrgSettingsSnapshot } from './org-settings.snapshot';

/** A reader holding what the settings topic delivered, as the platform's topic reader does. */
class ReceivedSettings implements OrgSettingsReader {
  readonly byOrg = new Map<string, OrgSettings>();
  async get(orgId: string): Promise<OrgSettings> {
    return this.current(orgId);
  }
  current(orgId: string): OrgSettings {
    return this.byOrg.get(orgId) ?? DEFAULT_SETTINGS;
  }
}

describe('the edge’s organisation settings', () => {
  it('gives an organisation with no settings of its own the shared defaults', () => {
    const snapshot = new OrgSettingsSnapshot(new ReceivedSettings());
    expect(snapshot.get('org-a')).toBe(DEFAULT_EDGE_SETTINGS);
    expect(snapshot.get('org-b')).toBe(DEFAULT_EDGE_SETTINGS);
    expect(DEFAULT_EDGE_SETTINGS).toEqual({ requestIdHeader: 'X-Customer-Request-Id', requestIdHeaderLower: 'x-customer-request-id', mediaMaxBase64Bytes: DEFAULT_SETTINGS.mediaMaxBase64Bytes, isoUtcTimestamps: false });
  });

  it('applies a change to the very next request, prepared once per change', () => {
    const received = new ReceivedSettings();
    const snapshot = new OrgSettingsSnapshot(received);
    received.byOrg.set('org-a', { ...DEFAULT_SETTINGS, requestIdHeader: 'X-Trace-Id', isoUtcTimestamps: true, mediaMaxBase64Bytes: 1024 });
    const first = snapshot.get('org-a');
    expect(first).toEqual({ requestIdHeader: 'X-Trace-Id', requestIdHeaderLower: 'x-trace-id', mediaMaxBase64Bytes: 1024, isoUtcTimestamps: true });
    expect(snapshot.get('org-a')).toBe(first);

    received.byOrg.set('org-a', { ...DEFAULT_SETTINGS, requestIdHeader: 'X-Other-Id' });
    expect(snapshot.get('org-a').requestIdHeader).toBe('X-Other-Id');
    expect(snapshot.get('org-b')).toBe(DEFAULT_EDGE_SETTINGS);
  });
});
