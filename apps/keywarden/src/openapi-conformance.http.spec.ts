import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { IncomingMessage } from '@keywarden/messaging';
import { parseRevealCodeIssued, revealCodeAad, Topics } from '@keywarden/contracts';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';

// Issue 15: the served OpenAPI documents are a contract. This drives every operation of the
// registry and the settings service (the whole key lifecycle, every refusal API.md lists, both
// date-time forms) and validates each real answer's status, Content-Type and body against the
// document the service serves at /docs-json. An undocumented status, a missing or extra field or
// a value outside its schema fails the test, naming the call.

type OpenApiDocument = {
  paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, { required?: boolean; schema: object }> }> }>>;
  components: Record<string, unknown>;
};
type Service = 'registry' | 'settings';
type Call = Readonly<{ service: Service; method: 'get' | 'post' | 'patch' | 'delete'; path: string; auth?: string; body?: unknown; query?: Record<string, string>; contentType?: string }>;

const HTTP_METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

describe('the admin services answer what their OpenAPI documents say', () => {
  let harness: EmbeddedHarness;
  const agents = {} as Record<Service, ReturnType<typeof request>>;
  const documents = {} as Record<Service, OpenApiDocument>;
  /** `service METHOD /template STATUS` of every answer validated, for the coverage checks. */
  const seen = new Set<string>();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const notifications: IncomingMessage[] = [];

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2025-11-23T12:44:11.734Z' });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry);
    agents.registry = request(harness.url('key-registry'));
    agents.settings = request(harness.url('settings'));
    for (const service of ['registry', 'settings'] as const) {
      const res = await agents[service].get('/docs-json');
      expect(res.status).toBe(200);
      documents[service] = res.body as OpenApiDocument;
      ajv.addSchema({ $id: `${service}.json`, components: documents[service].components });
    }
    await harness.infra.messageBus().subscribe({
      groupId: 'openapi-conformance-notifications',
      topics: [Topics.notifications],
      fromBeginning: true,
      handler: async (message) => void notifications.push(message),
    });
  }, 30_000);

  afterAll(async () => harness.stop());

  const revealCode = async (revealRequestId: string): Promise<string> => {
    const message = await waitFor(() => notifications.map((m) => parseRevealCodeIssued(JSON.parse(m.value))).find((m) => m.revealRequestId === revealRequestId), {
      description: `the reveal code of ${revealRequestId}`,
    });
    return harness.infra.keyMaterial().notificationBox.open(message.sealedCode, revealCodeAad(message));
  };

  /** The document's path template that a concrete path matches, e.g. /v1/orgs/{orgId}/keys/test before /v1/orgs/{orgId}/keys/{keyId}. */
  function templateOf(service: Service, path: string): string {
    const templates = Object.keys(documents[service].paths);
    const matches = templates.filter((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    // A literal segment wins over a parameter: the fewest parameters is the route Express chose.
    matches.sort((a, b) => (a.match(/\{/g) ?? []).length - (b.match(/\{/g) ?? []).length);
    if (matches.length === 0) throw new Error(`${service} ${path}: no operation of the document has this path`);
    return matches[0];
  }

  /** Sends one call, validates its answer against the served document, and returns it. */
  async function call(c: Call, expectedStatus: number): Promise<request.Response> {
    const agent = agents[c.service];
    let req = agent[c.method](c.path);
    if (c.auth) req = req.set('Authorization', `Bearer ${c.auth}`);
    if (c.query) req = req.query(c.query);
    if (c.contentType) req = req.set('Content-Type', c.contentType);
    const res = c.body === undefined ? await req : await req.send(c.body as object);
    const template = templateOf(c.service, c.path.split('?')[0]);
    const name = `${c.service} ${c.method.toUpperCase()} ${template}`;
    const operation = documents[c.service].paths[template][c.method];
    expect({ name, documented: operation !== undefined }).toEqual({ name, documented: true });
    expect({ name, status: res.status, body: res.body }).toEqual({ name, status: expectedStatus, body: res.body });
    const answer = operation.responses[String(res.status)];
    expect({ name, status: res.status, documented: answer !== undefined }).toEqual({ name, status: res.status, documented: true });
    for (const [header, spec] of Object.entries(answer.headers ?? {})) {
      const value = res.headers[header.toLowerCase()] as string | undefined;
      if (value === undefined && !spec.required) continue;
      expect({ name, status: res.status, header, value, valid: value !== undefined && ajv.validate(spec.schema, value) }).toEqual({ name, status: res.status, header, value, valid: true });
    }
    const json = answer.content?.['application/json'];
    if (json) {
      expect({ name, contentType: res.headers['content-type'] }).toEqual({ name, contentType: expect.stringMatching(/^application\/json\b/) });
      const validate = ajv.compile(inline(c.service, json.schema));
      const valid = validate(res.body);
      expect({ name, status: res.status, errors: valid ? [] : validate.errors }).toEqual({ name, status: res.status, errors: [] });
    } else if (!answer.content) {
      expect({ name, status: res.status, body: res.text ?? '' }).toEqual({ name, status: res.status, body: '' });
    }
    seen.add(`${name} ${res.status}`);
    return res;
  }

  /** An answer's schema with its component references pointing into the document registered with Ajv. */
  function inline(service: Service, schema: object): object {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${service}.json#/components/`)) as object;
  }

  /** The whole lifecycle and the settings of one organisation, in one date-time form. */
  async function walkLifecycle(org: string, isoUtcTimestamps: boolean): Promise<void> {
    const admin = await harness.token(org);
    const operator = await harness.token(org, 'operator', `ops@${org}.test`);
    const settings = `/v1/orgs/${org}/settings`;
    const keys = `/v1/orgs/${org}/keys`;

    await call({ service: 'settings', method: 'get', path: settings, auth: admin }, 200);
    const patched = await call({ service: 'settings', method: 'patch', path: settings, auth: admin, body: { isoUtcTimestamps, expiryNoticeDays: 20, notificationEmails: [`sec@${org}.test`] } }, 200);
    expect(patched.body.updatedAt).toMatch(isoUtcTimestamps ? /Z$/ : /:\d\d$/);
    await call({ service: 'settings', method: 'patch', path: settings, auth: admin, body: { rotationIntervalDays: 0 } }, 400);
    await call({ service: 'settings', method: 'patch', path: settings, auth: admin, body: { mediaMaxBase64Bytes: 1024 } }, 403);
    await call({ service: 'settings', method: 'patch', path: settings, auth: operator, body: { mediaMaxBase64Bytes: 2_000_000 } }, 200);
    const reader = await harness.infra.orgSettings();
    await waitFor(() => reader.current(org).expiryNoticeDays === 20, { description: `the settings of ${org} in the registry's reader` });

    await call({ service: 'registry', method: 'post', path: keys, auth: admin, body: { validity: 'P2Y' } }, 400);
    const issued = (await call({ service: 'registry', method: 'post', path: keys, auth: admin, body: { validity: 'P90D' } }, 201)).body;
    expect(issued.key.createdAt).toMatch(isoUtcTimestamps ? /Z$/ : /:\d\d$/);
    const keyId = issued.key.keyId as string;
    await call({ service: 'registry', method: 'post', path: keys, auth: admin, body: {} }, 409);
    await call({ service: 'registry', method: 'get', path: keys, auth: admin }, 200);
    await call({ service: 'registry', method: 'get', path: `${keys}/${keyId}`, auth: admin }, 200);
    await call({ service: 'registry', method: 'get', path: `${keys}/key_000000000000000000000000`, auth: admin }, 404);
    await call({ service: 'registry', method: 'post', path: `${keys}/test`, auth: admin, body: { secret: issued.secret } }, 200);
    await call({ service: 'registry', method: 'post', path: `${keys}/test`, auth: admin, body: { secret: 'not-a-secret' } }, 200);
    await waitFor(async () => (await agents.registry.post(`${keys}/${keyId}/test`).set('Authorization', `Bearer ${admin}`)).body.valid, { description: 'the key in the active-key cache' });
    await call({ service: 'registry', method: 'post', path: `${keys}/${keyId}/test`, auth: admin }, 200);
    await call({ service: 'registry', method: 'delete', path: `${keys}/${keyId}`, auth: admin }, 409);
    await call({ service: 'registry', method: 'post', path: `${keys}/${keyId}/revoke`, auth: admin, body: { grace: 'P31D' } }, 400);
    const revoked = (await call({ service: 'registry', method: 'post', path: `${keys}/${keyId}/revoke`, auth: admin, body: { grace: 'P0D', reason: 'rotation' } }, 200)).body;
    await call({ service: 'registry', method: 'post', path: `${keys}/${keyId}/revoke`, auth: admin, body: {} }, 409);
    const newKeyId = revoked.issued.keyId as string;
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/remove-expiration`, auth: admin }, 200);

    // Reveal: a good code, the same code again, wrong codes up to the lock, an unknown request.
    const reveal = (await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 202)).body;
    const code = await revealCode(reveal.requestId);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal`, auth: admin, body: { requestId: reveal.requestId, code } }, 200);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal`, auth: admin, body: { requestId: reveal.requestId, code } }, 410);
    const locked = (await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 202)).body;
    const right = await revealCode(locked.requestId);
    const wrong = right === '000000' ? '000001' : '000000';
    for (let attempt = 1; attempt <= 4; attempt++) await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal`, auth: admin, body: { requestId: locked.requestId, code: wrong } }, 401);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal`, auth: admin, body: { requestId: locked.requestId, code: wrong } }, 429);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal`, auth: admin, body: { requestId: 'rvl_0123456789abcdef0123456789abcdef', code: '123456' } }, 404);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 202);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 202);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 202);
    await call({ service: 'registry', method: 'post', path: `${keys}/${newKeyId}/reveal-requests`, auth: admin }, 429);

    await call({ service: 'registry', method: 'delete', path: `${keys}/${keyId}`, auth: admin }, 204);
    await call({ service: 'registry', method: 'get', path: `/v1/orgs/${org}/audit`, auth: admin, query: { at: harness.clock.now().toISOString() } }, 200);
    await call({ service: 'registry', method: 'get', path: `/v1/orgs/${org}/audit`, auth: admin, query: { from: '2025-11-23T00:00:00Z', to: '2025-11-24T00:00:00Z' } }, 200);
    await call({ service: 'registry', method: 'get', path: `/v1/orgs/${org}/audit`, auth: admin, query: { at: 'yesterday' } }, 400);
  }

  /** Every operation of both documents, with its path parameters filled in. */
  function everyOperation(org: string): Array<{ service: Service; method: (typeof HTTP_METHODS)[number]; path: string; template: string; admin: boolean; signedByScanner: boolean; body: boolean }> {
    return (['registry', 'settings'] as const).flatMap((service) =>
      Object.entries(documents[service].paths).flatMap(([template, item]) =>
        HTTP_METHODS.filter((method) => item[method]).map((method) => ({
          service,
          method,
          template,
          path: template.replace('{orgId}', org).replace('{keyId}', 'key_000000000000000000000000'),
          admin: template.startsWith('/v1/orgs/'),
          // Its 200 needs a report signed by a scanner's key: github-secret-scanning.http.spec.ts checks that path.
          signedByScanner: template.startsWith('/v1/secret-scanning/'),
          body: item[method].requestBody !== undefined,
        })),
      ),
    );
  }

  it('answers every route, every refusal and both date-time forms as the documents describe', async () => {
    await walkLifecycle('oas-off', false);
    await walkLifecycle('oas-on', true);

    // The refusals every admin route documents: no token, another organisation's token, a malformed body.
    const stranger = await harness.token('oas-stranger');
    const operator = await harness.token('oas-stranger', 'operator');
    for (const op of everyOperation('oas-off')) {
      if (op.signedByScanner) {
        await call({ service: op.service, method: op.method as Call['method'], path: op.path, body: [] }, 401);
        continue;
      }
      if (!op.admin) {
        await call({ service: op.service, method: op.method as Call['method'], path: op.path }, 200);
        continue;
      }
      await call({ service: op.service, method: op.method as Call['method'], path: op.path }, 401);
      await call({ service: op.service, method: op.method as Call['method'], path: op.path, auth: 'not.a.token' }, 401);
      await call({ service: op.service, method: op.method as Call['method'], path: op.path, auth: stranger }, 403);
      await call({ service: op.service, method: op.method as Call['method'], path: op.path.replace('oas-off', 'bad%20org'), auth: operator }, 400);
      if (op.body) {
        const own = await harness.token('oas-off');
        await call({ service: op.service, method: op.method as Call['method'], path: op.path, auth: own, body: { notAField: 1 } }, 400);
        await call({ service: op.service, method: op.method as Call['method'], path: op.path, auth: own, body: 'plain text', contentType: 'text/plain' }, 415);
      }
    }

    // Every operation answered with success, and every refusal API.md names was met and matched.
    const operations = everyOperation('x').filter((op) => !op.signedByScanner).map((op) => `${op.service} ${op.method.toUpperCase()} ${op.template}`);
    const succeeded = operations.filter((op) => [...seen].some((s) => s.startsWith(`${op} 2`)));
    expect(succeeded).toEqual(operations);
    expect(seen.size).toBeGreaterThanOrEqual(60);
    const statuses = new Set([...seen].map((s) => s.split(' ').pop()));
    for (const status of ['200', '201', '202', '204', '400', '401', '403', '404', '409', '410', '415', '429']) expect([...statuses]).toContain(status);
    // Some 150 calls: 3 s alone, several times that on the shared 2-core machine beside other suites.
  }, 30_000);

  it('refuses an answer the document does not allow (the check can fail)', () => {
    const key = documents.registry.paths['/v1/orgs/{orgId}/keys/{keyId}'].get.responses['200'].content!['application/json'].schema;
    const validate = ajv.compile(inline('registry', key));
    const good = { keyId: 'key_5f0c3a9d1e2b4c6d8e0f1a2b', orgId: 'acme', hint: 'kw_…a2b4', status: 'active', createdAt: '2025-11-23T12:44:11', expiresAt: null, revokedAt: null, graceEndsAt: null, lastUsedAt: null, replacedBy: null, acceptUntil: null };
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, createdAt: '2025-11-23T12:44:11.734Z' })).toBe(false);
    expect(validate({ ...good, extra: 1 })).toBe(false);
    expect(validate({ ...good, status: 'gone' })).toBe(false);
  });
});
