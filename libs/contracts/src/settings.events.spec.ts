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
      ['a header name that is not a token', event({ requestIdHeader: 'X Request' })],
      ['a bad address', event({ notificationEmails: ['nope'] })],
      ['a missing actor', { orgId: 'acme', changes: { isoUtcTimestamps: true }, changedAt: '2026-01-01T00:00:00.000Z' }],
      ['a bad instant', { ...event({ isoUtcTimestamps: true }), changedAt: 'yesterday' }],
    ])('refuses %s as a contract violation', (_case, data) => {
      expect(() => parseSettingsEvent('SettingsChanged', data)).toThrow(ContractViolation);
    });

    it('reads a recorded change to a header name reserved since as a change back to the default header', () => {
      for (const header of ['Set-Cookie', 'X-Forwarded-For', 'Cookie']) {
        expect(parseSettingsEvent('SettingsChanged', event({ requestIdHeader: header, expiryNoticeDays: 14 })).data.changes).toEqual({
          requestIdHeader: 'X-Customer-Request-Id',
          expiryNoticeDays: 14,
        });
      }
      expect(parseSettingsEvent('SettingsChanged', event({ requestIdHeader: 'X-Trace-Id' })).data.changes).toEqual({ requestIdHeader: 'X-Trace-Id' });
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
      ['a header that would set a cookie', { ...DEFAULT_SETTINGS, requestIdHeader: 'Set-Cookie' }],
      ['51 addresses', { ...DEFAULT_SETTINGS, notificationEmails: Array.from({ length: 51 }, (_, i) => `a${i}@acme.test`) }],
      ['not an object', 'settings'],
    ])('refuses %s', (_case, data) => {
      expect(() => parseOrgSettings(data)).toThrow(ContractViolation);
    });
  });
});
