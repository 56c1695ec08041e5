import { DynamicModule, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import request from 'supertest';
import { IncomingMessage } from '@keywarden/messaging';
import { parseRevealCodeIssued, revealCodeAad, Topics } from '@keywarden/contracts';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { KeyRegistryModule } from '../../key-registry/src/key-registry.module';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { SettingsModule } from '../../settings/src/settings.module';
import { startSettings } from '../../settings/src/settings.service';

// Seed A / API.md "Date-times in payloads": every date-time of every JSON response of the registry
// and the settings service follows the organisation's isoUtcTimestamps. This walks every route of
// both services for one organisation with the setting off and one with it on, and checks every
// string that is a date-time. A route added to either service belongs in `walkEveryRoute`: the
// test fails, naming it, until it is walked.

const WITH_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
/** Anything that starts like an ISO 8601 date-time, in any format, so that a wrong one cannot slip by. */
const LOOKS_LIKE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
/** Fields that are date-times by name: each must be a date-time string or null, never anything else. */
const DATE_TIME_FIELD = /(At|Until)$/;
/** Named like one by API.md, but a list: the audit's key table at an instant. */
const NOT_DATE_TIME_FIELDS = new Set(['stateAt']);

type DateTimeField = { route: string; path: string; value: string };

/** Every route a module's controllers declare, as `METHOD /path/:param`, from Nest's own metadata. */
function routesOf(module: DynamicModule): string[] {
  return (module.controllers ?? []).flatMap((controller) => {
    const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const handler = proto[name];
      if (typeof handler !== 'function') return [];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) return [];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string;
      return [`${RequestMethod[method]} /${[base, path].filter((p) => p && p !== '/').join('/')}`];
    });
  });
}

/** Every date-time string in a JSON body, with where it was found; fails on a date-time-named field that is not one. */
function dateTimesIn(route: string, body: unknown, path = '$'): DateTimeField[] {
  if (typeof body === 'string') return LOOKS_LIKE_DATE_TIME.test(body) ? [{ route, path, value: body }] : [];
  if (Array.isArray(body)) return body.flatMap((item, i) => dateTimesIn(route, item, `${path}[${i}]`));
  if (body && typeof body === 'object') {
    return Object.entries(body).flatMap(([key, value]) => {
      if (DATE_TIME_FIELD.test(key) && !NOT_DATE_TIME_FIELDS.has(key) && value !== null && !(typeof value === 'string' && LOOKS_LIKE_DATE_TIME.test(value))) {
        throw new Error(`${route} ${path}.${key} should be a date-time or null, got ${JSON.stringify(value)}`);
      }
      return dateTimesIn(route, value, `${path}.${key}`);
    });
  }
  return [];
}

