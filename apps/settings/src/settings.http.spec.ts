import { rmSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DEFAULT_SETTINGS, MAX_MEDIA_MAX_BASE64_BYTES, settingsStream, Topics } from '@keywarden/contracts';
import { EventStore, RecordedEvent } from '@keywarden/event-store';
import { IncomingMessage } from '@keywarden/messaging';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startSettings } from './settings.service';

// HTTP tests of the settings service on the embedded adapters (SQLite, in-process bus), through
// real HTTP, with the harness's manual clock.
describe('settings HTTP API', () => {
  let harness: EmbeddedHarness;
  let api: ReturnType<typeof request>;
  let store: EventStore;
  let org = '';
  let token = '';
  let orgCounter = 0;
  // Every message of the settings topic, as a consumer reading it from the beginning sees it
  // (the topic is compacted: reading the retained log back would show only the latest per key).
  const topic: IncomingMessage[] = [];

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await harness.start(startSettings);
    api = request(harness.url('settings'));
    store = harness.infra.eventStore();
    await harness.infra.messageBus().subscribe({
      groupId: 'settings-http-spec',
      topics: [Topics.settings],
      fromBeginning: true,
      handler: async (message) => void topic.push(message),
    });
  });

  afterAll(async () => harness.stop());

  beforeEach(async () => {
    org = `settings-org-${++orgCounter}`;
    token = await harness.token(org);
  });

  const auth = (t = token) => ({ Authorization: `Bearer ${t}` });
  const get = async () => (await api.get(`/v1/orgs/${org}/settings`).set(auth()).expect(200)).body as Record<string, unknown>;
  const patch = (body: unknown, t = token) => api.patch(`/v1/orgs/${org}/settings`).set(auth(t)).send(body as object);
  const recorded = (): Promise<RecordedEvent[]> => store.readStream(settingsStream(org));
  const published = () => topic.filter((m) => m.key === org);
  const operatorToken = () => harness.token('platform', 'operator', 'ops@keywarden.test');

  describe('authentication and scope', () => {
    it('refuses a request without a token with 401', async () => {
      await api.get(`/v1/orgs/${org}/settings`).expect(401);
      await api.patch(`/v1/orgs/${org}/settings`).send({ isoUtcTimestamps: true }).expect(401);
    });

    it('refuses an admin of another organisation with 403 and changes nothing', async () => {
      const other = await harness.token('someone-else');
      expect((await api.get(`/v1/orgs/${org}/settings`).set(auth(other))).status).toBe(403);
      const res = await patch({ isoUtcTimestamps: true }, other).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect(await recorded()).toEqual([]);
    });

    it('refuses a malformed organisation id with 400', async () => {
      await api.get('/v1/orgs/bad%20org/settings').set(auth(await operatorToken())).expect(400);
    });
  });

  describe('GET', () => {
    it('returns the defaults of API.md for an organisation that changed nothing, the media limit included', async () => {
      expect(await get()).toEqual({ ...DEFAULT_SETTINGS, updatedAt: null });
      expect(DEFAULT_SETTINGS).toEqual({
        isoUtcTimestamps: false,
        requestIdHeader: 'X-Customer-Request-Id',
        rotationIntervalDays: 365,
        defaultGraceDays: 30,
        expiryNoticeDays: 30,
        notificationEmails: [],
        mediaMaxBase64Bytes: 10 * 1024 * 1024,
        leakedKeyAction: 'revoke',
      });
    });
  });

  describe('PATCH', () => {
    it('changes any subset, answers with the full settings, and records one SettingsChanged with the changes and the actor', async () => {
      const res = await patch({ rotationIntervalDays: 90, notificationEmails: ['ops@acme.test'] }).expect(200);
      expect(res.body).toEqual({ ...DEFAULT_SETTINGS, rotationIntervalDays: 90, notificationEmails: ['ops@acme.test'], updatedAt: '2026-03-01T10:00:00' });
      expect(await get()).toEqual(res.body);
      const events = await recorded();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'SettingsChanged',
        data: {
          orgId: org,
          changes: { rotationIntervalDays: 90, notificationEmails: ['ops@acme.test'] },
          changedAt: '2026-03-01T10:00:00.000Z',
          actor: { sub: expect.any(String), email: `admin@${org}.test` },
        },
      });
    });

    it('answers in the new date-time format as soon as isoUtcTimestamps is switched', async () => {
      expect((await patch({ isoUtcTimestamps: true }).expect(200)).body.updatedAt).toBe('2026-03-01T10:00:00Z');
      expect((await get()).updatedAt).toBe('2026-03-01T10:00:00Z');
      expect((await patch({ isoUtcTimestamps: false }).expect(200)).body.updatedAt).toBe('2026-03-01T10:00:00');
    });

    it('records nothing and publishes nothing when nothing changes', async () => {
      await patch({ defaultGraceDays: 10 }).expect(200);
      await waitFor(() => published().length === 1, { description: 'the first change on the topic' });
      const before = await get();
      for (const body of [{}, { defaultGraceDays: 10 }, { ...DEFAULT_SETTINGS, defaultGraceDays: 10 }]) {
        expect((await patch(body).expect(200)).body).toEqual(before);
      }
      expect(await recorded()).toHaveLength(1);
      // A change after them is published next: nothing was queued in between.
      await patch({ defaultGraceDays: 11 }).expect(200);
      await waitFor(() => published().length === 2, { description: 'the second change on the topic' });
      expect(published().map((m) => JSON.parse(m.value).defaultGraceDays)).toEqual([10, 11]);
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['isoUtcTimestamps as a string', { isoUtcTimestamps: 'true' }, /isoUtcTimestamps must be a boolean/],
      ['rotationIntervalDays 0', { rotationIntervalDays: 0 }, /rotationIntervalDays must be a whole number of days from 1 to 365 \(got 0\)/],
      ['rotationIntervalDays 366', { rotationIntervalDays: 366 }, /rotationIntervalDays .* from 1 to 365 \(got 366\)/],
      ['rotationIntervalDays as a string', { rotationIntervalDays: '90' }, /rotationIntervalDays must be an integer/],
      ['defaultGraceDays -1', { defaultGraceDays: -1 }, /defaultGraceDays must be a whole number of days from 0 to 30/],
      ['defaultGraceDays 31', { defaultGraceDays: 31 }, /defaultGraceDays .* \(got 31\)/],
      ['defaultGraceDays 2.5', { defaultGraceDays: 2.5 }, /defaultGraceDays must be an integer/],
      ['expiryNoticeDays 0', { expiryNoticeDays: 0 }, /expiryNoticeDays must be a whole number of days from 1 to 90/],
      ['expiryNoticeDays 91', { expiryNoticeDays: 91 }, /expiryNoticeDays .* \(got 91\)/],
      ['notificationEmails with a bad address', { notificationEmails: ['ops@acme.test', 'nope'] }, /notificationEmails\[1\] is not a valid email address/],
      ['notificationEmails with 51 addresses', { notificationEmails: Array.from({ length: 51 }, (_, i) => `a${i}@acme.test`) }, /at most 50 addresses/],
      ['notificationEmails as a string', { notificationEmails: 'ops@acme.test' }, /notificationEmails must be an array/],
      ['notificationEmails with a number', { notificationEmails: [42] }, /each value in notificationEmails must be a string/],
      ['requestIdHeader with a space', { requestIdHeader: 'X Request' }, /requestIdHeader must be an HTTP header name/],
      ['requestIdHeader Authorization', { requestIdHeader: 'Authorization' }, /requestIdHeader cannot be Authorization/],
      ['requestIdHeader Cookie', { requestIdHeader: 'Cookie' }, /requestIdHeader cannot be Cookie/],
      ['requestIdHeader Host', { requestIdHeader: 'host' }, /cannot be host/],
      ['requestIdHeader Content-Length', { requestIdHeader: 'Content-Length' }, /cannot be Content-Length/],
      ['requestIdHeader Transfer-Encoding', { requestIdHeader: 'Transfer-Encoding' }, /cannot be Transfer-Encoding/],
      ['requestIdHeader Connection', { requestIdHeader: 'Connection' }, /cannot be Connection/],
      ['requestIdHeader Keep-Alive', { requestIdHeader: 'Keep-Alive' }, /cannot be Keep-Alive/],
      ['requestIdHeader Proxy-Authorization', { requestIdHeader: 'Proxy-Authorization' }, /cannot be Proxy-Authorization/],
      ['requestIdHeader Proxy-Authenticate', { requestIdHeader: 'Proxy-Authenticate' }, /cannot be Proxy-Authenticate/],
      ['requestIdHeader TE', { requestIdHeader: 'TE' }, /cannot be TE/],
      ['requestIdHeader Trailer', { requestIdHeader: 'Trailer' }, /cannot be Trailer/],
      ['requestIdHeader Upgrade', { requestIdHeader: 'Upgrade' }, /cannot be Upgrade/],
      ['requestIdHeader X-Keywarden-Org', { requestIdHeader: 'X-Keywarden-Org' }, /cannot start with X-Keywarden-/],
      ['requestIdHeader Set-Cookie', { requestIdHeader: 'Set-Cookie' }, /requestIdHeader cannot be Set-Cookie: that header carries credentials or cookies.*echoed on the response/],
      ['requestIdHeader Proxy-Connection', { requestIdHeader: 'Proxy-Connection' }, /cannot be Proxy-Connection: that header controls the connection/],
      ['requestIdHeader X-Forwarded-For', { requestIdHeader: 'X-Forwarded-For' }, /cannot be X-Forwarded-For: that header is set by the proxy/],
      ['requestIdHeader Forwarded', { requestIdHeader: 'Forwarded' }, /cannot be Forwarded: that header is set by the proxy/],
      ['requestIdHeader Via', { requestIdHeader: 'Via' }, /cannot be Via/],
      ['requestIdHeader Expect', { requestIdHeader: 'Expect' }, /cannot be Expect/],
      ['requestIdHeader Content-Type', { requestIdHeader: 'Content-Type' }, /cannot be Content-Type: that header controls the connection or the framing/],
      ['requestIdHeader Location', { requestIdHeader: 'Location' }, /cannot be Location: that header has a meaning to browsers/],
      ['requestIdHeader WWW-Authenticate', { requestIdHeader: 'WWW-Authenticate' }, /cannot be WWW-Authenticate/],
      ['requestIdHeader Sec-Fetch-Site', { requestIdHeader: 'Sec-Fetch-Site' }, /cannot be Sec-Fetch-Site/],
      ['requestIdHeader Access-Control-Allow-Origin', { requestIdHeader: 'Access-Control-Allow-Origin' }, /cannot be Access-Control-Allow-Origin/],
      ['requestIdHeader Origin', { requestIdHeader: 'Origin' }, /cannot be Origin/],
      ['requestIdHeader as a number', { requestIdHeader: 7 }, /requestIdHeader must be a string/],
      ['a null value', { rotationIntervalDays: null }, /rotationIntervalDays must be an integer/],
      ['an unknown field', { color: 'red' }, /property color should not exist/],
      ['a valid field next to an invalid one', { isoUtcTimestamps: true, expiryNoticeDays: 500 }, /expiryNoticeDays/],
    ])('refuses %s with 400, a message that says what is allowed, and changes nothing', async (_case, body, message) => {
      const res = await patch(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toMatch(message);
      expect(await recorded()).toEqual([]);
      expect(await get()).toEqual({ ...DEFAULT_SETTINGS, updatedAt: null });
    });

    it('refuses a body that is not a JSON object with 400', async () => {
      await api.patch(`/v1/orgs/${org}/settings`).set(auth()).set('Content-Type', 'application/json').send('{"isoUtcTimestamps":').expect(400);
      await api.patch(`/v1/orgs/${org}/settings`).set(auth()).set('Content-Type', 'application/json').send('[{"isoUtcTimestamps":true}]').expect(400);
      expect(await recorded()).toEqual([]);
    });
  });

  describe('mediaMaxBase64Bytes: shown to admins, changed by operators only', () => {
    it('refuses an admin with 403 and a message to contact their CS representative; nothing changes', async () => {
      const res = await patch({ mediaMaxBase64Bytes: 50 * 1024 * 1024, rotationIntervalDays: 30 }).expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden', details: { code: 'OPERATOR_ONLY_SETTING', fields: ['mediaMaxBase64Bytes'] } });
      expect(res.body.message).toMatch(/contact your CS representative/);
      expect(await recorded()).toEqual([]);
      expect(await get()).toEqual({ ...DEFAULT_SETTINGS, updatedAt: null });
    });

    it('lets an operator raise it up to the platform maximum, and the admin then sees the new limit', async () => {
      const ops = await operatorToken();
      const res = await patch({ mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES }, ops).expect(200);
      expect(res.body.mediaMaxBase64Bytes).toBe(MAX_MEDIA_MAX_BASE64_BYTES);
      expect((await get()).mediaMaxBase64Bytes).toBe(MAX_MEDIA_MAX_BASE64_BYTES);
      expect((await recorded())[0].data).toMatchObject({ actor: { email: 'ops@keywarden.test' } });
      const tooBig = await patch({ mediaMaxBase64Bytes: MAX_MEDIA_MAX_BASE64_BYTES + 1 }, ops).expect(400);
      expect(tooBig.body.message).toMatch(/from 1 to 104857600/);
    });

    it('lets an admin send back the whole settings they read: the unchanged limit is not a change', async () => {
      const current = await get();
      delete current.updatedAt;
      const res = await patch({ ...current, expiryNoticeDays: 14 }).expect(200);
      expect(res.body).toMatchObject({ expiryNoticeDays: 14, mediaMaxBase64Bytes: DEFAULT_SETTINGS.mediaMaxBase64Bytes });
      expect((await recorded())[0].data).toMatchObject({ changes: { expiryNoticeDays: 14 } });
    });
  });

  describe('concurrency', () => {
    it('refuses a change that raced another with 409 and a message to retry; the other change is kept', async () => {
      // Another writer appends between this request's read and its append.
      const readStream = store.readStream.bind(store);
      const spy = jest.spyOn(store, 'readStream').mockImplementationOnce(async (streamId) => {
        const events = await readStream(streamId);
        await store.appendToStream(
          streamId,
          [{ eventId: crypto.randomUUID(), type: 'SettingsChanged', data: { orgId: org, changes: { expiryNoticeDays: 7 }, changedAt: '2026-03-01T09:59:00.000Z', actor: { sub: 'other', email: null } } }],
          'any',
        );
        return events;
      });
      try {
        const res = await patch({ expiryNoticeDays: 60 }).expect(409);
        expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: { code: 'CONCURRENT_CHANGE' } });
        expect(res.body.message).toMatch(/retry/);
      } finally {
        spy.mockRestore();
      }
      expect((await get()).expiryNoticeDays).toBe(7);
      expect(await recorded()).toHaveLength(1);
      // The retry, on fresh state, succeeds.
      expect((await patch({ expiryNoticeDays: 60 }).expect(200)).body.expiryNoticeDays).toBe(60);
    });

    it('of simultaneous changes, each is either recorded or refused with 409, never lost', async () => {
      const results = await Promise.all([5, 6, 7, 8, 9, 10].map((days) => patch({ defaultGraceDays: days })));
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const won = results.filter((r) => r.status === 200).map((r) => r.body.defaultGraceDays as number);
      const events = await recorded();
      expect(events.map((e) => (e.data as { changes: { defaultGraceDays: number } }).changes.defaultGraceDays).sort()).toEqual([...won].sort());
    });
  });

  describe('publishing', () => {
    it('publishes the full settings to the compacted topic, keyed by organisation, with the envelope and the request id', async () => {
      await patch({ isoUtcTimestamps: true }).set('X-Customer-Request-Id', 'settings-req-1').expect(200);
      await patch({ requestIdHeader: 'X-Trace-Id' }).set('X-Customer-Request-Id', 'settings-req-2').expect(200);
      const messages = await waitFor(() => (published().length === 2 ? published() : null), { description: 'two settings messages' });
      expect(JSON.parse(messages[1].value)).toEqual({ ...DEFAULT_SETTINGS, isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id' });
      expect(JSON.parse(messages[0].value)).toEqual({ ...DEFAULT_SETTINGS, isoUtcTimestamps: true });
      expect(messages[1].headers).toMatchObject({
        ce_type: 'OrgSettings',
        ce_source: 'keywarden/settings',
        ce_subject: org,
        ce_streamid: settingsStream(org),
        ce_streamrevision: '1',
        ce_schemaversion: '1',
        ce_correlationid: 'settings-req-2',
      });
      // The process's settings reader follows the topic.
      const reader = await harness.infra.orgSettings();
      await waitFor(() => reader.current(org).requestIdHeader === 'X-Trace-Id', { description: 'the reader to see the new header' });
      expect(await reader.get(org)).toEqual({ ...DEFAULT_SETTINGS, isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id' });
    });
  });

  describe('request ids', () => {
    it('echoes the request id and refuses a malformed one with 400 before doing anything', async () => {
      const ok = await patch({ expiryNoticeDays: 20 }).set('X-Customer-Request-Id', 'abc-123').expect(200);
      expect(ok.headers['x-customer-request-id']).toBe('abc-123');
      const tooLong = await patch({ expiryNoticeDays: 21 }).set('X-Customer-Request-Id', 'x'.repeat(129)).expect(400);
      expect(tooLong.body.message).toMatch(/X-Customer-Request-Id header or customerRequestId parameter/);
      await api.patch(`/v1/orgs/${org}/settings?customerRequestId=${encodeURIComponent('a\u0007b')}`).set(auth()).send({ expiryNoticeDays: 22 }).expect(400);
      await patch({ expiryNoticeDays: 23 }).set('X-Customer-Request-Id', 'has space').expect(400);
      expect((await get()).expiryNoticeDays).toBe(20);
    });

    it('never sets a cookie chosen by a link’s author: Set-Cookie cannot become the request-id header', async () => {
      const refused = await patch({ requestIdHeader: 'Set-Cookie' }).expect(400);
      expect(refused.body.message).toMatch(/requestIdHeader cannot be Set-Cookie/);
      const res = await api.get(`/v1/orgs/${org}/settings?customerRequestId=${encodeURIComponent('sid=x;Path=/')}`).set(auth());
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await get()).requestIdHeader).toBe('X-Customer-Request-Id');
    });

    it('reads a header recorded before its name was reserved as the default header, and still accepts changes', async () => {
      await store.appendToStream(
        settingsStream(org),
        [{ eventId: crypto.randomUUID(), type: 'SettingsChanged', data: { orgId: org, changes: { requestIdHeader: 'X-Forwarded-For' }, changedAt: '2026-03-01T09:00:00.000Z', actor: { sub: 'old', email: null } } }],
        'any',
      );
      expect((await get()).requestIdHeader).toBe('X-Customer-Request-Id');
      expect((await patch({ requestIdHeader: 'X-Trace-Id' }).expect(200)).body.requestIdHeader).toBe('X-Trace-Id');
    });

    it('honours the header the organisation configured, once its change has reached the reader', async () => {
      await patch({ requestIdHeader: 'X-Trace-Id' }).expect(200);
      const echoed = await waitFor(async () => (await api.get(`/v1/orgs/${org}/settings`).set(auth()).set('X-Trace-Id', 'trace-42')).headers['x-trace-id']);
      expect(echoed).toBe('trace-42');
      const line = await waitFor(() => harness.logs.parsed().find((l) => l.requestId === 'trace-42' && l.service === 'settings'));
      expect(line).toBeDefined();
      // The query parameter still works, and the old header is now just a header.
      const viaQuery = await api.get(`/v1/orgs/${org}/settings?customerRequestId=q-1`).set(auth()).expect(200);
      expect(viaQuery.headers['x-trace-id']).toBe('q-1');
      const old = await api.get(`/v1/orgs/${org}/settings`).set(auth()).set('X-Customer-Request-Id', 'old-1').expect(200);
      expect(old.headers['x-customer-request-id']).toBeUndefined();
    });
  });
});

