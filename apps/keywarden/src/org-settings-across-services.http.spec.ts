import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';

// The settings service's changes reach the other services through the settings topic (here the
// in-process bus of the embedded mode), and the request id of one admin call reaches every log
// line it causes (seed E).
describe('organisation settings across services (embedded)', () => {
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let orgCounter = 0;

  beforeAll(async () => {
    // Debug, so that the relay's per-event line is captured too.
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z', env: { LOG_LEVEL: 'debug' } });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry);
    registry = request(harness.url('key-registry'));
    settings = request(harness.url('settings'));
  });

  afterAll(async () => harness.stop());

  const newOrg = async () => {
    const org = `across-${++orgCounter}`;
    return { org, auth: { Authorization: `Bearer ${await harness.token(org)}` } };
  };
  const linesWith = (requestId: string) => harness.logs.parsed().filter((l) => l.requestId === requestId);
  const changeSettings = async (org: string, auth: Record<string, string>, body: object) => {
    await settings.patch(`/v1/orgs/${org}/settings`).set(auth).send(body).expect(200);
    const reader = await harness.infra.orgSettings();
    const [field, value] = Object.entries(body)[0];
    await waitFor(() => JSON.stringify(reader.current(org)[field as 'isoUtcTimestamps']) === JSON.stringify(value), { description: `${field} in the reader` });
  };

  describe('the registry uses the organisation’s settings', () => {
    it('issues keys for the rotation interval and revokes with the default grace', async () => {
      const { org, auth } = await newOrg();
      await changeSettings(org, auth, { rotationIntervalDays: 90, defaultGraceDays: 7 });
      const issued = (await registry.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body;
      expect(issued.key.expiresAt).toBe(new Date(Date.parse('2026-03-01T10:00:00Z') + 90 * DAY_MS).toISOString().slice(0, 19));
      const revoked = (await registry.post(`/v1/orgs/${org}/keys/${issued.key.keyId}/revoke`).set(auth).send({}).expect(200)).body;
      expect(revoked.revoked.graceEndsAt).toBe('2026-03-08T10:00:00');
      expect(revoked.issued.expiresAt).toBe(issued.key.expiresAt);
    });

    it('keeps the defaults of API.md for an organisation that never changed its settings', async () => {
      const { org, auth } = await newOrg();
      const issued = (await registry.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body;
      expect(issued.key.expiresAt).toBe('2027-03-01T10:00:00');
      const revoked = (await registry.post(`/v1/orgs/${org}/keys/${issued.key.keyId}/revoke`).set(auth).send({}).expect(200)).body;
      expect(revoked.revoked.graceEndsAt).toBe('2026-03-31T10:00:00');
    });
  });

  describe('request ids (seed E)', () => {
    it('one admin call with X-Customer-Request-Id: its value is in the log lines of the registry (HTTP and relay) and of the projection', async () => {
      const { org, auth } = await newOrg();
      const requestId = `cust-${Date.now()}-issue`;
      const res = await registry.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Customer-Request-Id', requestId).send({}).expect(201);
      expect(res.headers['x-customer-request-id']).toBe(requestId);

      const lines = await waitFor(
        () => {
          const found = linesWith(requestId);
          const http = found.some((l) => l.service === 'key-registry' && l.msg === 'request completed');
          const relay = found.some((l) => l.service === 'key-registry' && l.msg === 'relayed' && l.type === 'KeyIssued');
          const projection = found.some((l) => l.service === 'key-cache-projection' && l.msg === 'lifecycle event projected' && l.type === 'KeyIssued');
          return http && relay && projection ? found : null;
        },
        { description: `log lines of the registry, its relay and the projection with ${requestId}` },
      );
      expect(lines.every((l) => l.orgId === org)).toBe(true);
    });

    it('a settings change carries its request id to the settings relay and to the readers that apply it', async () => {
      const { org, auth } = await newOrg();
      const requestId = `cust-${Date.now()}-settings`;
      await settings.patch(`/v1/orgs/${org}/settings`).set(auth).set('X-Customer-Request-Id', requestId).send({ expiryNoticeDays: 14 }).expect(200);
      await waitFor(
        () => {
          const found = linesWith(requestId);
          return (
            found.some((l) => l.service === 'settings' && l.msg === 'request completed') &&
            found.some((l) => l.service === 'settings' && l.msg === 'relayed') &&
            found.some((l) => l.msg === 'organisation settings applied')
          );
        },
        { description: `the settings service, its relay and the reader logging ${requestId}` },
      );
    });

    it('after the organisation renames its header, the registry takes the id from the new header only, through the relay and the projection', async () => {
      const { org, auth } = await newOrg();
      await changeSettings(org, auth, { requestIdHeader: 'X-Trace-Id' });
      const requestId = `trace-${Date.now()}`;
      const res = await registry.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Trace-Id', requestId).set('X-Customer-Request-Id', 'ignored-now').send({}).expect(201);
      expect(res.headers['x-trace-id']).toBe(requestId);
      expect(res.headers['x-customer-request-id']).toBeUndefined();
      await waitFor(
        () => {
          const found = linesWith(requestId);
          return found.some((l) => l.msg === 'relayed') && found.some((l) => l.service === 'key-cache-projection');
        },
        { description: `the relay and the projection logging ${requestId}` },
      );
      expect(linesWith('ignored-now')).toEqual([]);
    });

    it('refuses a malformed request id with 400 before doing anything, and never logs it', async () => {
      const { org, auth } = await newOrg();
      const tooLong = 'r'.repeat(129);
      const res = await registry.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Customer-Request-Id', tooLong).send({}).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/1 to 128 printable ASCII characters/) });
      await registry.post(`/v1/orgs/${org}/keys?customerRequestId=${encodeURIComponent('bad\nid')}`).set(auth).send({}).expect(400);
      await registry.post(`/v1/orgs/${org}/keys?customerRequestId=${encodeURIComponent('tab\there')}`).set(auth).send({}).expect(400);
      await registry.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Customer-Request-Id', 'r\u00e9sum\u00e9').send({}).expect(400);
      expect((await registry.get(`/v1/orgs/${org}/keys`).set(auth).expect(200)).body.keys).toEqual([]);
      expect(harness.logs.text).not.toContain(tooLong);
      // 128 characters is fine, and the customerRequestId parameter is the alternative to the header.
      const ok = await registry.get(`/v1/orgs/${org}/keys?customerRequestId=${'q'.repeat(128)}`).set(auth).expect(200);
      expect(ok.headers['x-customer-request-id']).toBe('q'.repeat(128));
    });
  });
});