describe('date-times in every JSON response follow the organisation’s isoUtcTimestamps', () => {
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2025-11-23T12:44:11.734Z' });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry);
    registry = request(harness.url('key-registry'));
    settings = request(harness.url('settings'));
    // The reveal codes the registry hands to the notifier, to walk the reveal route too.
    await harness.infra.messageBus().subscribe({
      groupId: 'date-time-walk-notifications',
      topics: [Topics.notifications],
      fromBeginning: true,
      handler: async (message) => void notifications.push(message),
    });
  });

  const notifications: IncomingMessage[] = [];
  const revealCode = async (revealRequestId: string): Promise<string> => {
    const message = await waitFor(() => notifications.map((m) => parseRevealCodeIssued(JSON.parse(m.value))).find((m) => m.revealRequestId === revealRequestId), {
      description: `the reveal code of ${revealRequestId}`,
    });
    return harness.infra.keyMaterial().notificationBox.open(message.sealedCode, revealCodeAad(message));
  };

  afterAll(async () => harness.stop());

  /** Calls every route of both services once, in an order that makes each succeed; returns the date-times seen. */
  async function walkEveryRoute(org: string, isoUtcTimestamps: boolean): Promise<{ fields: DateTimeField[]; routes: string[] }> {
    const auth = { Authorization: `Bearer ${await harness.token(org)}` };
    const fields: DateTimeField[] = [];
    const routes: string[] = [];
    /** One call of a route (its template, as Nest declares it), with the status it must answer. */
    const seen = (route: string, res: request.Response, status: number): request.Response => {
      expect({ route, status: res.status, body: res.body }).toEqual({ route, status, body: res.body });
      routes.push(route);
      fields.push(...dateTimesIn(route, res.body));
      return res;
    };

    // settings
    seen('GET /v1/orgs/:orgId/settings', await settings.get(`/v1/orgs/${org}/settings`).set(auth), 200);
    const patched = seen('PATCH /v1/orgs/:orgId/settings', await settings.patch(`/v1/orgs/${org}/settings`).set(auth).send({ isoUtcTimestamps, expiryNoticeDays: 20 }), 200);
    expect(patched.body.updatedAt).not.toBeNull();
    seen('GET /v1/orgs/:orgId/settings', await settings.get(`/v1/orgs/${org}/settings`).set(auth), 200);
    // The registry learns the organisation's format from the settings topic.
    const reader = await harness.infra.orgSettings();
    await waitFor(() => reader.current(org).expiryNoticeDays === 20, { description: `the settings of ${org} in the registry's reader` });

    // key-registry
    const issued = seen('POST /v1/orgs/:orgId/keys', await registry.post(`/v1/orgs/${org}/keys`).set(auth).send({}), 201).body;
    const keyId = issued.key.keyId as string;
    seen('GET /v1/orgs/:orgId/keys', await registry.get(`/v1/orgs/${org}/keys`).set(auth), 200);
    seen('GET /v1/orgs/:orgId/keys/:keyId', await registry.get(`/v1/orgs/${org}/keys/${keyId}`).set(auth), 200);
    seen('POST /v1/orgs/:orgId/keys/test', await registry.post(`/v1/orgs/${org}/keys/test`).set(auth).send({ secret: issued.secret }), 200);
    await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${keyId}/test`).set(auth)).body.valid, { description: 'the key in the active-key cache' });
    seen('POST /v1/orgs/:orgId/keys/:keyId/test', await registry.post(`/v1/orgs/${org}/keys/${keyId}/test`).set(auth), 200);
    const revoked = seen('POST /v1/orgs/:orgId/keys/:keyId/revoke', await registry.post(`/v1/orgs/${org}/keys/${keyId}/revoke`).set(auth).send({ grace: 'P7D' }), 200).body;
    const newKeyId = revoked.issued.keyId as string;
    seen('POST /v1/orgs/:orgId/keys/:keyId/remove-expiration', await registry.post(`/v1/orgs/${org}/keys/${newKeyId}/remove-expiration`).set(auth), 200);
    const reveal = seen('POST /v1/orgs/:orgId/keys/:keyId/reveal-requests', await registry.post(`/v1/orgs/${org}/keys/${newKeyId}/reveal-requests`).set(auth), 202).body;
    const code = await revealCode(reveal.requestId);
    seen('POST /v1/orgs/:orgId/keys/:keyId/reveal', await registry.post(`/v1/orgs/${org}/keys/${newKeyId}/reveal`).set(auth).send({ requestId: reveal.requestId, code }), 200);
    seen('GET /v1/orgs/:orgId/keys', await registry.get(`/v1/orgs/${org}/keys`).set(auth), 200);
    seen('DELETE /v1/orgs/:orgId/keys/:keyId', await registry.delete(`/v1/orgs/${org}/keys/${keyId}`).set(auth), 204);
    seen('GET /.well-known/jwks.json', await registry.get('/.well-known/jwks.json'), 200);
    // Signed reports are walked in test/e2e/secret-scanning.e2e-spec.ts; an unsigned one is refused here.
    seen('POST /v1/secret-scanning/github', await registry.post('/v1/secret-scanning/github').send([{ token: 'kw_x', type: 't', url: 'u', source: 's' }]), 401);
    const audit = seen('GET /v1/orgs/:orgId/audit', await registry.get(`/v1/orgs/${org}/audit`).query({ at: harness.clock.now().toISOString() }).set(auth), 200).body;
    expect(audit.stateAt).toHaveLength(1);
    // Error bodies are JSON responses too: none may carry a date-time in another format.
    seen('GET /v1/orgs/:orgId/keys/:keyId', await registry.get(`/v1/orgs/${org}/keys/${keyId}`).set(auth), 404);
    seen('POST /v1/orgs/:orgId/keys', await registry.post(`/v1/orgs/${org}/keys`).set(auth).send({}), 409);
    seen('PATCH /v1/orgs/:orgId/settings', await settings.patch(`/v1/orgs/${org}/settings`).set(auth).send({ rotationIntervalDays: 0 }), 400);
    return { fields, routes };
  }

  it('answers 2025-11-23T12:44:11 with isoUtcTimestamps off and 2025-11-23T12:44:11Z with it on, in every field of every route', async () => {
    const off = await walkEveryRoute('dt-off', false);
    const on = await walkEveryRoute('dt-on', true);

    expect(on.routes).toEqual(off.routes);
    const declared = [...routesOf(KeyRegistryModule.forRoot(harness.infra)), ...routesOf(SettingsModule.forRoot(harness.infra))];
    const missing = declared.filter((route) => !off.routes.includes(route));
    expect({ 'routes not walked: add them to walkEveryRoute': missing }).toEqual({ 'routes not walked: add them to walkEveryRoute': [] });
    for (const field of off.fields) expect(field).toEqual({ ...field, value: expect.stringMatching(WITHOUT_ZONE) });
    for (const field of on.fields) expect(field).toEqual({ ...field, value: expect.stringMatching(WITH_Z) });

    // The same instants in both formats (same clock, same steps): only the zone designator differs.
    expect(on.fields.map((f) => ({ ...f, value: f.value.replace(/Z$/, '') }))).toEqual(off.fields);
    expect(off.fields.find((f) => f.path === '$.key.createdAt')).toEqual({ route: 'POST /v1/orgs/:orgId/keys', path: '$.key.createdAt', value: '2025-11-23T12:44:11' });
    expect(on.fields.find((f) => f.path === '$.key.createdAt')).toEqual({ route: 'POST /v1/orgs/:orgId/keys', path: '$.key.createdAt', value: '2025-11-23T12:44:11Z' });

    // Every date-time field kind of both services was seen, so none went unchecked.
    const kinds = new Set(on.fields.map((f) => f.path.replace(/\[\d+\]/g, '[]')));
    for (const kind of ['$.updatedAt', '$.key.createdAt', '$.key.expiresAt', '$.key.acceptUntil', '$.revoked.revokedAt', '$.revoked.graceEndsAt', '$.checkedAt', '$.keys[].createdAt', '$.expiresAt', '$.events[].at', '$.events[].details.issuedAt', '$.events[].details.graceEndsAt', '$.stateAt[].createdAt']) {
      expect(kinds).toContain(kind);
    }
    expect(on.fields.length).toBeGreaterThanOrEqual(25);
  });
});
