import { Actor, DEFAULT_SETTINGS, MAX_MEDIA_MAX_BASE64_BYTES, SettingsEvent, SettingsPatch } from '@keywarden/contracts';
import { DeciderSpecification } from '@keywarden/event-store/testing';
import { decide, fold, SettingsCommand } from './settings.decider';
import { SettingsError } from './settings.errors';

const ORG = 'acme';
const admin: Actor = { sub: 'u-1', email: 'admin@acme.test' };
const operator: Actor = { sub: 'ops-1', email: 'ops@keywarden.test' };
const NOW = '2026-01-01T00:00:00.000Z';

const change = (patch: SettingsPatch, by: 'admin' | 'operator' = 'admin', now = NOW): SettingsCommand => ({
  type: 'ChangeSettings',
  data: { orgId: ORG, patch },
  metadata: { now, actor: by === 'admin' ? admin : operator, isOperator: by === 'operator' },
});

const changed = (changes: SettingsPatch, actor: Actor = admin, changedAt = NOW): SettingsEvent => ({
  type: 'SettingsChanged',
  data: { orgId: ORG, changes, changedAt, actor },
});

const given = DeciderSpecification.for({ decide, fold: (events: readonly SettingsEvent[]) => fold(events) }, SettingsError);

describe('settings decider', () => {
  describe('state', () => {
    it('starts from the defaults of API.md and folds each change over them', () => {
      expect(fold([]).settings).toEqual(DEFAULT_SETTINGS);
      expect(fold([]).updatedAt).toBeNull();
      const state = fold([changed({ rotationIntervalDays: 90 }), changed({ isoUtcTimestamps: true }, operator, '2026-01-02T00:00:00.000Z')]);
      expect(state.settings).toEqual({ ...DEFAULT_SETTINGS, rotationIntervalDays: 90, isoUtcTimestamps: true });
      expect(state).toMatchObject({ updatedAt: '2026-01-02T00:00:00.000Z', updatedBy: operator });
    });
  });

  describe('a change', () => {
    it('records only the fields whose value changes, with the actor and the time', () => {
      given([changed({ rotationIntervalDays: 90 })])
        .when(change({ rotationIntervalDays: 90, defaultGraceDays: 7, isoUtcTimestamps: false }))
        .then([changed({ defaultGraceDays: 7 })]);
    });

    it('records nothing when nothing changes: an empty patch, or the current values sent back', () => {
      given([]).when(change({})).thenNothingHappened();
      given([]).when(change({ ...DEFAULT_SETTINGS })).thenNothingHappened();
      given([changed({ notificationEmails: ['a@acme.test', 'b@acme.test'] })])
        .when(change({ notificationEmails: ['a@acme.test', 'b@acme.test'] }))
        .thenNothingHappened();
    });

    it('treats a reordered address list as a change', () => {
      given([changed({ notificationEmails: ['a@acme.test', 'b@acme.test'] })])
        .when(change({ notificationEmails: ['b@acme.test', 'a@acme.test'] }))
        .then([changed({ notificationEmails: ['b@acme.test', 'a@acme.test'] })]);
    });

    it('accepts every field at its bounds', () => {
      given([])
        .when(change({ isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id', rotationIntervalDays: 1, defaultGraceDays: 0, expiryNoticeDays: 90, notificationEmails: [] }))
        .then([changed({ isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id', rotationIntervalDays: 1, defaultGraceDays: 0, expiryNoticeDays: 90 })]);
      given([]).when(change({ rotationIntervalDays: 365, defaultGraceDays: 30, expiryNoticeDays: 1 })).then([changed({ expiryNoticeDays: 1 })]);
    });
  });

  describe('validation: every field, with a message that says what is allowed', () => {
    it.each<[string, SettingsPatch, RegExp]>([
      ['isoUtcTimestamps not a boolean', { isoUtcTimestamps: 'yes' as unknown as boolean }, /isoUtcTimestamps must be true or false/],
      ['rotationIntervalDays 0', { rotationIntervalDays: 0 }, /rotationIntervalDays must be a whole number of days from 1 to 365 \(got 0\)/],
      ['rotationIntervalDays 366', { rotationIntervalDays: 366 }, /from 1 to 365 \(got 366\)/],
      ['rotationIntervalDays 1.5', { rotationIntervalDays: 1.5 }, /from 1 to 365 \(got 1.5\)/],
      ['defaultGraceDays -1', { defaultGraceDays: -1 }, /defaultGraceDays must be a whole number of days from 0 to 30/],
      ['defaultGraceDays 31', { defaultGraceDays: 31 }, /defaultGraceDays .* from 0 to 30 \(got 31\)/],
      ['expiryNoticeDays 0', { expiryNoticeDays: 0 }, /expiryNoticeDays must be a whole number of days from 1 to 90/],
      ['expiryNoticeDays 91', { expiryNoticeDays: 91 }, /expiryNoticeDays .* \(got 91\)/],
      ['a malformed address', { notificationEmails: ['ops@acme.test', 'not-an-address'] }, /notificationEmails\[1\] is not a valid email address/],
      ['an address with a display name', { notificationEmails: ['Ops <ops@acme.test>'] }, /notificationEmails\[0\] is not a valid email address/],
      ['an address without a domain', { notificationEmails: ['ops@'] }, /notificationEmails\[0\]/],
      ['a duplicate address', { notificationEmails: ['ops@acme.test', 'OPS@acme.test'] }, /lists OPS@acme.test more than once/],
      ['51 addresses', { notificationEmails: Array.from({ length: 51 }, (_, i) => `ops${i}@acme.test`) }, /at most 50 addresses \(got 51\)/],
      ['an empty header name', { requestIdHeader: '' }, /requestIdHeader must be an HTTP header name/],
      ['a header name with a space', { requestIdHeader: 'X Request Id' }, /requestIdHeader must be an HTTP header name/],
      ['a header name with a colon', { requestIdHeader: 'X-Id:' }, /requestIdHeader must be an HTTP header name/],
      ['a header name with a non-ASCII letter', { requestIdHeader: 'X-Requête' }, /requestIdHeader must be an HTTP header name/],
      ['a header name of 65 characters', { requestIdHeader: `X-${'a'.repeat(63)}` }, /1 to 64/],
      ['a header name with CR LF', { requestIdHeader: 'X-Id\r\nSet-Cookie' }, /requestIdHeader must be an HTTP header name/],
    ])('refuses %s with INVALID_SETTINGS', (_case, patch, message) => {
      given([]).when(change(patch)).thenRefuses('INVALID_SETTINGS', message);
    });

    it.each([
      'Authorization',
      'cookie',
      'Host',
      'Content-Length',
      'Transfer-Encoding',
      'Connection',
      'Keep-Alive',
      'Proxy-Authenticate',
      'Proxy-Authorization',
      'TE',
      'Trailer',
      'upgrade',
    ])('refuses the reserved header %s as the request id header', (header) => {
      given([]).when(change({ requestIdHeader: header })).thenRefuses('INVALID_SETTINGS', new RegExp(`cannot be ${header}: that header (carries credentials|controls the connection)`));
    });

    it.each(['X-Keywarden-Org', 'x-keywarden-request-id'])('refuses %s: the X-Keywarden- prefix is Keywarden’s own', (header) => {
      given([]).when(change({ requestIdHeader: header })).thenRefuses('INVALID_SETTINGS', /cannot start with X-Keywarden-/);
    });

    it.each(['X-Customer-Request-Id', 'X-Request-ID', 'traceparent', 'X-Correlation_Id', "x-weird!#$%&'*+.^`|~"])('accepts the header name %s', (header) => {
      expect(decide(change({ requestIdHeader: header }), fold([]))).toHaveLength(header === 'X-Customer-Request-Id' ? 0 : 1);
    });

    it('lists every problem of a change at once and records none of it', () => {
      let error: SettingsError | undefined;
      try {
        decide(change({ rotationIntervalDays: 0, defaultGraceDays: 99, isoUtcTimestamps: true }), fold([]));
      } catch (e) {
        error = e as SettingsError;
      }
      expect(error?.details).toEqual({ problems: [expect.stringMatching(/rotationIntervalDays/), expect.stringMatching(/defaultGraceDays/)] });
    });

    it('accepts 50 addresses', () => {
      const emails = Array.from({ length: 50 }, (_, i) => `ops${i}@acme.test`);
      given([]).when(change({ notificationEmails: emails })).then([changed({ notificationEmails: emails })]);
    });
  });

  describe('mediaMaxBase64Bytes: operators only', () => {
    it('refuses a change by an admin with OPERATOR_ONLY_SETTING, telling them to contact their CS representative', () => {
      given([]).when(change({ mediaMaxBase64Bytes: 20 * 1024 * 1024 })).thenRefuses('OPERATOR_ONLY_SETTING', /contact your CS representative/);
    });

    it('refuses the whole change, not only the operator-only field', () => {
      given([]).when(change({ mediaMaxBase64Bytes: 1, rotationIntervalDays: 30 })).thenRefuses('OPERATOR_ONLY_SETTING', /mediaMaxBase64Bytes/);
    });

    it('lets an admin send back the current value (a GET body round trip) without a change', () => {
      given([changed({ mediaMaxBase64Bytes: 50 * 1024 * 1024 }, operator)])
        .when(change({ mediaMaxBase64Bytes: 50 * 1024 * 1024, rotationIntervalDays: 30 }))
        .then([changed({ rotationIntervalDays: 30 })]);
    });

    it('lets an operator change it up to the platform maximum of 100 MiB', () => {
      given([]).when(change({ mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES }, 'operator')).then([changed({ mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES }, operator)]);
      given([]).when(change({ mediaMaxBase64Bytes: 1 }, 'operator')).then([changed({ mediaMaxBase64Bytes: 1 }, operator)]);
    });

    it.each([0, -5, 1.5, MAX_MEDIA_MAX_BASE64_BYTES + 1])('refuses %p bytes even from an operator', (bytes) => {
      given([]).when(change({ mediaMaxBase64Bytes: bytes }, 'operator')).thenRefuses('INVALID_SETTINGS', /mediaMaxBase64Bytes must be a whole number of bytes from 1 to 104857600/);
    });
  });
});
