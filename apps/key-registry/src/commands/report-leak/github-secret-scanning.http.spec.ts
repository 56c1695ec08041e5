import { createHash } from 'node:crypto';
import request from 'supertest';
import { generateApiKey } from '@keywarden/crypto';
import { decodeJwtPayload, EmbeddedHarness } from '../../../../../test/support/embedded-harness';
import { match, ScannerKeysServer } from '../../../../../test/support/scanner-keys-server';
import { eventBlobs, expectNoSecretIn, logBlobs, SecretSet } from '../../../../../test/support/secret-scan';
import { waitFor } from '../../../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../../../key-cache-projection/src/key-cache-projection.service';
import { startSettings } from '../../../../settings/src/settings.service';
import { startKeyRegistry } from '../../key-registry.service';
import { REPORT_ANSWER_FLOOR_MS } from './github-secret-scanning.http.controller';
import { TOKEN_PATTERNS } from './token-patterns';

// The secret-scanning endpoint through real HTTP on the embedded adapters, with reports signed by a
// real P-256 key whose public half a real HTTP server publishes in GitHub's format.
describe('POST /v1/secret-scanning/github', () => {
  const scanner = new ScannerKeysServer();
  let harness: EmbeddedHarness;
  let api: ReturnType<typeof request>;
  let settingsApi: ReturnType<typeof request>;
  const secrets = new SecretSet();
  let orgCounter = 0;

  beforeAll(async () => {
    await scanner.start();
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z', env: { SECRET_SCANNING_KEYS_URL: scanner.url } });
    await harness.start(startKeyCacheProjection, startSettings, startKeyRegistry);
    api = request(harness.url('key-registry'));
    settingsApi = request(harness.url('settings'));
  });

  afterAll(async () => {
    await harness.stop();
    await scanner.stop();
  });

  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  const newOrg = async () => {
    const org = `leak-${++orgCounter}`;
    const auth = { Authorization: `Bearer ${await harness.token(org)}` };
    const issued = (await api.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body;
    secrets.addSecret(issued.secret);
    const keys = async () => (await api.get(`/v1/orgs/${org}/keys`).set(auth).expect(200)).body.keys as Array<Record<string, unknown>>;
    const audit = async () => (await api.get(`/v1/orgs/${org}/audit`).set(auth).expect(200)).body.events as Array<Record<string, unknown>>;
    return { org, auth, keyId: issued.key.keyId as string, secret: issued.secret as string, apiKey: decodeJwtPayload(issued.secret).client_secret as string, keys, audit };
  };
  const report = (matches: unknown) => {
    const { body, headers } = scanner.signed(matches);
    return api.post('/v1/secret-scanning/github').set(headers).send(body);
  };

  it('revokes a reported Secret with no grace, issues the replacement, and answers the feedback by token hash only', async () => {
    const o = await newOrg();
    const res = await report([match(o.secret)]).expect(200);
    expect(res.body).toEqual([{ token_hash: sha256(o.secret), token_type: 'keywarden_secret', label: 'true_positive' }]);
    expect(res.text).not.toContain(o.apiKey);
    const [replacement, leaked] = await o.keys();
    expect(leaked).toMatchObject({ keyId: o.keyId, status: 'expired', replacedBy: replacement.keyId, leak: { url: 'https://github.com/acme/app/blob/0a1b2c/.env', source: 'content', scanner: 'github' } });
    expect(replacement).toMatchObject({ status: 'active', leak: null });
    const entries = await o.audit();
    expect(entries.map((e) => e.type)).toEqual(['KeyIssued', 'KeyIssued', 'KeyRevoked', 'KeyExpired', 'KeyLeaked']);
    expect(entries[4]).toMatchObject({ actor: { sub: 'keywarden:secret-scanning:github' }, details: expect.objectContaining({ url: 'https://github.com/acme/app/blob/0a1b2c/.env' }) });
    expect(entries[2]).toMatchObject({ actor: { sub: 'keywarden:secret-scanning:github' } });
  });

  it('records nothing new for the same key reported again (still a true positive)', async () => {
    const o = await newOrg();
    await report([match(o.secret)]).expect(200);
    const before = (await o.audit()).length;
    const again = await report([match(o.apiKey, 'https://npmjs.com/package/x', 'keywarden_api_key')]).expect(200);
    expect(again.body).toEqual([{ token_hash: sha256(o.apiKey), token_type: 'keywarden_api_key', label: 'true_positive' }]);
    expect(await o.audit()).toHaveLength(before);
    expect(await o.keys()).toHaveLength(2);
  });

  it('counts the key inside a Secret whose signature is broken, and a bare key', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const [h, p, s] = a.secret.split('.');
    const forged = `${h}.${p}.${s.slice(0, -4)}AAAA`;
    const res = await report([match(forged), match(b.apiKey)]).expect(200);
    expect(res.body.map((f: { label: string }) => f.label)).toEqual(['true_positive', 'true_positive']);
    expect((await a.keys())[1]).toMatchObject({ keyId: a.keyId, status: 'expired' });
    expect((await b.keys())[1]).toMatchObject({ keyId: b.keyId, status: 'expired' });
  });

  it('labels unknown, malformed and deleted keys false_positive', async () => {
    const o = await newOrg();
    await api.post(`/v1/orgs/${o.org}/keys/${o.keyId}/revoke`).set(o.auth).send({ grace: 'P0D' }).expect(200);
    await api.delete(`/v1/orgs/${o.org}/keys/${o.keyId}`).set(o.auth).expect(204);
    const unknown = generateApiKey().key;
    const res = await report([match(unknown), match('kw_not-a-key'), match('eyJ.bad.jwt'), match(o.secret)]).expect(200);
    expect(res.body.map((f: { label: string }) => f.label)).toEqual(['false_positive', 'false_positive', 'false_positive', 'false_positive']);
    expect((await o.audit()).some((e) => e.type === 'KeyLeaked')).toBe(false);
  });

  it('under leakedKeyAction "notify" records the leak and leaves the key working', async () => {
    const o = await newOrg();
    await settingsApi.patch(`/v1/orgs/${o.org}/settings`).set(o.auth).send({ leakedKeyAction: 'notify' }).expect(200);
    const reader = await harness.infra.orgSettings();
    await waitFor(() => reader.current(o.org).leakedKeyAction === 'notify', { description: 'the notify setting in the registry' });
    await report([match(o.secret)]).expect(200);
    const keys = await o.keys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ status: 'active', leak: { source: 'content' } });
    expect((await o.audit()).at(-1)).toMatchObject({ type: 'KeyLeaked', details: expect.objectContaining({ response: 'notified' }) });
  });

  it('refuses unsigned, wrongly signed and unknown-key reports with 401 and an oversized one with 413, changing nothing', async () => {
    const o = await newOrg();
    const { body, headers } = scanner.signed([match(o.secret)]);
    const post = () => api.post('/v1/secret-scanning/github');
    const unsigned = await post().set('content-type', 'application/json').send(body).expect(401);
    expect(unsigned.body.details).toMatchObject({ code: 'SCAN_SIGNATURE_MISSING' });
    const altered = body.replace('content', 'commit');
    const wrong = await post().set(headers).send(altered).expect(401);
    expect(wrong.body.details).toMatchObject({ code: 'SCAN_SIGNATURE_INVALID' });
    await post().set({ ...headers, 'Github-Public-Key-Identifier': 'not-a-github-key' }).send(body).expect(401);
    const big = JSON.stringify([match(o.secret, `https://x.test/${'a'.repeat(70 * 1024)}`)]);
    const tooLarge = await post().set(scanner.headersFor(big)).send(big).expect(413);
    expect(tooLarge.body.details).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    for (const res of [unsigned, wrong, tooLarge]) expect(res.text).not.toContain(o.apiKey);
    expect(await o.keys()).toEqual([expect.objectContaining({ keyId: o.keyId, status: 'active', leak: null })]);
  });

  it('refuses a signed body that is not a list of matches with 400', async () => {
    const res = await report({ token: 'x' }).expect(400);
    expect(res.body.details).toMatchObject({ code: 'SCAN_REPORT_MALFORMED' });
  });

  it('fetches the keys again for an unknown identifier at most once per 30 s', async () => {
    const { body, headers } = scanner.signed([]);
    const unknownId = { ...headers, 'Github-Public-Key-Identifier': 'rotated-away' };
    await api.post('/v1/secret-scanning/github').set(unknownId).send(body).expect(401);
    const fetched = scanner.fetches;
    await api.post('/v1/secret-scanning/github').set(unknownId).send(body).expect(401);
    await api.post('/v1/secret-scanning/github').set(unknownId).send(body).expect(401);
    expect(scanner.fetches).toBe(fetched);
    harness.clock.advance(30_001);
    await api.post('/v1/secret-scanning/github').set(unknownId).send(body).expect(401);
    expect(scanner.fetches).toBe(fetched + 1);
    await api.post('/v1/secret-scanning/github').set(headers).send(body).expect(200);
    expect(scanner.fetches).toBe(fetched + 1);
  });

  it('answers a report of a known key and one of an absent key no sooner than the same floor', async () => {
    const o = await newOrg();
    const timed = async (token: string): Promise<number> => {
      const started = performance.now();
      await report([match(token)]).expect(200);
      return performance.now() - started;
    };
    expect(await timed(generateApiKey().key)).toBeGreaterThanOrEqual(REPORT_ANSWER_FLOOR_MS);
    expect(await timed(o.secret)).toBeGreaterThanOrEqual(REPORT_ANSWER_FLOOR_MS);
  });

  it('finds real keys and Secrets with the patterns registered with the scanner (docs/secret-scanning.md), and nothing else', async () => {
    const o = await newOrg();
    const text = `API_KEY=${o.apiKey}\nSECRET="${o.secret}"\n`;
    expect(text.match(TOKEN_PATTERNS.keywarden_api_key)?.[0]).toBe(o.apiKey);
    expect(text.match(TOKEN_PATTERNS.keywarden_secret)?.[0]).toBe(o.secret);
    expect(TOKEN_PATTERNS.keywarden_api_key.test(`kw_${'a'.repeat(48)}`)).toBe(false);
    expect(TOKEN_PATTERNS.keywarden_api_key.test(`xkw_${o.apiKey.slice(3)}`)).toBe(false);
  });

  it('never writes a reported key or Secret to a log line or an event', async () => {
    expect(secrets.count('api-key')).toBeGreaterThan(5);
    expect(harness.logs.lines.some((l) => l.includes('secret-scanning report processed'))).toBe(true);
    expectNoSecretIn(secrets, [...logBlobs(harness.logs.lines), ...eventBlobs(await harness.infra.eventStore().readAll())]);
  });
});
