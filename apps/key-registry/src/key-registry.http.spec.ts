import request from 'supertest';
import { SqliteEventStore } from '@keywarden/event-store';
import { join } from 'node:path';
import { DAY_MS } from '@keywarden/clock';
import { keyRingStream } from '@keywarden/contracts';
import { decodeJwtPayload, EmbeddedHarness } from '../../../test/support/embedded-harness';
import { eventBlobs, expectNoSecretIn, logBlobs, SecretSet } from '../../../test/support/secret-scan';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from './key-registry.service';

// HTTP tests of every registry route on the embedded adapters (SQLite, in-process bus, in-memory
// cache), through real HTTP, with time moved by the harness's manual clock.
describe('key-registry HTTP API', () => {
  let harness: EmbeddedHarness;
  let api: ReturnType<typeof request>;
  let org = '';
  let token = '';
  let orgCounter = 0;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await harness.start(startKeyCacheProjection, startKeyRegistry);
    api = request(harness.url('key-registry'));
  });

  afterAll(async () => harness.stop());

  beforeEach(async () => {
    org = `org-${++orgCounter}`;
    token = await harness.token(org);
  });

  const auth = () => ({ Authorization: `Bearer ${token}` });
  const issue = (body: object = {}) => api.post(`/v1/orgs/${org}/keys`).set(auth()).send(body);
  const list = async () => (await api.get(`/v1/orgs/${org}/keys`).set(auth()).expect(200)).body.keys as Array<Record<string, unknown>>;
  const testSecret = async (secret: string) => (await api.post(`/v1/orgs/${org}/keys/test`).set(auth()).send({ secret }).expect(200)).body;
  const testKey = async (keyId: string) => (await api.post(`/v1/orgs/${org}/keys/${keyId}/test`).set(auth()).expect(200)).body;

  describe('authentication and scope', () => {
    it('refuses a request without a token with 401 and a Bearer challenge', async () => {
      const res = await api.get(`/v1/orgs/${org}/keys`).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('refuses a garbage token with 401', async () => {
      await api.get(`/v1/orgs/${org}/keys`).set({ Authorization: 'Bearer not.a.token' }).expect(401);
    });

    it('refuses an admin of another organisation with 403 on every route, and changes nothing', async () => {
      const { body } = await issue().expect(201);
      const other = { Authorization: `Bearer ${await harness.token('someone-else')}` };
      const keyId = body.key.keyId;
      const routes = [
        api.get(`/v1/orgs/${org}/keys`),
        api.get(`/v1/orgs/${org}/keys/${keyId}`),
        api.post(`/v1/orgs/${org}/keys`).send({}),
        api.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).send({}),
        api.post(`/v1/orgs/${org}/keys/${keyId}/remove-expiration`),
        api.delete(`/v1/orgs/${org}/keys/${keyId}`),
        api.post(`/v1/orgs/${org}/keys/${keyId}/test`),
        api.post(`/v1/orgs/${org}/keys/test`).send({ secret: body.secret }),
      ];
      for (const route of routes) {
        const res = await route.set(other);
        expect(res.status).toBe(403);
        expect(res.body.statusCode).toBe(403);
      }
      expect(await list()).toHaveLength(1);
      expect((await list())[0].status).toBe('active');
    });

    it('lets a platform operator act on any organisation', async () => {
      token = await harness.token('platform', 'operator', 'ops@platform.test');
      await issue().expect(201);
      expect(await list()).toHaveLength(1);
    });
  });

  describe('issue', () => {
    it('issues a key and returns its Secret, a JWT whose payload holds the key in client_secret', async () => {
      const { body } = await issue().expect(201);
      expect(body.key).toEqual({
        keyId: expect.stringMatching(/^key_/),
        orgId: org,
        hint: expect.stringMatching(/^kw_…/),
        status: 'active',
        createdAt: '2026-03-01T10:00:00',
        expiresAt: '2027-03-01T10:00:00',
        revokedAt: null,
        graceEndsAt: null,
        lastUsedAt: null,
        replacedBy: null,
        acceptUntil: '2027-03-01T10:00:00',
        leak: null,
      });
      const payload = decodeJwtPayload(body.secret);
      expect(payload).toMatchObject({ org_id: org, key_id: body.key.keyId, client_secret: expect.stringMatching(/^kw_/) });
      expect(payload.exp).toBe(Date.parse('2027-03-01T10:00:00Z') / 1000);
      expect(body.key.hint.slice(-4)).toBe((payload.client_secret as string).slice(-4));
    });

    it('issues a never-expiring key on request', async () => {
      const { body } = await issue({ validity: 'never' }).expect(201);
      expect(body.key.expiresAt).toBeNull();
      expect(decodeJwtPayload(body.secret).exp).toBeUndefined();
    });

    it('refuses a second key while one is active, with 409 and a message that says what to do', async () => {
      await issue().expect(201);
      const res = await issue().expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: { code: 'ACTIVE_KEY_EXISTS' } });
      expect(res.body.message).toMatch(/revoke/);
      expect(await list()).toHaveLength(1);
    });

    it.each([
      [{ validity: 'P400D' }, /P365D/],
      [{ validity: 'P1M' }, /ISO 8601/],
      [{ validity: 42 }, /validity must be a string/],
      [{ color: 'red' }, /property color should not exist/],
    ])('refuses %p with 400 and creates nothing', async (body, message) => {
      const res = await issue(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toMatch(message);
      expect(await list()).toEqual([]);
    });

    it('refuses a body that is not JSON with 400', async () => {
      const res = await api.post(`/v1/orgs/${org}/keys`).set(auth()).set('Content-Type', 'application/json').send('{"validity":').expect(400);
      expect(res.body.statusCode).toBe(400);
      expect(await list()).toEqual([]);
    });

    it('refuses a malformed organisation id with 400', async () => {
      token = await harness.token('platform', 'operator');
      await api.get('/v1/orgs/bad%20org/keys').set(auth()).expect(400);
    });
  });

  describe('the key table', () => {
    it('lists keys newest first and gets one by id; unknown or malformed ids are 404', async () => {
      const first = (await issue().expect(201)).body.key;
      const second = (await api.post(`/v1/orgs/${org}/keys/${first.keyId}/revoke`).set(auth()).send({}).expect(200)).body.issued;
      expect((await list()).map((k) => k.keyId)).toEqual([second.keyId, first.keyId]);
      expect((await api.get(`/v1/orgs/${org}/keys/${first.keyId}`).set(auth()).expect(200)).body).toMatchObject({ keyId: first.keyId, status: 'revoked' });
      await api.get(`/v1/orgs/${org}/keys/key_000000000000000000000000`).set(auth()).expect(404);
      await api.get(`/v1/orgs/${org}/keys/not-a-key`).set(auth()).expect(404);
    });
  });

  describe('revoke', () => {
    it('revokes with a 30-day grace, issues the replacement, and both Secrets pass until the grace ends', async () => {
      const old = (await issue().expect(201)).body;
      const res = await api
        .post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`)
        .set(auth())
        .send({ grace: 'P30D', newKeyValidity: 'P90D', reason: 'rotating after an audit' })
        .expect(200);
      expect(res.body.revoked).toMatchObject({ keyId: old.key.keyId, status: 'revoked', revokedAt: '2026-03-01T10:00:00', graceEndsAt: '2026-03-31T10:00:00', replacedBy: res.body.issued.keyId });
      // It stops at the end of its grace; the expiry it was issued with stays in expiresAt.
      expect(res.body.revoked).toMatchObject({ expiresAt: '2027-03-01T10:00:00', acceptUntil: '2026-03-31T10:00:00' });
      expect((await list()).find((k) => k.keyId === old.key.keyId)).toMatchObject({ expiresAt: '2027-03-01T10:00:00', acceptUntil: '2026-03-31T10:00:00' });
      expect(res.body.issued).toMatchObject({ status: 'active', expiresAt: '2026-05-30T10:00:00' });
      expect(res.body.secret).not.toBe(old.secret);

      expect(await testSecret(old.secret)).toMatchObject({ valid: true, key: { keyId: old.key.keyId, status: 'revoked' } });
      expect(await testSecret(res.body.secret)).toMatchObject({ valid: true, key: { keyId: res.body.issued.keyId } });
      await waitFor(async () => (await testKey(old.key.keyId)).valid && (await testKey(res.body.issued.keyId)).valid, {
        description: 'both keys in the active-key cache',
      });

      harness.clock.advance(30 * DAY_MS);
      try {
        expect(await testSecret(old.secret)).toMatchObject({ valid: false, reason: expect.stringMatching(/expired/) });
        expect(await testKey(old.key.keyId)).toMatchObject({ valid: false });
        expect((await list()).find((k) => k.keyId === old.key.keyId)).toMatchObject({ status: 'expired' });
        expect(await testSecret(res.body.secret)).toMatchObject({ valid: true });
      } finally {
        harness.clock.advance(-30 * DAY_MS);
      }
    });

    it('stops a key that expires within its grace at its expiry: the grace never outlasts the key', async () => {
      const old = (await issue({ validity: 'P7D' }).expect(201)).body;
      const res = await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send({ grace: 'P30D' }).expect(200);
      expect(res.body.revoked).toMatchObject({ status: 'revoked', expiresAt: '2026-03-08T10:00:00', graceEndsAt: '2026-03-08T10:00:00', acceptUntil: '2026-03-08T10:00:00' });
    });

    it('with grace P0D stops the key at once', async () => {
      const old = (await issue().expect(201)).body;
      const res = await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send({ grace: 'P0D' }).expect(200);
      expect(res.body.revoked.status).toBe('expired');
      expect(await testSecret(old.secret)).toMatchObject({ valid: false });
      await waitFor(async () => (await testKey(res.body.issued.keyId)).valid, { description: 'the new key in the cache' });
    });

    it.each([[{ grace: 'P31D' }], [{ grace: 'soon' }], [{ newKeyValidity: 'P2Y' }], [{ reason: 'x'.repeat(501) }], [{ extra: true }]])(
      'refuses %p with 400 and changes nothing',
      async (body) => {
        const old = (await issue().expect(201)).body;
        await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send(body).expect(400);
        expect(await list()).toEqual([expect.objectContaining({ keyId: old.key.keyId, status: 'active' })]);
      },
    );

    it('refuses to revoke a key twice with 409', async () => {
      const old = (await issue().expect(201)).body;
      await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send({}).expect(200);
      const res = await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send({}).expect(409);
      expect(res.body.details.code).toBe('KEY_ALREADY_REVOKED');
      expect(await list()).toHaveLength(2);
    });
  });

  describe('remove expiration', () => {
    it('makes the current key never expire', async () => {
      const { key } = (await issue().expect(201)).body;
      const res = await api.post(`/v1/orgs/${org}/keys/${key.keyId}/remove-expiration`).set(auth()).expect(200);
      expect(res.body).toMatchObject({ keyId: key.keyId, status: 'active', expiresAt: null, acceptUntil: null });
      harness.clock.advance(400 * DAY_MS);
      try {
        expect((await list())[0]).toMatchObject({ status: 'active' });
      } finally {
        harness.clock.advance(-400 * DAY_MS);
      }
    });

    it('refuses a revoked key with 409', async () => {
      const { key } = (await issue().expect(201)).body;
      await api.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(auth()).send({}).expect(200);
      await api.post(`/v1/orgs/${org}/keys/${key.keyId}/remove-expiration`).set(auth()).expect(409);
    });
  });

  describe('delete', () => {
    it('refuses an active key with 409, deletes a revoked one with 204, and its Secret never passes again', async () => {
      const old = (await issue().expect(201)).body;
      const res409 = await api.delete(`/v1/orgs/${org}/keys/${old.key.keyId}`).set(auth()).expect(409);
      expect(res409.body.details.code).toBe('KEY_STILL_ACTIVE');
      await api.post(`/v1/orgs/${org}/keys/${old.key.keyId}/revoke`).set(auth()).send({}).expect(200);
      await api.delete(`/v1/orgs/${org}/keys/${old.key.keyId}`).set(auth()).expect(204);
      expect((await list()).map((k) => k.keyId)).not.toContain(old.key.keyId);
      expect(await testSecret(old.secret)).toMatchObject({ valid: false });
      await api.get(`/v1/orgs/${org}/keys/${old.key.keyId}`).set(auth()).expect(404);
      await api.delete(`/v1/orgs/${org}/keys/${old.key.keyId}`).set(auth()).expect(404);
    });
  });

  describe('test routes', () => {
    it('refuses a pasted Secret of another organisation, a forged one and garbage, saying why', async () => {
      const mine = (await issue().expect(201)).body;
      const otherOrg = `${org}-other`;
      const otherToken = await harness.token(otherOrg);
      const theirs = (await api.post(`/v1/orgs/${otherOrg}/keys`).set({ Authorization: `Bearer ${otherToken}` }).send({}).expect(201)).body;
      expect(await testSecret(theirs.secret)).toEqual({ valid: false, reason: expect.stringMatching(/organisation/) });
      const [h, p] = mine.secret.split('.');
      expect(await testSecret(`${h}.${p}.${'A'.repeat(86)}`)).toEqual({ valid: false, reason: expect.stringMatching(/not signed/) });
      expect(await testSecret('hello')).toEqual({ valid: false, reason: expect.stringMatching(/not a Keywarden Secret/) });
    });

    it('reports checkedAt in the organisation date-time format', async () => {
      const { key } = (await issue().expect(201)).body;
      const body = await waitFor(async () => {
        const b = await testKey(key.keyId);
        return b.valid ? b : null;
      });
      expect(body.checkedAt).toBe('2026-03-01T10:00:00');
    });
  });

  describe('concurrency', () => {
    it('refuses a change that raced another with 409 CONCURRENT_CHANGE and a message to retry; only the other change is recorded', async () => {
      // Another admin's issue lands between this request's read of the ring and its append.
      const store = harness.infra.eventStore();
      const readStream = store.readStream.bind(store);
      let raced: Promise<request.Response> | undefined;
      const spy = jest.spyOn(store, 'readStream').mockImplementation(async (streamId) => {
        const events = await readStream(streamId);
        if (streamId === keyRingStream(org) && raced === undefined) {
          raced = issue();
          expect((await raced).status).toBe(201);
        }
        return events;
      });
      let refused: request.Response;
      try {
        refused = await issue();
      } finally {
        spy.mockRestore();
      }
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ statusCode: 409, error: 'Conflict', details: { code: 'CONCURRENT_CHANGE' } });
      expect(refused.body.message).toMatch(/retry/);
      const winner = (await raced!).body.key.keyId as string;
      const recorded = await store.readStream(keyRingStream(org));
      expect(recorded.map((e) => [e.type, (e.data as { keyId: string }).keyId])).toEqual([['KeyIssued', winner]]);
      expect((await list()).map((k) => k.keyId)).toEqual([winner]);
    });

    it('of ten simultaneous issues exactly one wins; each other one is refused with 409, as a race (retry) or as a second key (revoke)', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => issue()));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(409);
        if (r.body.details.code === 'CONCURRENT_CHANGE') expect(r.body.message).toMatch(/retry/);
        else expect(r.body).toMatchObject({ details: { code: 'ACTIVE_KEY_EXISTS' }, message: expect.stringMatching(/revoke/) });
      }
      expect(await harness.infra.eventStore().readStream(keyRingStream(org))).toHaveLength(1);
      expect(await list()).toHaveLength(1);
    });
  });

  describe('JWKS', () => {
    it('publishes the public Secret-signing keys only', async () => {
      const res = await api.get('/.well-known/jwks.json').expect(200);
      expect(res.body.keys.length).toBeGreaterThan(0);
      for (const key of res.body.keys) {
        expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: expect.any(String) });
        expect(key.d).toBeUndefined();
      }
    });
  });

  describe('secrets stay secret', () => {
    it('never writes a key or a Secret to a log line or an event', async () => {
      const issued = (await issue().expect(201)).body;
      const revoked = (await api.post(`/v1/orgs/${org}/keys/${issued.key.keyId}/revoke`).set(auth()).send({ grace: 'P0D' }).expect(200)).body;
      const apiKeys = [issued.secret, revoked.secret].map((s) => decodeJwtPayload(s).client_secret as string);
      const store = new SqliteEventStore(join(harness.dataDir, 'events.sqlite'));
      try {
        const events = JSON.stringify((await store.readAll()).map((e) => e.data));
        for (const s of [issued.secret, revoked.secret, ...apiKeys]) {
          expect(harness.logs.text).not.toContain(s);
          expect(events).not.toContain(s);
        }
        expect(harness.logs.lines.length).toBeGreaterThan(0);
        // Also the key material, and every event's type and metadata (the all-in-one at trace: apps/keywarden/src/secrets-never-leak.http.spec.ts).
        const secrets = new SecretSet().addSecret(issued.secret).addSecret(revoked.secret).addLocalKeyMaterial(harness.dataDir);
        expectNoSecretIn(secrets, [...logBlobs(harness.logs.lines), ...eventBlobs(await store.readAll())]);
      } finally {
        await store.close();
      }
    });
  });
});

describe('key-registry restart', () => {
  it('keeps the key table across a restart of the process', async () => {
    const first = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await first.start(startKeyCacheProjection, startKeyRegistry);
    const token = await first.token('acme');
    const api = request(first.url('key-registry'));
    const issued = (await api.post('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${token}` }).send({}).expect(201)).body;
    await api.post(`/v1/orgs/acme/keys/${issued.key.keyId}/revoke`).set({ Authorization: `Bearer ${token}` }).send({}).expect(200);
    const before = (await api.get('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${token}` }).expect(200)).body;
    await first.stop({ keepData: true });

    const second = new EmbeddedHarness({ dataDir: first.dataDir, start: '2026-03-01T10:00:00.000Z' });
    try {
      await second.start(startKeyCacheProjection, startKeyRegistry);
      const api2 = request(second.url('key-registry'));
      const after = (await api2.get('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${token}` }).expect(200)).body;
      expect(after).toEqual(before);
      // The same local key material: the Secret minted before the restart still verifies.
      const check = (await api2.post('/v1/orgs/acme/keys/test').set({ Authorization: `Bearer ${token}` }).send({ secret: issued.secret }).expect(200)).body;
      expect(check.valid).toBe(true);
      // The in-memory cache the edge would read was rebuilt from the store at start.
      for (const key of after.keys) {
        const test = (await api2.post(`/v1/orgs/acme/keys/${key.keyId}/test`).set({ Authorization: `Bearer ${token}` }).expect(200)).body;
        expect(test.valid).toBe(true);
      }
    } finally {
      await second.stop();
      require('node:fs').rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});

describe('key-registry with its event store down', () => {
  it('answers 503 with a message to retry, and no internals', async () => {
    const harness = new EmbeddedHarness();
    try {
      await harness.start(startKeyRegistry);
      const token = await harness.token('acme');
      await harness.infra.eventStore().close();
      const res = await request(harness.url('key-registry')).get('/v1/orgs/acme/keys').set({ Authorization: `Bearer ${token}` }).expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/retry/),
        details: { code: 'EVENT_STORE_UNAVAILABLE' },
      });
      expect(res.body.message).not.toMatch(/sqlite|database/i);
    } finally {
      await harness.stop();
    }
  });
});
