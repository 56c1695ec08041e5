import net from 'node:net';
import request from 'supertest';
import { canonicalHeaderName } from '@keywarden/contracts';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { hostileSeed, inPool, seededRandom, sendHostile, sendRawWhole, StatusTally } from '../../../test/support/hostile-http';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';
import { startEdgeValidator } from './edge-validator.service';
import { ReceivedRequest, TestUpstream } from './testing/test-upstream';

// The edge gateway under hostile input, on the embedded adapters with a real recording upstream
// behind a base path: generated request-targets, header spellings, encodings and sizes, over raw
// sockets where framing matters; each must get its 4xx (or be let through cleaned), and the
// upstream must see nothing it should not.
const HOSTILE_EDGE_REQUESTS = Number(process.env.HOSTILE_EDGE_REQUESTS ?? 4_000);
const BASE = '/base';
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;

describe('edge-validator hostile input', () => {
  const upstream = new TestUpstream();
  let harness: EmbeddedHarness;
  let edgeUrl = '';
  let org = '';
  let keyId = '';
  let secret = '';

  beforeAll(async () => {
    await upstream.start();
    harness = new EmbeddedHarness({
      env: {
        EDGE_UPSTREAM_URL: `${upstream.url}${BASE}`,
        EDGE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        EDGE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        LOG_LEVEL: 'warn',
      },
    });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry, startEdgeValidator);
    edgeUrl = harness.url('edge-validator');
    org = 'hostile-edge';
    const registry = request(harness.url('key-registry'));
    const admin = { Authorization: `Bearer ${await harness.token(org)}` };
    const issued = await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201);
    keyId = issued.body.key.keyId;
    secret = issued.body.secret;
    await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${keyId}/test`).set(admin).expect(200)).body.valid, {
      description: 'the key in the active-key cache',
    });
  }, 60_000);

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  beforeEach(() => upstream.reset());

  /** A request head exactly as given; the target's characters as latin1 bytes unless told otherwise. */
  const rawRequest = (method: string, target: string, headers: Record<string, string> = {}, targetEncoding: BufferEncoding = 'latin1'): Buffer =>
    Buffer.concat([
      Buffer.from(`${method} `, 'latin1'),
      Buffer.from(target, targetEncoding),
      Buffer.from(` HTTP/1.1\r\nHost: api.example\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1'),
    ]);
  const codeOf = (body: string): string | undefined => {
    try {
      return (JSON.parse(body) as { details?: { code?: string } }).details?.code;
    } catch {
      return undefined;
    }
  };
  const auth = (): Record<string, string> => ({ Authorization: `Bearer ${secret}` });
  const arrived = (caseId: string): ReceivedRequest[] => upstream.received.filter((r) => r.headers['x-hostile-case'] === caseId);

  describe('issue 20, item 6: what the caller must not control', () => {
    const forwardedOk = async (headers: Record<string, string>): Promise<ReceivedRequest> => {
      const res = await sendHostile(edgeUrl, false, { method: 'GET', path: '/v1/orders', headers: { ...auth(), ...headers } });
      expect(res.status).toBe(200);
      return upstream.last();
    };

    it('strips the underscore spellings of the identity headers (X_Keywarden_Org) and sends the edge’s own', async () => {
      const seen = await forwardedOk({ X_Keywarden_Org: 'victim', x_keywarden_key_id: 'kw-forged', 'X-KEYWARDEN_ORG': 'victim' });
      const identity = seen.rawHeaders.flatMap((name, i) => (i % 2 === 0 && canonicalHeaderName(name).startsWith('x-keywarden-') ? [`${name}: ${seen.rawHeaders[i + 1]}`] : []));
      expect(identity).toEqual([`X-Keywarden-Org: ${org}`, `X-Keywarden-Key-Id: ${keyId}`]);
    });

    it.each(['X-Original-URL', 'X-Rewrite-URL', 'X-Original-URI', 'x_original_url'])('strips %s', async (name) => {
      const seen = await forwardedOk({ [name]: '/admin' });
      expect(seen.rawHeaders.filter((_, i) => i % 2 === 0).map(canonicalHeaderName)).not.toEqual(expect.arrayContaining([canonicalHeaderName(name)]));
      expect(seen.url).toBe(`${BASE}/v1/orders`);
    });

    it('replaces the caller’s X-Forwarded-For, X-Forwarded-Host/Proto and Via (no trusted proxy configured)', async () => {
      const seen = await forwardedOk({ 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'https', Via: '1.1 attacker', X_Forwarded_For: '7.7.7.7' });
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers.via).toBe('1.1 keywarden-edge');
      expect(JSON.stringify(seen.rawHeaders)).not.toMatch(/6\.6\.6\.6|7\.7\.7\.7|evil\.test|attacker/);
    });

    it.each([
      ['/../../admin', 'DOT_SEGMENT'],
      ['/%2e%2e/admin', 'DOT_SEGMENT'],
      ['/v1/%2E./admin', 'DOT_SEGMENT'],
      ['/v1\\..\\admin', 'DOT_SEGMENT'],
      ['http://evil.test/x', 'ABSOLUTE_FORM_TARGET'],
      ['*', 'ASTERISK_FORM_TARGET'],
      ['/v1/orgs/%zz/keys', 'MALFORMED_URL'],
    ])('refuses the request-target %s with 400 %s, the upstream seeing nothing', async (target, code) => {
      const res = await sendRawWhole(edgeUrl, rawRequest('GET', target, auth()));
      expect({ status: res.status, code: codeOf(res.body) }).toEqual({ status: 400, code });
      expect(upstream.started).toBe(0);
    });

    it('refuses CONNECT (authority-form) with 400 rather than dropping the connection', async () => {
      const res = await sendRawWhole(edgeUrl, rawRequest('CONNECT', 'evil.test:443', auth()));
      expect({ status: res.status, code: codeOf(res.body) }).toEqual({ status: 400, code: 'ABSOLUTE_FORM_TARGET' });
      expect(upstream.started).toBe(0);
    });

    it(`answers a client that sends its headers too slowly with 408 after EDGE_HEADERS_TIMEOUT_MS (${HEADERS_TIMEOUT_MS} ms here), not Node’s 60 s`, async () => {
      const started = Date.now();
      const res = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(new URL(edgeUrl).port), '127.0.0.1', () => socket.write('GET /v1/orders HTTP/1.1\r\nHost: x\r\n'));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
        socket.on('close', () => resolve(text));
      });
      const tookMs = Date.now() - started;
      expect(res).toMatch(/^HTTP\/1\.1 408 /);
      expect(codeOf(res.slice(res.indexOf('\r\n\r\n') + 4))).toBe('REQUEST_TIMEOUT');
      expect(tookMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(tookMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2_500);
      expect(upstream.started).toBe(0);
    });

    it(`ends a request whose body trickles past EDGE_REQUEST_TIMEOUT_MS (${REQUEST_TIMEOUT_MS} ms here), not Node’s 300 s`, async () => {
      const started = Date.now();
      const closed = await new Promise<number>((resolve) => {
        const socket = net.connect(Number(new URL(edgeUrl).port), '127.0.0.1', () =>
          socket.write(`POST /v1/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${secret}\r\nContent-Length: 100\r\n\r\nab`),
        );
        const drip = setInterval(() => socket.write('x'), 200);
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      expect(closed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(closed).toBeLessThan(REQUEST_TIMEOUT_MS + 2_500);
      expect(upstream.received.filter((r) => r.complete)).toHaveLength(0);
    });
  });

  describe('the edge’s own endpoints', () => {
    it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('answer %s with 405 and Allow: GET, HEAD', async (method) => {
      const res = await sendRawWhole(edgeUrl, rawRequest(method, '/_keywarden/health/live', { 'Content-Length': '0' }));
      expect({ status: res.status, code: codeOf(res.body) }).toEqual({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      expect(res.headers).toMatch(/\r\nAllow: GET, HEAD\r\n/i);
    });

    it.each(['/_keywarden/%zz', '/_keywarden/metrics?x=%ff', '/_keywarden/%2e%2e/health'])('refuse %s with 400', async (target) => {
      const res = await sendRawWhole(edgeUrl, rawRequest('GET', target));
      expect(res.status).toBe(400);
    });

    it('still answer GET and HEAD', async () => {
      expect((await sendRawWhole(edgeUrl, rawRequest('GET', '/_keywarden/health/live'))).status).toBe(200);
      expect((await sendRawWhole(edgeUrl, rawRequest('HEAD', '/_keywarden/health/live'))).status).toBe(200);
    });
  });

  it(`answers ${HOSTILE_EDGE_REQUESTS} generated hostile requests each with its 4xx (or lets it through cleaned), the upstream seeing nothing it should not`, async () => {
    const seed = hostileSeed();
    process.stdout.write(`hostile-input: edge seed ${seed} (HOSTILE_SEED=${seed} replays this run)\n`);
    const cases = generate(seededRandom(seed), HOSTILE_EDGE_REQUESTS, { secret: () => secret });
    const tally = new StatusTally();
    const kinds = new Map<string, number>();
    const started = Date.now();
    const answers = await inPool(
      cases.map((c) => async () => (c.raw ? sendRawWhole(edgeUrl, c.raw) : sendHostile(edgeUrl, false, c.http!).then((a) => ({ ...a, headers: '' })))),
      16,
    );
    const wrong: string[] = [];
    answers.forEach((answer, i) => {
      const c = cases[i];
      tally.add(answer.status);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      const problem = c.check(answer, arrived(c.id));
      if (problem) wrong.push(`${c.kind} #${c.id} ${c.what}: ${problem}`);
    });
    process.stdout.write(`${tally.line('edge')}\n`);
    process.stdout.write(
      `hostile-input: edge ${cases.length} requests in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...kinds].sort().map(([k, n]) => `${k}: ${n}`).join(', ')})\n`,
    );
    expect({ seed, wrongCount: wrong.length, wrong: wrong.slice(0, 20) }).toEqual({ seed, wrongCount: 0, wrong: [] });
    // Every status an input can earn here is 2xx (let through, cleaned) or 4xx: never 5xx, never no answer.
    expect(answers.filter((a) => a.status >= 500 || a.status === 0)).toEqual([]);
  }, 120_000);

  type Answer = Readonly<{ status: number; headers: string; body: string }>;
  type Case = Readonly<{
    id: string;
    kind: string;
    what: string;
    raw?: Buffer;
    http?: Parameters<typeof sendHostile>[2];
    /** Why the answer or what reached the upstream is wrong; null when right. */
    check: (answer: Answer, atUpstream: ReceivedRequest[]) => string | null;
  }>;

  /** A refusal: this status (and code, when the edge wrote the body), and nothing of it upstream. */
  const refused =
    (status: number, code?: string) =>
    (answer: Answer, atUpstream: ReceivedRequest[]): string | null => {
      if (answer.status !== status) return `got ${answer.status}, want ${status} ${answer.body.slice(0, 120)}`;
      if (code !== undefined && codeOf(answer.body) !== code) return `got code ${codeOf(answer.body)}, want ${code}`;
      return atUpstream.length > 0 ? `reached the upstream as ${atUpstream[0].url}` : null;
    };

  function generate(random: () => number, count: number, keys: { secret: () => string }): Case[] {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const spell = (name: string): string =>
      [...name].map((ch) => (ch === '-' && random() < 0.5 ? '_' : random() < 0.5 ? ch.toUpperCase() : ch.toLowerCase())).join('');
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
    const prefixes = ['', '/v1', '/v1/orders', '/a/b/c', '/_keywarden', '/auth'];
    const dots = ['..', '.', '%2e%2e', '%2E%2E', '%2e.', '.%2E', '%2e', '%252e%252e', '%252E.'];
    const separators = ['/', '\\', '%2f', '%2F', '%5c', '%5C'];
    const suffixes = ['admin', 'etc/passwd', '', '_keywarden/metrics', 'v1/orgs/x/keys'];
    const badEscapes = ['%', '%z', '%zz', '%1', '%g0', '%ff', '%c0%ae', '%e2%82', '%C3%28', '%ED%A0%80'];
    const forbidden = [
      'X-Keywarden-Org',
      'X-Keywarden-Key-Id',
      'X-Keywarden-Role',
      'X-Original-URL',
      'X-Rewrite-URL',
      'X-Original-URI',
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'X-Forwarded-Proto',
      'X-Forwarded-Prefix',
      'X-Real-IP',
      'Forwarded',
      'Via',
    ];
    const cleanPaths = ['/v1/orders', '/caf%C3%A9', '/%E2%82%AC/x', '/a..b/c', '/files/report.v2.json', '/.well-known/thing', '/v1/x?q=a%20b&r=%F0%9F%94%91', '/v1//double', '/%7Euser'];
    const withAuth = (): Record<string, string> => (random() < 0.85 ? { Authorization: `Bearer ${keys.secret()}` } : {});
    const out: Case[] = [];
    for (let n = 0; n < count; n++) {
      const id = String(n);
      const marker = { 'X-Hostile-Case': id };
      const roll = random();
      const method = pick(methods);
      if (roll < 0.3) {
        const target = `${pick(prefixes)}/${pick(dots)}${random() < 0.8 ? `${pick(separators)}${pick(suffixes)}` : ''}${random() < 0.2 ? '?x=1' : ''}`;
        out.push({ id, kind: 'dot-segment', what: `${method} ${target}`, raw: rawRequest(method, target, { ...withAuth(), ...marker }), check: refused(400, method === 'HEAD' ? undefined : 'DOT_SEGMENT') });
      } else if (roll < 0.42) {
        const target =
          random() < 0.8
            ? `${pick(['http', 'https', 'HTTP', 'ftp', 'ws', 'javascript'])}:${pick(['//evil.test', '//127.0.0.1:22', '//[::1]', '//user@host', ''])}${pick(['/x', '/', '/base/../admin', ''])}`
            : '*';
        // With an authority (//host) Node hands the target to the edge; without one its parser refuses it first.
        const code = target === '*' ? 'ASTERISK_FORM_TARGET' : target.includes('//') ? 'ABSOLUTE_FORM_TARGET' : 'MALFORMED_REQUEST';
        out.push({ id, kind: 'target-form', what: `${method} ${target}`, raw: rawRequest(method, target, { ...withAuth(), ...marker }), check: refused(400, method === 'HEAD' ? undefined : code) });
      } else if (roll < 0.57) {
        const escape = pick(badEscapes);
        const target = random() < 0.6 ? `${pick(prefixes)}/p${escape}x` : `${pick(prefixes)}/p?${pick(['q', 'customerRequestId', 'a'])}=${escape}`;
        out.push({ id, kind: 'percent-encoding', what: `${method} ${target}`, raw: rawRequest(method, target, { ...withAuth(), ...marker }), check: refused(400, method === 'HEAD' ? undefined : 'MALFORMED_URL') });
      } else if (roll < 0.77) {
        const headers: Record<string, string> = { Authorization: `Bearer ${keys.secret()}`, ...marker };
        const chosen = Array.from({ length: 1 + Math.floor(random() * 4) }, () => spell(pick(forbidden)));
        for (const name of chosen) headers[name] = `forged-${id}`;
        if (random() < 0.3) {
          headers.Connection = spell('X-Hop-Field');
          headers['X-Hop-Field'] = `forged-${id}`;
        }
        out.push({
          id,
          kind: 'header-spelling',
          what: `${chosen.join(', ')}`,
          http: { method: 'GET', path: `/v1/h/${id}`, headers },
          check: (answer, atUpstream) => {
            if (answer.status !== 200) return `got ${answer.status}, want 200 (let through, cleaned)`;
            if (atUpstream.length !== 1) return `reached the upstream ${atUpstream.length} times`;
            const seen = atUpstream[0];
            if (seen.url !== `${BASE}/v1/h/${id}`) return `upstream saw ${seen.url}`;
            if (JSON.stringify(seen.rawHeaders).includes('forged')) return `a forged header reached the upstream: ${JSON.stringify(seen.rawHeaders)}`;
            if (seen.headers['x-keywarden-org'] !== org || seen.headers['x-forwarded-for'] !== '127.0.0.1' || seen.headers.via !== '1.1 keywarden-edge') {
              return `identity/forwarding headers wrong: ${JSON.stringify(seen.headers)}`;
            }
            return null;
          },
        });
      } else if (roll < 0.85) {
        const path = pick(cleanPaths);
        out.push({
          id,
          kind: 'encoding-let-through',
          what: path,
          raw: rawRequest('GET', path, { Authorization: `Bearer ${keys.secret()}`, ...marker }),
          check: (answer, atUpstream) =>
            answer.status !== 200 ? `got ${answer.status}, want 200` : atUpstream.length !== 1 || atUpstream[0].url !== `${BASE}${path}` ? `upstream saw ${atUpstream.map((r) => r.url).join()}` : null,
        });
      } else if (roll < 0.9) {
        const target = `/v1/${pick(['caf\u00e9', '\u2603', 'a b', 'a\u0000b', 'x\u007f', 'tab\tx'])}`;
        // Raw bytes outside the request-target's grammar (UTF-8 unescaped, space, NUL, DEL): Node's parser refuses them.
        out.push({ id, kind: 'raw-bytes', what: JSON.stringify(target), raw: rawRequest('GET', target, { ...withAuth(), ...marker }, 'utf8'), check: refused(400, 'MALFORMED_REQUEST') });
      } else if (roll < 0.94) {
        const target = pick(['/v1/orders', '/auth', '/v1/x?customerRequestId=ok-1']);
        const headers: Record<string, string> = random() < 0.5 ? { Authorization: pick(['Bearer ', 'Bearer x.y.z', 'Basic dXNlcjpwYXNz', `Bearer ${keys.secret()}x`, 'bearer']) } : {};
        out.push({ id, kind: 'no-valid-secret', what: `${method} ${target} ${JSON.stringify(headers)}`, raw: rawRequest(method, target, { ...headers, ...marker }), check: refused(401) });
      } else if (roll < 0.97) {
        const target = pick(['/_keywarden/health', '/_keywarden/health/live', '/_keywarden/health/ready', '/_keywarden/metrics', '/_keywarden/ready', '/_keywarden/nothing']);
        const m = pick(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']);
        out.push({ id, kind: 'own-endpoint-method', what: `${m} ${target}`, raw: rawRequest(m, target, { ...marker, 'Content-Length': '0' }), check: refused(405, 'METHOD_NOT_ALLOWED') });
      } else {
        const size = 17_000 + Math.floor(random() * 20_000);
        const big = random() < 0.5;
        const raw = big ? rawRequest('GET', `/v1/${'a'.repeat(size)}`, { ...auth(), ...marker }) : rawRequest('GET', '/v1/orders', { ...auth(), ...marker, 'X-Filler': 'b'.repeat(size) });
        out.push({ id, kind: 'oversized-head', what: `${big ? 'target' : 'header'} of ${size} bytes`, raw, check: refused(431, 'HEADERS_TOO_LARGE') });
      }
    }
    return out;
  }
});

describe('edge-validator behind a trusted proxy (EDGE_TRUSTED_PROXIES)', () => {
  const upstream = new TestUpstream();
  let harness: EmbeddedHarness;
  let secret = '';

  beforeAll(async () => {
    await upstream.start();
    harness = new EmbeddedHarness({ env: { EDGE_UPSTREAM_URL: upstream.url, EDGE_TRUSTED_PROXIES: '10.0.0.0/8, loopback', LOG_LEVEL: 'warn' } });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry, startEdgeValidator);
    const registry = request(harness.url('key-registry'));
    const admin = { Authorization: `Bearer ${await harness.token('trusting-org')}` };
    const issued = await registry.post('/v1/orgs/trusting-org/keys').set(admin).send({}).expect(201);
    secret = issued.body.secret;
    await waitFor(async () => (await registry.post(`/v1/orgs/trusting-org/keys/${issued.body.key.keyId}/test`).set(admin).expect(200)).body.valid, {
      description: 'the key in the active-key cache',
    });
  }, 60_000);

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it('extends the forwarding headers of a peer it trusts (here the loopback test client), and still strips identity spellings', async () => {
    const res = await sendHostile(harness.url('edge-validator'), false, {
      method: 'GET',
      path: '/v1/orders',
      headers: { Authorization: `Bearer ${secret}`, 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example', Via: '1.1 lb', X_Keywarden_Org: 'victim' },
    });
    expect(res.status).toBe(200);
    const seen = upstream.last();
    expect({ xff: seen.headers['x-forwarded-for'], proto: seen.headers['x-forwarded-proto'], host: seen.headers['x-forwarded-host'], via: seen.headers.via, org: seen.headers['x-keywarden-org'] }).toEqual({
      xff: '198.51.100.7, 127.0.0.1',
      proto: 'https',
      host: 'api.example',
      via: '1.1 lb, 1.1 keywarden-edge',
      org: 'trusting-org',
    });
    expect(JSON.stringify(seen.rawHeaders)).not.toContain('victim');
  });
});
