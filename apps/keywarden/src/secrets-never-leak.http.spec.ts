import request from 'supertest';
import { DAY_MS, ManualClock } from '@keywarden/clock';
import { deadLetterTopic, Topics } from '@keywarden/contracts';
import { InProcessMessageBus } from '@keywarden/messaging';
import { codeIn, waitForMailFile } from '../../../test/support/eml-mailbox';
import { decodeJwtPayload, EmbeddedHarness } from '../../../test/support/embedded-harness';
import { match, ScannerKeysServer } from '../../../test/support/scanner-keys-server';
import { eventBlobs, expectNoSecretIn, logBlobs, messageBlobs, SecretSet, TextBlob } from '../../../test/support/secret-scan';
import { waitFor } from '../../../test/support/wait-for';
import { startEdgeValidator } from '../../edge-validator/src/edge-validator.service';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startNotifier } from '../../notifier/src/notifier.service';
import { startSettings } from '../../settings/src/settings.service';
import { DemoUpstream, startDemoUpstream } from './demo-upstream';

// STYLE.md rule 11 across the whole all-in-one: every service on the embedded adapters, logging at
// trace, through a full key lifecycle (with a scheduled rotation and bad requests), then every log
// line, every stored event, every message of every topic (dead letters included) and every error
// body is scanned for every Secret, API key, reveal code, pepper, KEK and signing key seen.
jest.setTimeout(60_000);

