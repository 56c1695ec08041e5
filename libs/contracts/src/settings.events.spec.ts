import { DEFAULT_SETTINGS } from './settings';
import { parseOrgSettings, parseSettingsEvent } from './settings.events';
import { MAX_MEDIA_MAX_BASE64_BYTES } from './settings.rules';
import { ContractViolation } from './validation';

const actor = { sub: 'u-1', email: 'admin@acme.test' };
const event = (changes: unknown) => ({ orgId: 'acme', changes, changedAt: '2026-01-01T00:00:00.000Z', actor });

describe('settings contracts', () => {
  describe('parseSettingsEvent', () => {
    it('accepts a SettingsChanged with any subset of valid fields', () => {
      expect(parseSettingsEvent('SettingsChanged', event({ rotationIntervalDays: 90, notificationEmails: ['a@acme.test'] }))).toEqual({
        type: 'SettingsChanged',
        data: event({ rotationIntervalDays: 90, notificationEmails: ['a@acme.test'] }),
      });
    });

    it.each([
      ['no change at all', event({})],
      ['an unknown field', event({ color: 'red' })],
      ['a value out of range', event({ defaultGraceDays: 31 })],
      ['a reserved header', event({ requestIdHeader: 'Cookie' })],
      ['a bad address', event({ notificationEmails: ['nope'] })],
      ['a missing actor', { orgId: 'acme', changes: { isoUtcTimestamps: true }, changedAt: '2026-01-01T00:00:00.000Z' }],
      ['a bad instant', { ...event({ isoUtcTimestamps: true }), changedAt: 'yesterday' }],
    ])('refuses %s as a contract violation', (_case, data) => {
      expect(() => parseSettingsEvent('SettingsChanged', data)).toThrow(ContractViolation);
    });

    it('refuses an event type that is not a settings event', () => {
      expect(() => parseSettingsEvent('KeyIssued', event({ isoUtcTimestamps: true }))).toThrow(/is not a settings event/);
    });
  });

  describe('parseOrgSettings (the settings topic payload)', () => {
    it('accepts the full settings and returns exactly the known fields', () => {
      expect(parseOrgSettings({ ...DEFAULT_SETTINGS, mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES, later: 1 })).toEqual({
        ...DEFAULT_SETTINGS,
        mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES,
      });
    });

    it.each([
      ['a missing field', (({ expiryNoticeDays: _omitted, ...rest }) => rest)(DEFAULT_SETTINGS)],
      ['a media limit over the platform maximum', { ...DEFAULT_SETTINGS, mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES + 1 }],
      ['a header of Keywarden’s own', { ...DEFAULT_SETTINGS, requestIdHeader: 'X-Keywarden-Org' }],
      ['51 addresses', { ...DEFAULT_SETTINGS, notificationEmails: Array.from({ length: 51 }, (_, i) => `a${i}@acme.test`) }],
      ['not an object', 'settings'],
    ])('refuses %s', (_case, data) => {
      expect(() => parseOrgSettings(data)).toThrow(ContractViolation);
    });
  });
});
