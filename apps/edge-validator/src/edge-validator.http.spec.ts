import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { decodeJwtPayload, EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';
import { startEdgeValidator } from './edge-validator.service';
import { TestUpstream } from './testing/test-upstream';

// The edge through real HTTP on the embedded adapters (in-process bus, in-memory cache), with the
// registry, projection and settings service it works with, and a recording upstream behind it.
describe('edge-validator HTTP behaviour', () => {
  const upstream = new TestUpstream();
  let harness: EmbeddedHarness;
  let edge: ReturnType<typeof request>;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let org = '';
  let admin = '';
  let orgCounter = 0;

  beforeAll(async () => {
    await upstream.start();
    harness = new EmbeddedHarness({
      start: '2026-03-01T10:00:00.000Z',
      env: { EDGE_UPSTREAM_URL: upstream.url, EDGE_UPSTREAM_TIMEOUT_MS: '400', EDGE_USAGE_FLUSH_MS: '50', EDGE_REWRITE_MAX_BYTES: '4096', EDGE_ACCESS_LOG: 'true' },
    });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry, startEdgeValidator);
    edge = request(harness.url('edge-validator'));
    registry = request(harness.url('key-registry'));
    settings = request(harness.url('settings'));
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  beforeEach(async () => {
    upstream.reset();
    org = `edge-org-${++orgCounter}`;
    admin = await harness.token(org);
  });

  const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

  /** Issues a key and waits until the registry's test icon is green: the edge's cache has it. */
  async function issueKey(body: object = {}): Promise<{ keyId: string; secret: string }> {
    const res = await registry.post(`/v1/orgs/${org}/keys`).set(bearer(admin)).send(body).expect(201);
    await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${res.body.key.keyId}/test`).set(bearer(admin)).expect(200)).body.valid, {
      description: 'the key in the active-key cache',
    });
    return { keyId: res.body.key.keyId, secret: res.body.secret };
  }

  async function changeSettings(body: object, role: 'admin' | 'operator' = 'admin'): Promise<void> {
    const token = role === 'admin' ? admin : await harness.token('platform', 'operator', 'ops@keywarden.test');
    await settings.patch(`/v1/orgs/${org}/settings`).set(bearer(token)).send(body).expect(200);
  }

  /** A raw request, for what supertest hides: chunked uploads, hop-by-hop headers, exact responses. */
  function raw(options: http.RequestOptions, body?: Buffer | Buffer[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const url = new URL(harness.url('edge-validator'));
    return new Promise((resolve, reject) => {
      const req = http.request({ hostname: url.hostname, port: url.port, agent: false, ...options }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      for (const chunk of Array.isArray(body) ? body : body ? [body] : []) req.write(chunk);
      req.end();
    });
  }

  describe('proxying', () => {
    it('forwards any method and path with the identity headers, without the Secret or hop-by-hop fields', async () => {
      const { keyId, secret } = await issueKey();
      upstream.handler = (_req, res) => {
        res.writeHead(201, [
          'Content-Type', 'application/json',
          'Connection', 'X-Upstream-Hop',
          'X-Upstream-Hop', 'dropped',
          'Keep-Alive', 'timeout=5',
          'Set-Cookie', 'a=1',
          'Set-Cookie', 'b=2',
          'X-Upstream', 'kept',
        ]);
        res.end('{"created":true}');
      };
      const res = await raw({
        method: 'PUT',
        path: '/v1/things/42?expand=all',
        headers: {
          ...bearer(secret),
          Connection: 'X-Caller-Hop',
          'X-Caller-Hop': 'dropped',
          TE: 'trailers',
          'Proxy-Authorization': 'Basic Zm9vOmJhcg==',
          'X-Keywarden-Org': 'forged-org',
          'X-Keywarden-Key-Id': 'forged-key',
          'X-Custom': 'kept',
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toBe('{"created":true}');
      expect(res.headers['x-upstream']).toBe('kept');
      expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(res.headers['x-upstream-hop']).toBeUndefined();
      // The edge's own keep-alive towards its caller, not the upstream's.
      expect(res.headers['keep-alive']).not.toBe('timeout=5');

      const seen = upstream.last();
      expect(seen).toMatchObject({ method: 'PUT', url: '/v1/things/42?expand=all' });
      expect(seen.headers).toMatchObject({ 'x-keywarden-org': org, 'x-keywarden-key-id': keyId, 'x-custom': 'kept', host: new URL(upstream.url).host });
      expect(seen.rawHeaders.filter((h) => /^x-keywarden-/i.test(h))).toHaveLength(2);
      for (const dropped of ['authorization', 'proxy-authorization', 'x-caller-hop', 'te']) expect(seen.headers[dropped]).toBeUndefined();
      expect(seen.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
      expect(seen.headers.via).toMatch(/keywarden-edge/);
    });

    it('streams request and response bodies both ways', async () => {
      const { secret } = await issueKey();
      upstream.handler = (req, res, body) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        // Answered in pieces without a length: relayed chunked.
        for (let i = 0; i < body.length; i += 65_536) res.write(body.subarray(i, i + 65_536));
        res.end();
      };
      const payload = Buffer.alloc(300_000, 'a');
      const chunks = [payload.subarray(0, 100_000), payload.subarray(100_000)];
      const res = await raw({ method: 'POST', path: '/upload', headers: { ...bearer(secret), 'Transfer-Encoding': 'chunked' } }, chunks);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(300_000);
      expect(upstream.last().body.equals(payload)).toBe(true);
    });

    it('answers 502 with a JSON body when the upstream hangs up', async () => {
      const { secret } = await issueKey();
      upstream.handler = (req) => req.socket.destroy();
      const res = await edge.get('/v1/things').set(bearer(secret)).expect(502);
      expect(res.body).toEqual({ statusCode: 502, error: 'Bad Gateway', message: expect.stringMatching(/could not be reached/) });
    });

    it('answers 504 with a JSON body when the upstream stays silent past the timeout', async () => {
      const { secret } = await issueKey();
      upstream.handler = () => undefined;
      const res = await edge.get('/v1/slow').set(bearer(secret)).expect(504);
      expect(res.body).toEqual({ statusCode: 504, error: 'Gateway Timeout', message: 'the API behind the gateway did not answer within 400 ms' });
    });
  });

  describe('refusals', () => {
    it('refuses a missing, malformed, forged or deleted Secret with 401, a Bearer challenge, and the same words; the upstream sees nothing', async () => {
      const { keyId, secret } = await issueKey();
      const [header, payload, signature] = secret.split('.');
      const forged = `${header}.${payload}.${Buffer.from(Buffer.from(signature, 'base64url').map((b) => b ^ 1)).toString('base64url')}`;
      const missing = await edge.get('/v1/things').expect(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="keywarden", error="invalid_token"');
      expect(missing.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/Authorization: Bearer/) });

      const bodies = [];
      for (const token of ['not-a-secret', 'a.b.c', forged]) {
        const res = await edge.get('/v1/things').set(bearer(token)).expect(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="keywarden", error="invalid_token"');
        bodies.push(res.body);
      }
      await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(bearer(admin)).send({ grace: 'P0D' }).expect(200);
      await registry.delete(`/v1/orgs/${org}/keys/${keyId}`).set(bearer(admin)).expect(204);
      const deleted = await waitFor(async () => {
        const res = await edge.get('/v1/things').set(bearer(secret));
        return res.status === 401 ? res : null;
      });
      bodies.push(deleted.body);
      expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
      expect(bodies[0]).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'the Secret is invalid or no longer accepted' });
      expect(upstream.started).toBe(0);
    });

    it('stops a grace-0 revocation at once, though the in-process entry is fresh (the invalidation evicts it)', async () => {
      const { keyId, secret } = await issueKey();
      await edge.get('/v1/things').set(bearer(secret)).expect(200);
      await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(bearer(admin)).send({ grace: 'P0D' }).expect(200);
      // The manual clock does not move: only the invalidation can make the edge re-read the entry.
      await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret))).status === 401, { description: 'the revoked key refused' });
    });

    it('accepts a revoked key during its grace and refuses it, and an expired key, from their end on', async () => {
      const revoked = await issueKey();
      const { body } = await registry.post(`/v1/orgs/${org}/keys/${revoked.keyId}/revoke`).set(bearer(admin)).send({ grace: 'P2D', newKeyValidity: 'P5D' }).expect(200);
      const replacement = body.secret as string;
      await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${body.issued.keyId}/test`).set(bearer(admin))).body.valid);
      await edge.get('/v1/things').set(bearer(revoked.secret)).expect(200);
      await edge.get('/v1/things').set(bearer(replacement)).expect(200);
      try {
        harness.clock.advance(2 * DAY_MS);
        await edge.get('/v1/things').set(bearer(revoked.secret)).expect(401);
        await edge.get('/v1/things').set(bearer(replacement)).expect(200);
        harness.clock.advance(3 * DAY_MS);
        await edge.get('/v1/things').set(bearer(replacement)).expect(401);
      } finally {
        harness.clock.advance(-5 * DAY_MS);
      }
    });
  });

  describe('"Never expire"', () => {
    it("keeps the Secret already deployed passing past the exp it was minted with, and only while the registry accepts the key", async () => {
      const { keyId, secret } = await issueKey({ validity: 'P30D' });
      await edge.get('/v1/things').set(bearer(secret)).expect(200);
      await registry.post(`/v1/orgs/${org}/keys/${keyId}/remove-expiration`).set(bearer(admin)).expect(200);
      try {
        harness.clock.advance(31 * DAY_MS);
        expect(decodeJwtPayload(secret).exp as number).toBeLessThan(harness.clock.now().getTime() / 1000);
        await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret))).status === 200, { description: 'the old Secret accepted past its exp' });
        await edge.get('/auth').set(bearer(secret)).expect(204);
        // Revoked with no grace: its end is the registry's again, and the Secret is refused.
        await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(bearer(admin)).send({ grace: 'P0D' }).expect(200);
        await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret))).status === 401, { description: 'the revoked key refused' });
      } finally {
        harness.clock.advance(-31 * DAY_MS);
      }
    });

    it('does not save a key that was left to expire: its Secret is refused from its exp on', async () => {
      const { secret } = await issueKey({ validity: 'P30D' });
      await edge.get('/v1/things').set(bearer(secret)).expect(200);
      try {
        harness.clock.advance(30 * DAY_MS);
        await edge.get('/v1/things').set(bearer(secret)).expect(401);
      } finally {
        harness.clock.advance(-30 * DAY_MS);
      }
    });
  });

  describe('forward-auth (GET /auth)', () => {
    it('answers 204 with the identity headers for a valid Secret and 401 otherwise, never calling the upstream', async () => {
      const { keyId, secret } = await issueKey();
      const ok = await edge.get('/auth').set(bearer(secret)).set('X-Forwarded-Uri', '/v1/orders?customerRequestId=fwd-1').expect(204);
      expect(ok.headers).toMatchObject({ 'x-keywarden-org': org, 'x-keywarden-key-id': keyId, 'x-customer-request-id': 'fwd-1' });
      // Envoy's ext_authz appends the original path to the configured prefix.
      await edge.post('/auth/v1/orders').set(bearer(secret)).expect(204);
      const refused = await edge.get('/auth').set(bearer('garbage')).expect(401);
      expect(refused.headers['www-authenticate']).toMatch(/invalid_token/);
      await edge.get('/auth').expect(401);
      expect(upstream.started).toBe(0);
    });
  });

  describe('request id', () => {
    it('takes it from X-Customer-Request-Id: echoed, sent upstream, and in every log line of the request', async () => {
      const { secret } = await issueKey();
      const res = await edge.get('/v1/things').set(bearer(secret)).set('X-Customer-Request-Id', 'order-4711').expect(200);
      expect(res.headers['x-customer-request-id']).toBe('order-4711');
      expect(upstream.last().headers['x-customer-request-id']).toBe('order-4711');
      const lines = harness.logs.parsed().filter((l) => l.service === 'edge-validator' && l.requestId === 'order-4711');
      expect(lines).toEqual([expect.objectContaining({ msg: 'edge request', status: 200, orgId: org, path: '/v1/things' })]);
    });

    it('takes it from the customerRequestId parameter when the header is absent, and refuses a malformed one with 400', async () => {
      const { secret } = await issueKey();
      const res = await edge.get('/v1/things?customerRequestId=q-42').set(bearer(secret)).expect(200);
      expect(res.headers['x-customer-request-id']).toBe('q-42');
      expect(upstream.last().headers['x-customer-request-id']).toBe('q-42');
      const refused = await edge.get('/v1/things?customerRequestId=has%20space').set(bearer(secret)).expect(400);
      expect(refused.body.message).toMatch(/X-Customer-Request-Id header or customerRequestId parameter/);
      expect(harness.logs.text).not.toContain('has space');
    });

    it('works without one: nothing echoed, a generated id in the logs only', async () => {
      const { keyId, secret } = await issueKey();
      const res = await edge.get('/v1/things').set(bearer(secret)).expect(200);
      expect(res.headers['x-customer-request-id']).toBeUndefined();
      expect(upstream.last().headers['x-customer-request-id']).toBeUndefined();
      const line = harness.logs.parsed().find((l) => l.msg === 'edge request' && l.keyId === keyId);
      expect(line?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('carries it in the log line of a request that failed inside the edge (500), from the header or the parameter', async () => {
      const { secret } = await issueKey();
      // An unexpected fault while checking the signature (never seen Secret): not a refusal, a 500.
      const spy = jest.spyOn(harness.infra.keyMaterial().signingKeys, 'publicKey').mockImplementation(() => {
        throw new Error('the signing-key ring broke');
      });
      try {
        const res = await edge.get('/v1/things').set(bearer(secret)).set('X-Customer-Request-Id', 'fail-4711').expect(500);
        expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: expect.any(String) });
        expect(res.headers['x-customer-request-id']).toBe('fail-4711');
        await edge.get('/v1/things?customerRequestId=fail-q-42').set(bearer(secret)).expect(500);
        await edge.get('/v1/things?customerRequestId=bad%20id').set(bearer(secret)).expect(500);
      } finally {
        spy.mockRestore();
      }
      const failed = harness.logs.parsed().filter((l) => l.service === 'edge-validator' && l.msg === 'edge request failed');
      expect(failed.map((l) => l.requestId)).toEqual(expect.arrayContaining(['fail-4711', 'fail-q-42']));
      expect(failed.find((l) => l.requestId === 'fail-4711')).toMatchObject({ path: '/v1/things', method: 'GET' });
      expect(failed.find((l) => l.path === '/v1/things' && l.requestId !== 'fail-4711' && l.requestId !== 'fail-q-42')?.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(harness.logs.text).not.toContain('bad id');
      expect(harness.logs.text).not.toContain(secret);
      expect(upstream.started).toBe(0);
    });

    it("honours the header the organisation configured", async () => {
      const { secret } = await issueKey();
      await changeSettings({ requestIdHeader: 'X-Trace-Ref' });
      await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret)).set('X-Trace-Ref', 'trace-9')).headers['x-trace-ref'] === 'trace-9', {
        description: 'the edge using the new header',
      });
      expect(upstream.last().headers['x-trace-ref']).toBe('trace-9');
    });

    it("honours the organisation's header when its verified Secret is refused: revoked, deleted or expired key", async () => {
      const { keyId, secret } = await issueKey({ validity: 'P3D' });
      await changeSettings({ requestIdHeader: 'X-Trace-Ref' });
      await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret)).set('X-Trace-Ref', 'ok-1')).headers['x-trace-ref'] === 'ok-1', {
        description: 'the edge using the new header',
      });
      const refusedWith = async (id: string) => {
        const res = await edge.get('/v1/things').set(bearer(secret)).set('X-Trace-Ref', id).expect(401);
        expect(res.headers['x-trace-ref']).toBe(id);
        expect(harness.logs.parsed().filter((l) => l.service === 'edge-validator' && l.requestId === id)).toEqual([
          expect.objectContaining({ msg: 'edge request', status: 401, orgId: org, path: '/v1/things', refusal: expect.any(String) }),
        ]);
      };
      try {
        // Expired: the clock passes the key's end.
        harness.clock.advance(3 * DAY_MS);
        await refusedWith('expired-1');
      } finally {
        harness.clock.advance(-3 * DAY_MS);
      }
      await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(bearer(admin)).send({ grace: 'P0D' }).expect(200);
      await waitFor(async () => (await edge.get('/v1/things').set(bearer(secret))).status === 401, { description: 'the revoked key refused' });
      await refusedWith('revoked-1');
      await registry.delete(`/v1/orgs/${org}/keys/${keyId}`).set(bearer(admin)).expect(204);
      await refusedWith('deleted-1');
      // A Secret that does not verify names no organisation: its header is not the one read.
      const [header, payload] = secret.split('.');
      const forged = await edge.get('/v1/things').set(bearer(`${header}.${payload}.${'A'.repeat(86)}`)).set('X-Trace-Ref', 'forged-1').expect(401);
      expect(forged.headers['x-trace-ref']).toBeUndefined();
    });
  });

  describe('media limit', () => {
    it("refuses a body over the organisation's limit with 413 naming it, before the upstream sees a byte", async () => {
      const { secret } = await issueKey();
      await changeSettings({ mediaMaxBase64Bytes: 1000 }, 'operator');
      const declared = await waitFor(async () => {
        const res = await edge.post('/v1/media').set(bearer(secret)).set('Content-Type', 'text/plain').send('x'.repeat(1001));
        return res.status === 413 ? res : null;
      }, { description: 'the new limit applied by the edge' });
      expect(declared.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.stringContaining('1000 bytes'),
        details: { limitBytes: 1000 },
      });
      expect(upstream.started).toBe(0);

      // Chunked, over a limit within the first window: held, refused, and the upstream never contacted.
      const chunked = await raw({ method: 'POST', path: '/v1/media', headers: { ...bearer(secret), 'Transfer-Encoding': 'chunked' } }, [Buffer.alloc(600), Buffer.alloc(600)]);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toEqual(declared.body);
      expect(upstream.started).toBe(0);

      await edge.post('/v1/media').set(bearer(secret)).set('Content-Type', 'text/plain').send('x'.repeat(1000)).expect(200);
      expect(upstream.last().body.length).toBe(1000);
      const whole = await raw({ method: 'POST', path: '/v1/media', headers: { ...bearer(secret), 'Transfer-Encoding': 'chunked' } }, [Buffer.alloc(500, 'a'), Buffer.alloc(500, 'b')]);
      expect(whole.status).toBe(200);
      expect(upstream.last()).toMatchObject({ complete: true, headers: { 'content-length': '1000' } });
      expect(upstream.last().body.equals(Buffer.concat([Buffer.alloc(500, 'a'), Buffer.alloc(500, 'b')]))).toBe(true);
    });

    it('answers a large chunked upload over the limit with the whole 413 body, never a reset, and the upstream never gets it complete', async () => {
      const { secret } = await issueKey();
      const limit = 300_000;
      await changeSettings({ mediaMaxBase64Bytes: limit }, 'operator');
      await waitFor(async () => (await edge.post('/v1/media').set(bearer(secret)).send('x'.repeat(limit + 1))).status === 413, { description: 'the new limit applied by the edge' });
      upstream.reset();

      // Under the limit and past the first window: streamed, and whole.
      const fits = Buffer.alloc(limit, 'f');
      const ok = await raw({ method: 'POST', path: '/v1/media', headers: { ...bearer(secret), 'Transfer-Encoding': 'chunked' } }, [fits.subarray(0, 100_000), fits.subarray(100_000)]);
      expect(ok.status).toBe(200);
      expect(upstream.last()).toMatchObject({ complete: true });
      expect(upstream.last().body.equals(fits)).toBe(true);
      upstream.reset();

      // 8 MiB in 64 KiB chunks, written as fast as the socket takes them.
      for (let round = 0; round < 3; round++) {
        const chunks = Array.from({ length: 128 }, () => Buffer.alloc(64 * 1024, 'x'));
        const res = await raw({ method: 'POST', path: '/v1/media', headers: { ...bearer(secret), 'Transfer-Encoding': 'chunked', 'X-Customer-Request-Id': `big-${round}` } }, chunks);
        expect(res.status).toBe(413);
        expect(res.headers.connection).toBe('close');
        expect(res.headers['x-customer-request-id']).toBe(`big-${round}`);
        expect(JSON.parse(res.body)).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.stringContaining(`${limit} bytes`), details: { limitBytes: limit } });
      }
      // A client that sends its whole upload before it reads the answer (as many do): every write
      // completes, then it finds the 413, not a reset.
      const late = await uploadThenRead(`POST /v1/media HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer ${secret}\r\nTransfer-Encoding: chunked\r\n\r\n`, 128, 64 * 1024);
      expect(late.writeError).toBeUndefined();
      expect(late.response).toMatch(/^HTTP\/1\.1 413 /);
      expect(late.response).toContain(`"details":{"limitBytes":${limit}}`);

      await waitFor(() => upstream.received.length === upstream.started, { description: 'the upstream done with what it was sent' });
      expect(upstream.received.filter((r) => r.complete)).toHaveLength(0);
      for (const seen of upstream.received) expect(seen.body.length).toBeLessThanOrEqual(limit);
    });

    /** Writes a request head and `count` chunks of `size` bytes, each after the previous was taken, then reads the whole answer. */
    function uploadThenRead(head: string, count: number, size: number): Promise<{ writeError?: string; response: string }> {
      const url = new URL(harness.url('edge-validator'));
      return new Promise((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname);
        let response = '';
        let writeError: string | undefined;
        socket.pause();
        socket.on('error', (e: NodeJS.ErrnoException) => (writeError ??= e.code ?? e.message));
        socket.on('close', () => resolve({ writeError, response }));
        const chunk = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 'x'), Buffer.from('\r\n')]);
        const write = (i: number): void => {
          if (i === count) {
            socket.write('0\r\n\r\n', () => {
              socket.setEncoding('utf8');
              socket.on('data', (d: string) => (response += d));
              socket.resume();
            });
            return;
          }
          socket.write(chunk, (e) => (e ? undefined : write(i + 1)));
        };
        socket.write(head, () => write(0));
      });
    }
  });

  describe('UTC date-times (isoUtcTimestamps)', () => {
    const body = '{"at":"2025-11-23T14:44:11+02:00", "local":"2025-11-23T12:44:11", "ms":"2025-11-23T12:44:11.987Z",\n "big":12345678901234567890,"day":"2025-11-23","2025-11-23T12:44:11":"key","list":[{"t":"2025-11-23T07:44:11-05:00"}],"text":"at 2025-11-23T12:44:11"}';

    beforeEach(() => {
      upstream.handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ETag: '"v1"' });
        res.end(body);
      };
    });

    it('leaves upstream JSON untouched while the setting is off', async () => {
      const { secret } = await issueKey();
      const res = await edge.get('/v1/things').set(bearer(secret)).expect(200);
      expect(res.text).toBe(body);
    });

    it('rewrites every date-time value to ISO 8601 UTC with Z once it is on, and nothing else', async () => {
      const { secret } = await issueKey();
      await changeSettings({ isoUtcTimestamps: true });
      const res = await waitFor(async () => {
        const r = await edge.get('/v1/things').set(bearer(secret));
        return r.text !== body ? r : null;
      });
      expect(res.text).toBe(
        '{"at":"2025-11-23T12:44:11Z", "local":"2025-11-23T12:44:11Z", "ms":"2025-11-23T12:44:11Z",\n "big":12345678901234567890,"day":"2025-11-23","2025-11-23T12:44:11":"key","list":[{"t":"2025-11-23T12:44:11Z"}],"text":"at 2025-11-23T12:44:11"}',
      );
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
      expect(res.headers.etag).toBeUndefined();
    });

    it('passes a body above EDGE_REWRITE_MAX_BYTES through unchanged', async () => {
      const { secret } = await issueKey();
      await changeSettings({ isoUtcTimestamps: true });
      const large = JSON.stringify({ at: '2025-11-23T12:44:11', padding: 'p'.repeat(5000) });
      upstream.handler = (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(large);
      };
      const res = await edge.get('/v1/things').set(bearer(secret)).expect(200);
      expect(res.text).toBe(large);
    });
  });

  describe('usage', () => {
    it('shows lastUsedAt in the key table, at minute precision, after calls through the edge', async () => {
      const { keyId, secret } = await issueKey();
      harness.clock.advance(90_000);
      try {
        await edge.get('/v1/things').set(bearer(secret)).expect(200);
        await edge.get('/auth').set(bearer(secret)).expect(204);
        const key = await waitFor(async () => {
          const res = await registry.get(`/v1/orgs/${org}/keys/${keyId}`).set(bearer(admin)).expect(200);
          return res.body.lastUsedAt ? res.body : null;
        }, { description: 'lastUsedAt in the key table' });
        expect(key.lastUsedAt).toBe('2026-03-01T10:01:00');
      } finally {
        harness.clock.advance(-90_000);
      }
    });
  });

  it('never writes a Secret or an API key to its logs', async () => {
    const { secret } = await issueKey();
    await edge.get('/v1/things').set(bearer(secret)).expect(200);
    await edge.get('/v1/things').set(bearer(`${secret}x`)).expect(401);
    const apiKey = decodeJwtPayload(secret).client_secret as string;
    expect(harness.logs.text).not.toContain(secret);
    expect(harness.logs.text).not.toContain(apiKey);
  });

  it('answers its own health and readiness endpoints', async () => {
    await edge.get('/_keywarden/health').expect(200, { status: 'up' });
    await edge.get('/_keywarden/ready').expect(200, { status: 'up', keyCache: 'up' });
  });
});