describe('no secret leaks from the all-in-one (embedded, LOG_LEVEL=trace)', () => {
  let demo: DemoUpstream;
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;
  let settings: ReturnType<typeof request>;
  let edge: ReturnType<typeof request>;
  const secrets = new SecretSet();
  const scanner = new ScannerKeysServer();
  /** Response bodies to scan, each named by its call. */
  const bodies: TextBlob[] = [];

  beforeAll(async () => {
    demo = await startDemoUpstream(new ManualClock('2026-03-01T10:00:00.000Z'));
    await scanner.start();
    harness = new EmbeddedHarness({
      start: '2026-03-01T10:00:00.000Z',
      env: {
        LOG_LEVEL: 'trace',
        SCHEDULER_TICK_MS: '25',
        EDGE_USAGE_FLUSH_MS: '50',
        EDGE_ACCESS_LOG: 'true',
        PROJECTION_HEALTH_PORT: '0',
        NOTIFIER_HEALTH_PORT: '0',
        EDGE_UPSTREAM_URL: demo.url,
        SECRET_SCANNING_KEYS_URL: scanner.url,
      },
    });
    // The order of apps/keywarden/src/main.ts: consumers before the registry.
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry, startEdgeValidator);
    registry = request(harness.url('key-registry'));
    settings = request(harness.url('settings'));
    edge = request(harness.url('edge-validator'));
  });

  afterAll(async () => {
    await harness?.stop();
    await demo?.close();
    await scanner.stop();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  /**
   * Records a response for the scan. Excluded, and only these: the 2xx answers of issue, revoke and
   * reveal, whose purpose is to hand the Secret to the admin (API.md); their error answers are scanned.
   */
  async function call(label: string, req: request.Test, expected: number, returnsSecret = false): Promise<request.Response> {
    const res = await req;
    expect({ label, status: res.status }).toEqual({ label, status: expected });
    if (!(returnsSecret && res.status < 300)) bodies.push({ where: `response ${label} ${res.status}`, text: `${res.text}\n${JSON.stringify(res.headers)}` });
    if (returnsSecret && res.status < 300) secrets.addSecret(res.body.secret);
    return res;
  }

  async function reveal(org: string, token: string, keyId: string, label: string): Promise<{ requestId: string; code: string }> {
    const asked = await call(`${label} reveal-request`, registry.post(`/v1/orgs/${org}/keys/${keyId}/reveal-requests`).set(as(token)).send(), 202);
    const mail = await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-reveal-request-id') === asked.body.requestId);
    const code = codeIn(mail.text);
    secrets.addCode(code);
    return { requestId: asked.body.requestId, code };
  }

  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('drives a full lifecycle, then finds no secret in any log line, event, bus message or error body', async () => {
    const org = 'leak-org';
    const token = await harness.token(org);
    const keys = `/v1/orgs/${org}/keys`;

    // Issue, revoke with grace, revoke without grace, remove the expiration.
    const a = (await call('issue', registry.post(keys).set(as(token)).send({}), 201, true)).body;
    await waitFor(async () => (await registry.post(`${keys}/${a.key.keyId}/test`).set(as(token))).body.valid, { description: 'the key in the cache' });
    const b = (await call('revoke P30D', registry.post(`${keys}/${a.key.keyId}/revoke`).set(as(token)).send({ grace: 'P30D', reason: 'rotation drill' }), 200, true)).body;
    const c = (await call('revoke P0D', registry.post(`${keys}/${b.issued.keyId}/revoke`).set(as(token)).send({ grace: 'P0D' }), 200, true)).body;
    const current = c.issued.keyId as string;
    await call('remove-expiration', registry.post(`${keys}/${current}/remove-expiration`).set(as(token)), 200);

    // Reveal with the code from the mail; the same code again; a wrong code until the lockout.
    const first = await reveal(org, token, current, 'first');
    const revealed = await call('reveal', registry.post(`${keys}/${current}/reveal`).set(as(token)).send(first), 200, true);
    // The revealed Secret holds the same API key as the one shown at the revoke.
    expect(decodeJwtPayload(revealed.body.secret).client_secret).toBe(decodeJwtPayload(c.secret).client_secret);
    await call('reveal reused', registry.post(`${keys}/${current}/reveal`).set(as(token)).send(first), 410);
    const second = await reveal(org, token, current, 'second');
    for (let i = 0; i < 4; i++) await call(`reveal wrong code ${i + 1}`, registry.post(`${keys}/${current}/reveal`).set(as(token)).send({ ...second, code: wrong(second.code) }), 401);
    await call('reveal locked', registry.post(`${keys}/${current}/reveal`).set(as(token)).send({ ...second, code: wrong(second.code) }), 429);
    await call('reveal locked, right code', registry.post(`${keys}/${current}/reveal`).set(as(token)).send(second), 429);
    await call('reveal unknown request', registry.post(`${keys}/${current}/reveal`).set(as(token)).send({ requestId: 'rvl_00000000000000000000000000000000', code: '123456' }), 404);

    // Delete: refused for the active key, done for a revoked one.
    await call('delete active', registry.delete(`${keys}/${current}`).set(as(token)), 409);
    await call('delete revoked', registry.delete(`${keys}/${a.key.keyId}`).set(as(token)), 204);
    await call('delete deleted', registry.delete(`${keys}/${a.key.keyId}`).set(as(token)), 404);

    // Test routes: pasted Secrets (valid, stopped, deleted, tampered, garbage) and by key id.
    await call('test current Secret', registry.post(`${keys}/test`).set(as(token)).send({ secret: c.secret }), 200);
    await call('test stopped Secret', registry.post(`${keys}/test`).set(as(token)).send({ secret: b.secret }), 200);
    await call('test deleted Secret', registry.post(`${keys}/test`).set(as(token)).send({ secret: a.secret }), 200);
    const [h, p] = (c.secret as string).split('.');
    await call('test tampered Secret', registry.post(`${keys}/test`).set(as(token)).send({ secret: `${h}.${p}.${'A'.repeat(86)}` }), 200);
    await call('test garbage', registry.post(`${keys}/test`).set(as(token)).send({ secret: 'hello' }), 200);
    await call('test by id', registry.post(`${keys}/${current}/test`).set(as(token)), 200);
    await call('list', registry.get(keys).set(as(token)), 200);
    await call('get', registry.get(`${keys}/${current}`).set(as(token)), 200);
    await call('audit', registry.get(`/v1/orgs/${org}/audit`).set(as(token)), 200);
    await call('jwks', registry.get('/.well-known/jwks.json'), 200);
    await call('settings', settings.patch(`/v1/orgs/${org}/settings`).set(as(token)).send({ isoUtcTimestamps: true }), 200);

    // Bad requests, several of them carrying a Secret where it does not belong.
    await call('400 validity', registry.post(keys).set(as(token)).send({ validity: 'P400D' }), 400);
    await call('400 Secret as validity', registry.post(keys).set(as(token)).send({ validity: c.secret }), 400);
    await call('400 Secret as an extra field', registry.post(`${keys}/test`).set(as(token)).send({ secret: c.secret, extra: c.secret }), 400);
    await call('400 Secret as grace', registry.post(`${keys}/${current}/revoke`).set(as(token)).send({ grace: c.secret }), 400);
    await call('400 malformed JSON around a Secret', registry.post(`${keys}/test`).set(as(token)).set('Content-Type', 'application/json').send(`{"secret":"${c.secret}"`), 400);
    await call('401 no token', registry.get(keys), 401);
    await call('401 Secret as admin token', registry.get(keys).set(as(c.secret)), 401);
    await call('403 other organisation', registry.get(keys).set(as(await harness.token('someone-else'))), 403);
    await call('404 unknown key', registry.get(`${keys}/key_000000000000000000000000`).set(as(token)), 404);
    await call('409 second key', registry.post(keys).set(as(token)).send({}), 409);
    await call('409 revoke twice', registry.post(`${keys}/${b.issued.keyId}/revoke`).set(as(token)).send({}), 409);

    // The edge: calls with the current Secret (usage reports), a stopped one, a forged one, none.
    await waitFor(async () => (await registry.post(`${keys}/${current}/test`).set(as(token))).body.valid, { description: 'the current key in the cache' });
    await call('edge with Secret', edge.get('/v1/orders').set(as(c.secret)), 200);
    await call('edge with stopped Secret', edge.get('/v1/orders').set(as(b.secret)), 401);
    await call('edge with tampered Secret', edge.get('/v1/orders').set(as(`${h}.${p}.${'A'.repeat(86)}`)), 401);
    await call('edge with API key alone', edge.get('/v1/orders').set(as(String(decodeJwtPayload(c.secret).client_secret))), 401);
    await call('edge without Secret', edge.get('/v1/orders'), 401);

    // A scheduled rotation in a second organisation: the scheduler ticks on the ManualClock.
    const rotOrg = 'leak-rotation';
    const rotToken = await harness.token(rotOrg);
    const old = (await call('issue to rotate', registry.post(`/v1/orgs/${rotOrg}/keys`).set(as(rotToken)).send({}), 201, true)).body;
    harness.clock.advance(335 * DAY_MS);
    const rotatedMail = await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-org') === rotOrg && /^API key rotated: /.test(m.subject), 20_000);
    expect(rotatedMail.subject).toContain(old.key.hint);
    const rotList = (await call('list after rotation', registry.get(`/v1/orgs/${rotOrg}/keys`).set(as(rotToken)), 200)).body.keys as Array<{ keyId: string; status: string }>;
    const rotated = rotList.find((k) => k.status === 'active' && k.keyId !== old.key.keyId)!;
    expect(rotated).toBeDefined();
    // The rotated key's Secret was never shown: reveal it, so the scan knows it (and its API key).
    const rotCode = await reveal(rotOrg, rotToken, rotated.keyId, 'rotated');
    await call('reveal rotated', registry.post(`/v1/orgs/${rotOrg}/keys/${rotated.keyId}/reveal`).set(as(rotToken)).send(rotCode), 200, true);

    // Secret-scanning reports of a third organisation's key: wrongly signed, as a Secret, again as the bare key, unknown.
    const leakOrg = 'leak-scanned';
    const leakToken = await harness.token(leakOrg);
    const leaked = (await call('issue to leak', registry.post(`/v1/orgs/${leakOrg}/keys`).set(as(leakToken)).send({}), 201, true)).body;
    const leakedKey = String(decodeJwtPayload(leaked.secret).client_secret);
    const signedReport = scanner.signed([match(leaked.secret)]);
    const scan = () => registry.post('/v1/secret-scanning/github');
    await call('scan wrongly signed', scan().set(signedReport.headers).send(signedReport.body.replace('content', 'commit')), 401);
    await call('scan unsigned', scan().set('content-type', 'application/json').send(signedReport.body), 401);
    await call('scan Secret', scan().set(signedReport.headers).send(signedReport.body), 200);
    const again = scanner.signed([match(leakedKey, 'https://npmjs.com/package/leaky', 'keywarden_api_key'), match(`${h}.${p}.${'A'.repeat(86)}`)]);
    await call('scan key again, and a tampered Secret', scan().set(again.headers).send(again.body), 200);
    await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-org') === leakOrg && / found published: /.test(m.subject), 20_000);

    // Every reveal code that reached a mailbox, and the key material as it is on disk now.
    await secrets.addCodesFromMailFiles(harness.dataDir);
    secrets.addLocalKeyMaterial(harness.dataDir);
    expect(secrets.count('secret')).toBe(7); // six keys, one of them also revealed
    expect(secrets.count('api-key')).toBe(6);
    expect(secrets.count('otp-code')).toBe(3);
    expect([...secrets.kinds()].sort()).toEqual(['api-key', 'kek', 'otp-code', 'pepper', 'secret', 'signing-key-d']);

    // Wait for the asynchronous tail: usage reported by the edge, the rotation's notices sent.
    const bus = harness.infra.messageBus() as InProcessMessageBus;
    await waitFor(() => bus.readTopic(Topics.keyUsage).length > 0, { description: 'a key-usage report' });
    await waitForMailFile(harness.dataDir, (m) => m.header('x-keywarden-org') === rotOrg && / stops working at /.test(m.subject), 20_000);

    const topics = Object.values(Topics);
    await bus.ensureTopics(topics.map((topic) => ({ topic }))); // no-op for the topics the services created
    const messages = topics.flatMap((t) => [...bus.readTopic(t), ...bus.readTopic(deadLetterTopic(t))]);
    const events = await harness.infra.eventStore().readAll();
    expect(messages.length).toBeGreaterThan(10);
    expect(events.length).toBeGreaterThan(10);
    expect(harness.logs.lines.length).toBeGreaterThan(50);
    expect(harness.logs.parsed().some((l) => l.level === 'debug' || l.level === 'trace')).toBe(true); // below info was captured too

    expectNoSecretIn(secrets, [...logBlobs(harness.logs.lines), ...eventBlobs(events), ...messageBlobs(messages), ...bodies]);

    // The scan is real: each kind of secret in each encoding, planted in text, is found ...
    const controls = secrets.controlBlobs();
    expect(new Set(controls.map((c) => c.where.split(' ')[1]))).toEqual(secrets.kinds());
    expect(controls.length).toBeGreaterThanOrEqual(3 + 3 * 4); // Secret, API key, code; pepper, KEK and d in at least four encodings each
    const caught = secrets.scan(controls).filter((f) => f.where.startsWith(`control ${f.kind} (`));
    expect([...new Set(caught.map((f) => f.where))].sort()).toEqual(controls.map((c) => c.where).sort());
    // ... and so is an API key planted in a log line of a service's logger.
    const apiKey = String(decodeJwtPayload(c.secret).client_secret);
    const before = harness.logs.lines.length;
    harness.infra.logger('secret-scan-control').warn(`positive control: ${apiKey}`);
    await waitFor(() => harness.logs.lines.length > before, { description: 'the planted line' });
    const found = secrets.scan(logBlobs(harness.logs.lines));
    expect(found.map((f) => [f.kind, f.where])).toEqual([['api-key', `log line ${before + 1}`]]);
    // The report names the kind and a fingerprint, never the secret.
    expect(JSON.stringify(found)).not.toContain(apiKey);
  });
});