describe('settings across a restart of the embedded process', () => {
  const patch = { isoUtcTimestamps: true, requestIdHeader: 'X-Trace-Id', expiryNoticeDays: 45 };

  it('every reader of the settings topic has the saved settings after a restart', async () => {
    const first = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await first.start(startSettings);
    const token = await first.token('acme-restart');
    await request(first.url('settings')).patch('/v1/orgs/acme-restart/settings').set({ Authorization: `Bearer ${token}` }).send(patch).expect(200);
    await waitFor(async () => (await first.infra.orgSettings()).current('acme-restart').expiryNoticeDays === 45);
    await first.stop({ keepData: true });

    const second = new EmbeddedHarness({ dataDir: first.dataDir, start: '2026-03-01T10:00:00.000Z' });
    try {
      await second.start(startSettings);
      expect((await second.infra.orgSettings()).current('acme-restart')).toMatchObject(patch);
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });

  it('a data folder from before the bus was durable (no bus.sqlite) gets its settings topic refilled from the store', async () => {
    const first = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await first.start(startSettings);
    const token = await first.token('acme-upgrade');
    await request(first.url('settings')).patch('/v1/orgs/acme-upgrade/settings').set({ Authorization: `Bearer ${token}` }).send(patch).expect(200);
    await waitFor(async () => (await first.infra.orgSettings()).current('acme-upgrade').expiryNoticeDays === 45);
    await first.stop({ keepData: true });
    for (const file of ['bus.sqlite', 'bus.sqlite-wal', 'bus.sqlite-shm']) rmSync(join(first.dataDir, file), { force: true });

    const second = new EmbeddedHarness({ dataDir: first.dataDir, start: '2026-03-01T10:00:00.000Z' });
    try {
      await second.start(startSettings);
      // The settings service's own reader started (empty topic) before its relay refilled it.
      await waitFor(async () => (await second.infra.orgSettings()).current('acme-upgrade').expiryNoticeDays === 45);
      expect((await second.infra.orgSettings()).current('acme-upgrade')).toMatchObject(patch);
      expect(second.logs.lines.join('\n')).toContain('republishing from the first event');
    } finally {
      await second.stop();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
