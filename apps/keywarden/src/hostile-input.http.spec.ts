import http from 'node:http';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { keyRingStream, settingsStream } from '@keywarden/contracts';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { readMailFiles } from '../../../test/support/eml-mailbox';
import { waitFor } from '../../../test/support/wait-for';
import { HostileRequest, hostileSeed, inPool, seededRandom, sendHostile, sendRaw, StatusTally } from '../../../test/support/hostile-http';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startNotifier } from '../../notifier/src/notifier.service';
import { startSettings } from '../../settings/src/settings.service';

// Issue 20, the admin services' half: the registry, the settings service and the projection's and
// notifier's ops listeners, on the embedded adapters, over real sockets. Every request a client
// chose gets a 4xx of the right kind and changes nothing; the cases of the issue are named tests.
jest.setTimeout(180_000);

const HOSTILE_REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 6_000);
const LIMIT = 64 * 1024;

type Service = 'key-registry' | 'settings' | 'key-cache-projection' | 'notifier';
type Auth = 'admin' | 'none' | 'garbage' | 'other-org' | 'operator';

/** Whether a body is JSON whose top level is no object or array (refused as BODY_NOT_AN_OBJECT, not MALFORMED_JSON). */
function parsesToBareValue(body: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof value !== 'object' || value === null;
  } catch {
    return false;
  }
}

const codeIn = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { details?: { code?: string } }).details?.code;
  } catch {
    return `(not a JSON error body: ${body.slice(0, 80)})`;
  }
};

/** The methods a path is routed for (another one gets 404 from Nest, 405 from an ops listener). */
function routedMethods(path: string): string[] {
  if (/\/keys$/.test(path)) return ['GET', 'POST'];
  if (/\/keys\/key_[^/]+$/.test(path)) return ['GET', 'DELETE'];
  if (/\/settings$/.test(path)) return ['GET', 'PATCH'];
  if (/\/(revoke|remove-expiration|reveal-requests|reveal|test)$/.test(path) || path === '/console/sign-in') return ['POST'];
  return ['GET'];
}

/** A route as a client sees it; `valid` is a body that would change something if it got through. */
type Route = Readonly<{
  service: Service;
  method: string;
  path: string;
  /** Guarded by the admin token of `org`. */
  org?: string;
  /** Which segment of the path is the organisation / the key (for the unicode cases). */
  orgSegment?: number;
  keySegment?: number;
  /** Has a DTO body (refuses arrays and wrong types); otherwise a JSON body is ignored. */
  dto: boolean;
  valid?: unknown;
  /** Bodies validation refuses, with the status (400, or 403 for an operator-only field). */
  wrong?: ReadonlyArray<readonly [unknown, number]>;
}>;

type Case = HostileRequest & Readonly<{ service: Service; category: string; expect: number; code?: string }>;

describe('hostile input to the admin services', () => {
  let harness: EmbeddedHarness;
  const org = 'hostile-org';
  const empty = 'hostile-empty';
  const tokens = new Map<string, string>();
  let revokedKey = '';
  let currentKey = '';

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z', env: { PROJECTION_HEALTH_PORT: '0', NOTIFIER_HEALTH_PORT: '0' } });
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry);
    for (const o of [org, empty, 'hostile-other']) tokens.set(o, await harness.token(o));
    tokens.set('operator', await harness.token('platform', 'operator', 'ops@platform.test'));
    const registry = request(harness.url('key-registry'));
    const issued = await registry.post(`/v1/orgs/${org}/keys`).set(auth(org)).send({ validity: 'P365D' }).expect(201);
    revokedKey = issued.body.key.keyId;
    const revoked = await registry.post(`/v1/orgs/${org}/keys/${revokedKey}/revoke`).set(auth(org)).send({ grace: 'P30D' }).expect(200);
    currentKey = revoked.body.issued.keyId;
    // The issue's and the revocation's mails, so the snapshots below start from a quiet mailbox.
    await waitFor(async () => (await mailsOf(org)) >= 2, { description: "the setup's mails written" });
  });

  afterAll(async () => harness?.stop());

  const auth = (o: string) => ({ Authorization: `Bearer ${tokens.get(o)}` });

  const mailsOf = async (o: string): Promise<number> => (await readMailFiles(harness.dataDir)).filter((m) => m.to.includes(`admin@${o}.test`)).length;

  /**
   * Everything a refused request must leave as it was: the organisations' streams (key rings and
   * settings, by revision), their key tables and settings as the API shows them, and their mails.
   */
  async function snapshot(): Promise<unknown> {
    const registry = request(harness.url('key-registry'));
    const settings = request(harness.url('settings'));
    const store = harness.infra.eventStore();
    return {
      revisions: await Promise.all([org, empty].flatMap((o) => [keyRingStream(o), settingsStream(o)]).map(async (s) => `${s}@${String((await store.readLastEvent(s))?.revision ?? 'none')}`)),
      keys: await Promise.all([org, empty].map(async (o) => (await registry.get(`/v1/orgs/${o}/keys`).set(auth(o)).expect(200)).body)),
      settings: await Promise.all([org, empty].map(async (o) => (await settings.get(`/v1/orgs/${o}/settings`).set(auth(o)).expect(200)).body)),
      mails: (await mailsOf(org)) + (await mailsOf(empty)),
    };
  }

  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

  describe('the cases of issue 20', () => {
    it('refuses a revoke sent as application/x-www-form-urlencoded (curl -d) with 415: no revocation with the default 30-day grace', async () => {
      const before = await snapshot();
      const res = await request(harness.url('key-registry'))
        .post(`/v1/orgs/${org}/keys/${currentKey}/revoke`)
        .set(auth(org))
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('{"grace":"P0D","newKeyValidity":"P7D"}')
        .expect(415);
      expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringMatching(/application\/json/), details: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['no content type', undefined],
      ['text/plain', 'text/plain'],
      ['application/jsonx', 'application/jsonx'],
      ['multipart', 'multipart/form-data; boundary=x'],
    ])('refuses a JSON text sent with %s on issue, revoke and the settings PATCH with 415, changing nothing', async (_name, type) => {
      const before = await snapshot();
      const calls: Array<[string, string, string, string]> = [
        ['key-registry', 'POST', `/v1/orgs/${empty}/keys`, '{"validity":"P7D"}'],
        ['key-registry', 'POST', `/v1/orgs/${org}/keys/${currentKey}/revoke`, '{"grace":"P0D"}'],
        ['settings', 'PATCH', `/v1/orgs/${org}/settings`, '{"defaultGraceDays":0}'],
      ];
      for (const [service, method, path, body] of calls) {
        const o = path.split('/')[3];
        const res = await sendHostile(harness.url(service), new http.Agent(), { method, path, headers: { ...auth(o), ...(type ? { 'Content-Type': type } : {}) }, body: Buffer.from(body) });
        expect([path, res.status, JSON.parse(res.body).details]).toEqual([path, 415, { code: 'UNSUPPORTED_MEDIA_TYPE' }]);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('takes application/json with charset=utf-8 in any case as JSON (the one accepted form)', async () => {
      const o = 'hostile-accepts';
      tokens.set(o, await harness.token(o));
      const res = await request(harness.url('key-registry')).post(`/v1/orgs/${o}/keys`).set(auth(o)).set('Content-Type', 'Application/JSON; Charset="UTF-8"').send('{"validity":"P7D"}').expect(201);
      expect(res.body.key.expiresAt).toBe('2026-03-08T10:00:00');
    });

    it.each([
      ['key-registry', '/v1/orgs/%zz/keys'],
      ['key-registry', `/v1/orgs/${org}/keys/%zz`],
      ['key-registry', `/v1/orgs/${org}/keys?customerRequestId=%E0%A4`],
      ['key-registry', '/health/live?x=%'],
      ['settings', '/v1/orgs/%ff/settings'],
      ['key-cache-projection', '/health/%zz'],
    ])('%s: malformed percent-encoding in %s is 400 MALFORMED_URL, with or without a token', async (service, path) => {
      for (const headers of [{}, auth(org)]) {
        const res = await sendHostile(harness.url(service), new http.Agent(), { method: 'GET', path, headers });
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ statusCode: 400, error: 'Bad Request', details: { code: 'MALFORMED_URL' } });
      }
    });

    it('refuses a 70 000-byte body with 413 naming the limit, declared or chunked', async () => {
      const before = await snapshot();
      const body = Buffer.from(JSON.stringify({ grace: 'P0D', reason: 'x'.repeat(70_000 - 30) }));
      for (const chunked of [false, true]) {
        const res = await sendHostile(harness.url('key-registry'), new http.Agent(), {
          method: 'POST',
          path: `/v1/orgs/${org}/keys/${currentKey}/revoke`,
          headers: { ...auth(org), 'Content-Type': 'application/json' },
          body,
          chunked,
        });
        expect(res.status).toBe(413);
        expect(JSON.parse(res.body)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: `the request body is larger than the limit of ${LIMIT} bytes`, details: { code: 'PAYLOAD_TOO_LARGE' } });
      }
      expect(await snapshot()).toEqual(before);
    });

    it.each(['latin1', 'ISO-8859-1', 'utf-16', 'klingon'])('refuses charset=%s with 415 UNSUPPORTED_CHARSET', async (charset) => {
      const res = await request(harness.url('settings')).patch(`/v1/orgs/${org}/settings`).set(auth(org)).set('Content-Type', `application/json; charset=${charset}`).send('{"defaultGraceDays":0}').expect(415);
      expect(res.body.details).toEqual({ code: 'UNSUPPORTED_CHARSET' });
    });

    it.each(['gzip', 'deflate', 'br', 'x-custom'])('refuses Content-Encoding: %s with 415 UNSUPPORTED_CONTENT_ENCODING, even on a body really so encoded', async (encoding) => {
      const before = await snapshot();
      const text = Buffer.from('{"grace":"P0D"}');
      const res = await sendHostile(harness.url('key-registry'), new http.Agent(), {
        method: 'POST',
        path: `/v1/orgs/${org}/keys/${currentKey}/revoke`,
        headers: { ...auth(org), 'Content-Type': 'application/json', 'Content-Encoding': encoding },
        body: encoding === 'gzip' ? gzipSync(text) : text,
      });
      expect([res.status, JSON.parse(res.body).details]).toEqual([415, { code: 'UNSUPPORTED_CONTENT_ENCODING' }]);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses 5 000 notification emails with a clean 400 from validation, or 413 when they pass the body limit', async () => {
      const before = await snapshot();
      const settings = request(harness.url('settings'));
      const short = Array.from({ length: 5_000 }, (_, i) => `a${i}@b.co`);
      const res = await settings.patch(`/v1/orgs/${org}/settings`).set(auth(org)).send({ notificationEmails: short }).expect(400);
      expect(res.body.message).toMatch(/notificationEmails holds at most 50 addresses \(got 5000\)/);
      // The issue's case: as many real-looking addresses are ~130 kB, over the body limit.
      const real = Array.from({ length: 5_000 }, (_, i) => `notify-${i}@operations.example.com`);
      const large = await settings.patch(`/v1/orgs/${org}/settings`).set(auth(org)).send({ notificationEmails: real }).expect(413);
      expect(large.body.details).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['arrays', '['.repeat(5_000) + ']'.repeat(5_000)],
      ['objects', '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)],
      ['33 levels (one past the limit)', '{"reason":' + '['.repeat(32) + ']'.repeat(32) + '}'],
    ])('refuses JSON nested 5 000 deep (%s) with 400 JSON_TOO_DEEP before validation sees it', async (_name, body) => {
      const res = await request(harness.url('key-registry')).post(`/v1/orgs/${org}/keys/${currentKey}/revoke`).set(auth(org)).set('Content-Type', 'application/json').send(body).expect(400);
      expect(res.body).toMatchObject({ message: 'the JSON body is nested deeper than 32 levels', details: { code: 'JSON_TOO_DEEP' } });
    });

    it.each([
      ['__proto__', '{"__proto__":{"grace":"P0D"}}'],
      ['constructor', '{"grace":"P0D","constructor":{"prototype":{}}}'],
      ['prototype, nested', '{"notificationEmails":[],"x":{"prototype":1}}'],
      ['__proto__, escaped', '{"\\u005f_proto__":{}}'],
    ])('refuses the key %s with 400 FORBIDDEN_JSON_KEY instead of dropping it', async (_name, body) => {
      const before = await snapshot();
      for (const [service, method, path] of [
        ['key-registry', 'POST', `/v1/orgs/${org}/keys/${currentKey}/revoke`],
        ['settings', 'PATCH', `/v1/orgs/${org}/settings`],
      ]) {
        const res = await sendHostile(harness.url(service), new http.Agent(), { method, path, headers: { ...auth(org), 'Content-Type': 'application/json' }, body: Buffer.from(body) });
        expect([res.status, JSON.parse(res.body).details]).toEqual([400, { code: 'FORBIDDEN_JSON_KEY' }]);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('still takes a bodiless POST or DELETE without a content type on the routes that take no body', async () => {
      const o = 'hostile-bodiless';
      tokens.set(o, await harness.token(o));
      const registry = request(harness.url('key-registry'));
      const { body } = await registry.post(`/v1/orgs/${o}/keys`).set(auth(o)).expect(201);
      await registry.post(`/v1/orgs/${o}/keys/${body.key.keyId}/remove-expiration`).set(auth(o)).expect(200);
      await registry.post(`/v1/orgs/${o}/keys/${body.key.keyId}/test`).set(auth(o)).expect(200);
    });

    it('logs each refusal at warn with its code and no stack, and nothing at error', async () => {
      await request(harness.url('key-registry')).post(`/v1/orgs/${org}/keys`).set(auth(org)).set('Content-Type', 'text/plain').send('x').expect(415);
      const lines = harness.logs.parsed();
      const refusal = lines.find((l) => l.refusal === 'UNSUPPORTED_MEDIA_TYPE');
      expect(refusal).toMatchObject({ level: 'warn', statusCode: 415 });
      expect(JSON.stringify(refusal)).not.toMatch(/stack|at Object\./);
      expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    });
  });

  describe(`${HOSTILE_REQUESTS} generated hostile requests`, () => {
    it('each gets the 4xx of its kind, none a 2xx or 5xx, and none changes anything', async () => {
      const seed = hostileSeed();
      process.stdout.write(`hostile-input: seed ${seed} (HOSTILE_SEED=${seed} replays this run)\n`);
      const cases = generate(seededRandom(seed), HOSTILE_REQUESTS);
      const before = await snapshot();
      const agents = new Map<string, http.Agent>();
      const tallies = new Map<Service, StatusTally>();
      const wrong: string[] = [];
      const started = Date.now();
      await inPool(
        cases.map((c) => async () => {
          const base = harness.url(c.service);
          let agent = agents.get(c.service);
          if (!agent) agents.set(c.service, (agent = new http.Agent({ keepAlive: true, maxSockets: 8 })));
          const res = c.category === 'raw framing' ? await sendRaw(base, c.body!) : await sendHostile(base, agent, c);
          if (!tallies.has(c.service)) tallies.set(c.service, new StatusTally());
          tallies.get(c.service)!.add(res.status);
          const code = c.code && res.status === c.expect ? codeIn(res.body) : undefined;
          if (res.status !== c.expect || code !== c.code) {
            wrong.push(`${c.category}: ${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers ?? {}).slice(0, 200)} body ${c.body?.subarray(0, 80).toString('latin1')} → ${res.status} ${res.body.slice(0, 200)}, expected ${c.expect}${c.code ? ` ${c.code}` : ''}`);
          }
        }),
        8,
      );
      for (const agent of agents.values()) agent.destroy();
      for (const [service, tally] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) process.stdout.write(`${tally.line(service)}\n`);
      process.stdout.write(`hostile-input: admin services ${cases.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

      expect({ seed, wrong: wrong.slice(0, 20), wrongCount: wrong.length, wrongKinds: [...new Set(wrong.map((w) => w.split(':')[0] + ' → ' + w.split(' → ')[1].split(' ')[0]))] }).toEqual({
        seed,
        wrong: [],
        wrongCount: 0,
        wrongKinds: [],
      });
      expect(await snapshot()).toEqual(before);
      expect(harness.logs.parsed().filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
      // What the run must have covered for the assertions above to mean anything.
      for (const service of ['key-registry', 'settings', 'key-cache-projection', 'notifier'] as const) expect(tallies.get(service)?.total ?? 0).toBeGreaterThan(50);
    });
  });

  /** The catalogue: every route of both services, their ops, docs and console routes, and the ops listeners. */
  function routes(): Route[] {
    const o = `/v1/orgs/${org}`;
    const grace = { grace: 'P0D', newKeyValidity: 'P7D' };
    const tooManyEmails = (n: number) => Array.from({ length: n }, (_, i) => `a${i}@b.co`);
    return [
      {
        service: 'key-registry', method: 'POST', path: `/v1/orgs/${empty}/keys`, org: empty, orgSegment: 3, dto: true, valid: { validity: 'P7D' },
        wrong: [[{ validity: 42 }, 400], [{ validity: true }, 400], [{ validity: null }, 400], [{ validity: 'P400D' }, 400], [{ validity: 'P'.repeat(17) }, 400], [{ validity: '\ud800' }, 400], [{ validity: 'P7D\u0000' }, 400], [{ validity: ['P7D'] }, 400], [{ validity: {} }, 400], [{ valdity: 'P7D' }, 400], [[{ validity: 'P7D' }], 400], [[], 400]],
      },
      { service: 'key-registry', method: 'GET', path: `${o}/keys`, org, orgSegment: 3, dto: false },
      { service: 'key-registry', method: 'GET', path: `${o}/keys/${currentKey}`, org, orgSegment: 3, keySegment: 5, dto: false },
      {
        service: 'key-registry', method: 'POST', path: `${o}/keys/${currentKey}/revoke`, org, orgSegment: 3, keySegment: 5, dto: true, valid: grace,
        wrong: [[{ grace: 0 }, 400], [{ grace: 'P31D' }, 400], [{ grace: null }, 400], [{ ...grace, newKeyValidity: 5 }, 400], [{ ...grace, newKeyValidity: 'P9999D' }, 400], [{ ...grace, reason: 'x'.repeat(501) }, 400], [{ ...grace, reason: 7 }, 400], [{ ...grace, extra: true }, 400], [{ grace: '\udfff' }, 400], [{ grace: 'P0D\u0000' }, 400], [{ grace: ['P0D'] }, 400], [{ grace: 'Ｐ０Ｄ' }, 400], [[grace], 400]],
      },
      { service: 'key-registry', method: 'POST', path: `${o}/keys/${currentKey}/remove-expiration`, org, orgSegment: 3, keySegment: 5, dto: false },
      { service: 'key-registry', method: 'DELETE', path: `${o}/keys/${revokedKey}`, org, orgSegment: 3, keySegment: 5, dto: false },
      { service: 'key-registry', method: 'POST', path: `${o}/keys/${currentKey}/reveal-requests`, org, orgSegment: 3, keySegment: 5, dto: false },
      {
        service: 'key-registry', method: 'POST', path: `${o}/keys/${currentKey}/reveal`, org, orgSegment: 3, keySegment: 5, dto: true, valid: { requestId: `rvl_${'0'.repeat(32)}`, code: '123456' },
        wrong: [[{ requestId: 1, code: '123456' }, 400], [{ requestId: `rvl_${'0'.repeat(32)}`, code: 123456 }, 400], [{ requestId: 'rvl_x', code: '12345' }, 400], [{ requestId: `rvl_${'0'.repeat(32)}`, code: '１２３４５６' }, 400], [{ requestId: `rvl_${'0'.repeat(32)}`, code: '123456\u0000' }, 400], [{}, 400], [[], 400]],
      },
      { service: 'key-registry', method: 'POST', path: `${o}/keys/${currentKey}/test`, org, orgSegment: 3, keySegment: 5, dto: false },
      {
        service: 'key-registry', method: 'POST', path: `${o}/keys/test`, org, orgSegment: 3, dto: true, valid: { secret: 'eyJhbGciOiJFZERTQSJ9.e30.x' },
        wrong: [[{ secret: '' }, 400], [{ secret: 'x'.repeat(4097) }, 400], [{ secret: 5 }, 400], [{ secret: null }, 400], [{ secret: ['x'] }, 400], [{}, 400], [[{ secret: 'x' }], 400]],
      },
      { service: 'key-registry', method: 'GET', path: `${o}/audit?from=2026-01-01T00:00:00`, org, orgSegment: 3, dto: false },
      { service: 'key-registry', method: 'GET', path: '/.well-known/jwks.json', dto: false },
      { service: 'key-registry', method: 'POST', path: '/console/sign-in', dto: false, valid: { code: 'not-a-code' } },
      { service: 'key-registry', method: 'GET', path: '/console/config.json', dto: false },
      ...(['key-registry', 'settings'] as const).flatMap((service): Route[] =>
        ['/health/live', '/health/ready', '/metrics', '/docs-json'].map((path) => ({ service, method: 'GET', path, dto: false })),
      ),
      { service: 'settings', method: 'GET', path: `${o}/settings`, org, orgSegment: 3, dto: false },
      {
        service: 'settings', method: 'PATCH', path: `${o}/settings`, org, orgSegment: 3, dto: true, valid: { defaultGraceDays: 0, notificationEmails: ['x@y.test'] },
        wrong: [
          [{ defaultGraceDays: '0' }, 400], [{ defaultGraceDays: 1.5 }, 400], [{ defaultGraceDays: 31 }, 400], [{ rotationIntervalDays: 0 }, 400], [{ isoUtcTimestamps: 'true' }, 400],
          [{ isoUtcTimestamps: null }, 400], [{ notificationEmails: 'a@b.co' }, 400], [{ notificationEmails: [1] }, 400], [{ notificationEmails: tooManyEmails(51) }, 400],
          [{ notificationEmails: tooManyEmails(5_000) }, 400], [{ notificationEmails: [['a@b.co']] }, 400], [{ notificationEmails: ['a@b.co\u0000'] }, 400], [{ requestIdHeader: 'X Trace' }, 400],
          [{ requestIdHeader: 'X'.repeat(65) }, 400], [{ requestIdHeader: 'X-\u00e9' }, 400], [{ requestIdHeader: '\ud83d' }, 400], [{ mediaMaxBase64Bytes: 1 }, 403], [{ unknownSetting: 1 }, 400], [[{ defaultGraceDays: 0 }], 400],
        ],
      },
      ...(['key-cache-projection', 'notifier'] as const).flatMap((service): Route[] => ['/health/live', '/health/ready', '/metrics'].map((path) => ({ service, method: 'GET', path, dto: false }))),
    ];
  }

  /** `count` requests, each hostile in one way the seeded `random` picks, with the status it must get. */
  function generate(random: () => number, count: number): Case[] {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
    const all = routes();
    const nest = all.filter((r) => r.service === 'key-registry' || r.service === 'settings');
    const guarded = all.filter((r) => r.org !== undefined);
    const opsListener = (r: Route): boolean => r.service === 'key-cache-projection' || r.service === 'notifier';
    const tokenFor = (r: Route, who: Auth): Record<string, string> => {
      if (who === 'none') return {};
      if (who === 'garbage') return { Authorization: pick(['Bearer not.a.token', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `Bearer ${tokens.get(org)!.slice(0, -3)}abc`, 'Bearer eyJhbGciOiJub25lIn0.eyJvcmciOiJob3N0aWxlLW9yZyJ9.']) };
      if (who === 'other-org') return auth('hostile-other');
      if (who === 'operator') return auth('operator');
      return r.org ? auth(r.org) : {};
    };
    const anyAuth = (r: Route) => tokenFor(r, pick<Auth>(['admin', 'admin', 'none', 'garbage', 'other-org']));
    const bodyOf = (r: Route): Buffer => json(r.valid ?? { grace: 'P0D' });
    const jsonType = (): string => pick(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON; charset=UTF-8']);

    const BAD_TYPES = [
      undefined, 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x', 'application/jsonx', 'application/json-patch+json',
      'application/merge-patch+json', 'application/ld+json', 'text/json', 'application/xml', 'text/html', 'application/octet-stream', '*/*', 'application/*', 'json', 'application/', '',
      'application/json/x', ';charset=utf-8', 'application/javascript', 'image/png', 'application/x-json', 'application/json\u00a0',
    ];
    const BAD_CHARSETS = ['latin1', 'iso-8859-1', 'utf-16', 'UTF-16LE', 'utf-32', 'us-ascii', 'windows-1252', 'utf8', 'utf-7', 'klingon', '', '"utf-16"', 'utf-8, latin1'];
    const ENCODINGS = ['gzip', 'deflate', 'br', 'compress', 'x-gzip', 'GZIP', 'gzip, deflate', 'zstd', 'chunked', 'utf-8', 'base64', 'identity, gzip'];
    const MALFORMED = [
      '{', '}', '{"grace":"P0D"', '{"grace":P0D}', "{'grace':'P0D'}", '{"grace":"P0D",}', '{"grace":"P0D"} {}', '{"grace":"P0D"}x', '{grace:"P0D"}', '{"a":NaN}', '{"a":Infinity}',
      '{"a":undefined}', '{"a":01}', '{"a":"\\x41"}', '{"a":"\u0000"}', '{"a":"tab\there"}', '{/*c*/"a":1}', '{"a":1}//', '\ufeff\ufeff{}', '{"a":"\\u12"}', '[1,]', '[', '{"a":[}', '{"a" 1}',
      'null', 'true', '42', '"P0D"', '-0', '1e400', '    ', '\u0000', 'grace=P0D&newKeyValidity=P7D', '<grace>P0D</grace>',
    ];
    const BAD_PERCENT = ['%', '%z', '%zz', '%ZZ', '%1', '%g0', '%ff', '%FE', '%c0%af', '%e0%80%af', '%ed%a0%80', '%e2%82', '%f8%88%80%80%80', '%C3', '%%', '%u00e9', '%E2%82%2', '%0', '%-1'];
    const UNICODE_SEGMENTS = ['%00', '%C3%A9', '%E2%80%AE', '%F0%9F%98%80', '%EF%BC%A1', '%0A', '%7F', '%20', '..', '%2e%2e', '%2F', 'a%00b', 'org%E2%80%8B', 'x'.repeat(65)];
    const BAD_REQUEST_IDS = ['%20', 'a%20b', '%0Ainjected', '%7F', 'x'.repeat(129), '%C3%A9', '%09', 'a%00b'];

    /** Each category makes one request and knows the status (and code) it must get. */
    const categories: Array<readonly [number, () => Case]> = [
      [14, () => {
        const r = pick(all);
        const type = pick(BAD_TYPES);
        const body = pick([bodyOf(r), Buffer.from('grace=P0D'), Buffer.from('x'), Buffer.from('--x\r\nContent-Disposition: form-data; name="grace"\r\n\r\nP0D\r\n--x--')]);
        return { service: r.service, category: 'content type', method: r.method, path: r.path, headers: { ...anyAuth(r), ...(type === undefined ? {} : { 'Content-Type': type }) }, body, expect: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
      }],
      [7, () => {
        const r = pick(all);
        return { service: r.service, category: 'charset', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': `application/json; charset=${pick(BAD_CHARSETS)}` }, body: bodyOf(r), expect: 415, code: 'UNSUPPORTED_CHARSET' };
      }],
      [7, () => {
        const r = pick(all);
        const encoding = pick(ENCODINGS);
        const body = encoding.toLowerCase() === 'gzip' ? gzipSync(bodyOf(r)) : bodyOf(r);
        return { service: r.service, category: 'content encoding', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': jsonType(), 'Content-Encoding': encoding }, body, expect: 415, code: 'UNSUPPORTED_CONTENT_ENCODING' };
      }],
      [6, () => {
        const r = pick(all);
        const size = pick([LIMIT + 1, LIMIT + 2, 70_000, int(LIMIT + 1, 300_000)]);
        const body = Buffer.from(JSON.stringify({ ...(r.valid as object), pad: 'x'.repeat(size) }).slice(0, size));
        // The ops listeners take no body: one that is too large is refused from its declared length only.
        const chunked = !opsListener(r) && random() < 0.4;
        return { service: r.service, category: 'size', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': jsonType() }, body, chunked, expect: 413, code: 'PAYLOAD_TOO_LARGE' };
      }],
      [7, () => {
        const r = pick(nest);
        const depth = pick([33, 34, 40, 64, 100, 1_000, 5_000, int(33, 10_000)]);
        const shape = pick(['arrays', 'objects', 'mixed', 'inside']);
        const text =
          shape === 'arrays' ? '['.repeat(depth) + ']'.repeat(depth)
          : shape === 'objects' ? '{"a":'.repeat(depth) + '0' + '}'.repeat(depth)
          : shape === 'mixed' ? '[{"a":'.repeat(Math.ceil(depth / 2)) + '0' + '}]'.repeat(Math.ceil(depth / 2))
          : `{"grace":"P0D","reason":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        return { service: r.service, category: 'nesting depth', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': jsonType() }, body: Buffer.from(text), expect: 400, code: 'JSON_TOO_DEEP' };
      }],
      [8, () => {
        const r = pick(nest);
        const invalidUtf8 = random() < 0.25;
        const body = invalidUtf8 ? Buffer.concat([Buffer.from('{"grace":"'), Buffer.from(pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]])), Buffer.from('"}')]) : Buffer.from(pick(MALFORMED));
        const bare = !invalidUtf8 && parsesToBareValue(body);
        return { service: r.service, category: 'malformed JSON', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': jsonType() }, body, expect: 400, code: bare ? 'BODY_NOT_AN_OBJECT' : 'MALFORMED_JSON' };
      }],
      [7, () => {
        const r = pick(nest);
        const key = pick(['__proto__', 'constructor', 'prototype', '\\u005f_proto__', 'constructo\\u0072']);
        const inner = pick([`{"${key}":{"isAdmin":true}}`, `{"${key}":null}`, `[{"${key}":1}]`, `{"a":{"b":{"${key}":{}}}}`]);
        const base = JSON.stringify(r.valid ?? { grace: 'P0D' });
        const text = random() < 0.5 ? `${base.slice(0, -1)},"x":${inner}}` : inner;
        return { service: r.service, category: 'forbidden key', method: r.method, path: r.path, headers: { ...anyAuth(r), 'Content-Type': jsonType() }, body: Buffer.from(text), expect: 400, code: 'FORBIDDEN_JSON_KEY' };
      }],
      [12, () => {
        const r = pick([...all, ...all.map((x) => ({ ...x, path: pick(['/nowhere', '/v1/orgs', '/v1', '/console/x.js']) }))]);
        const bad = pick(BAD_PERCENT);
        const [path, query] = r.path.split('?');
        const segments = path.split('/');
        const where = pick(['segment', 'append', 'query']);
        if (where === 'segment') segments[int(1, segments.length - 1)] = pick([bad, `x${bad}`, `${bad}y`]);
        const target = where === 'append' ? `${path}/${bad}` : where === 'query' ? `${path}?${query ? `${query}&` : ''}${pick(['customerRequestId', 'from', 'x'])}=${bad}` : `${segments.join('/')}${query ? `?${query}` : ''}`;
        const withBody = random() < 0.3 ? { body: bodyOf(r), headers: { ...anyAuth(r), 'Content-Type': jsonType() } } : { headers: anyAuth(r) };
        return { service: r.service, category: 'percent-encoding', method: r.method, path: target, ...withBody, expect: 400, code: 'MALFORMED_URL' };
      }],
      [6, () => {
        const r = pick(nest);
        const id = pick(BAD_REQUEST_IDS);
        const inHeader = random() < 0.4 && !id.includes('%');
        const path = inHeader ? r.path : `${r.path}${r.path.includes('?') ? '&' : '?'}customerRequestId=${id}`;
        const body = r.method === 'GET' ? {} : { body: bodyOf(r) };
        return { service: r.service, category: 'request id', method: r.method, path, headers: { ...anyAuth(r), 'Content-Type': jsonType(), ...(inHeader ? { 'X-Customer-Request-Id': id } : {}) }, ...body, expect: 400 };
      }],
      [12, () => {
        const r = pick(all.filter((x) => x.wrong));
        const [value, status] = pick(r.wrong!);
        return { service: r.service, category: 'wrong JSON', method: r.method, path: r.path, headers: { ...tokenFor(r, 'admin'), 'Content-Type': jsonType() }, body: json(value), expect: status };
      }],
      [8, () => {
        const r = pick(guarded);
        const who = pick<Auth>(['none', 'garbage', 'other-org']);
        const body = r.method === 'GET' ? {} : { body: bodyOf(r), headers: { ...tokenFor(r, who), 'Content-Type': jsonType() } };
        return { service: r.service, category: 'authorization', method: r.method, path: r.path, headers: tokenFor(r, who), ...body, expect: who === 'other-org' ? 403 : 401 };
      }],
      [6, () => {
        const r = pick(guarded.filter((x) => x.keySegment !== undefined || x.orgSegment !== undefined));
        const segments = r.path.split('?')[0].split('/');
        const onKey = r.keySegment !== undefined && random() < 0.5;
        const who: Auth = onKey ? 'admin' : pick<Auth>(['admin', 'operator']);
        segments[onKey ? r.keySegment! : r.orgSegment!] = pick(UNICODE_SEGMENTS);
        const path = segments.join('/');
        // A key id that cannot be one names no key (404); an organisation id that cannot be one is
        // another organisation to an admin (403) and a malformed id to an operator (400).
        const status = onKey ? 404 : who === 'admin' ? 403 : 400;
        const body = r.dto ? { body: json(r.valid), headers: { ...tokenFor(r, who), 'Content-Type': jsonType() } } : {};
        return { service: r.service, category: 'unicode path', method: r.method, path, headers: tokenFor(r, who), ...body, expect: status };
      }],
      [5, () => {
        const r = pick(all.filter((x) => !x.path.endsWith('/keys/test')));
        const method = pick(['PUT', 'PATCH', 'DELETE', 'POST', 'GET'].filter((m) => !routedMethods(r.path).includes(m)));
        const body = random() < 0.5 ? { body: bodyOf(r), headers: { ...anyAuth(r), 'Content-Type': jsonType() } } : { headers: anyAuth(r) };
        return { service: r.service, category: 'method', method, path: r.path, ...body, expect: opsListener(r) ? 405 : 404 };
      }],
      [2, () => {
        const r = pick(nest);
        const head = `${r.method} ${r.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(tokenFor(r, 'admin')).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Content-Type: application/json\r\n`;
        const body = JSON.stringify(r.valid ?? {});
        const [raw, status, code] = pick<readonly [string, number, string?]>([
          [`${head}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 400],
          [`${head}Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n\r\n${body}`, 400],
          [`${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`, 400],
          [`${head}Transfer-Encoding: gzip, chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 415, 'UNSUPPORTED_CONTENT_ENCODING'],
          [`${head}Content-Length: -${body.length}\r\n\r\n${body}`, 400],
          [`${head}Content-Length: 1e3\r\n\r\n${body}`, 400],
          [`${head}Bad Header: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 400],
          [`${head}X-Nul: a\u0000b\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 400],
          [`${r.method} ${r.path} HTTP/1.1\r\n\r\n`, 400],
          [`${r.method} ${r.path.replace('/', '/ ')} HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
          [`${r.method} ${r.path} HTTP/9.1\r\nHost: x\r\n\r\n`, 400],
          ['GARBAGE\r\n\r\n', 400],
        ]);
        return { service: r.service, category: 'raw framing', method: r.method, path: r.path, body: Buffer.from(raw, 'latin1'), expect: status, code };
      }],
    ];
    const total = categories.reduce((sum, [weight]) => sum + weight, 0);
    return Array.from({ length: count }, () => {
      let at = random() * total;
      for (const [weight, make] of categories) if ((at -= weight) < 0) return make();
      return categories[0][1]();
    });
  }
});
