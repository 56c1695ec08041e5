import request from 'supertest';
import { DAY_MS } from '@keywarden/clock';
import { decodeJwtPayload, EmbeddedHarness } from '../../../../../test/support/embedded-harness';
import { startKeyCacheProjection } from '../../../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry.service';

// The pasted-Secret test (POST /v1/orgs/{orgId}/keys/test) against the registry's record, through
// real HTTP on the embedded adapters, with time moved by the harness's manual clock.
describe('POST /v1/orgs/{orgId}/keys/test: the key ends when the registry says, not at the Secret\'s exp', () => {
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
    org = `test-secret-org-${++orgCounter}`;
    token = await harness.token(org);
  });

  const auth = () => ({ Authorization: `Bearer ${token}` });
  const issue = async (body: object) => (await api.post(`/v1/orgs/${org}/keys`).set(auth()).send(body).expect(201)).body as { key: { keyId: string }; secret: string };
  const testSecret = async (secret: string) => (await api.post(`/v1/orgs/${org}/keys/test`).set(auth()).send({ secret }).expect(200)).body;

  async function later<T>(ms: number, body: () => Promise<T>): Promise<T> {
    harness.clock.advance(ms);
    try {
      return await body();
    } finally {
      harness.clock.advance(-ms);
    }
  }

  it('after "Never expire", the Secret already deployed stays valid past the exp it was minted with', async () => {
    const { key, secret } = await issue({ validity: 'P30D' });
    expect(decodeJwtPayload(secret).exp).toBe(Date.parse('2026-03-31T10:00:00.000Z') / 1000);
    await api.post(`/v1/orgs/${org}/keys/${key.keyId}/remove-expiration`).set(auth()).expect(200);
    await later(31 * DAY_MS, async () => {
      expect(await testSecret(secret)).toMatchObject({ valid: true, key: { keyId: key.keyId, status: 'active', expiresAt: null } });
    });
    await later(400 * DAY_MS, async () => expect(await testSecret(secret)).toMatchObject({ valid: true }));
  });

  it('without it, the same Secret is refused from its exp on', async () => {
    const { secret } = await issue({ validity: 'P30D' });
    expect(await testSecret(secret)).toMatchObject({ valid: true });
    await later(30 * DAY_MS, async () => expect(await testSecret(secret)).toEqual(expect.objectContaining({ valid: false, reason: 'the Secret has expired' })));
  });

  it('accepts nothing the registry does not: a revoked key is refused after its grace, though its Secret\'s exp is still ahead', async () => {
    const { key, secret } = await issue({ validity: 'P30D' });
    const { body } = await api.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(auth()).send({ grace: 'P2D', newKeyValidity: 'P30D' }).expect(200);
    expect(await testSecret(secret)).toMatchObject({ valid: true, key: { status: 'revoked' } });
    await later(2 * DAY_MS, async () => {
      expect(decodeJwtPayload(secret).exp as number).toBeGreaterThan(harness.clock.now().getTime() / 1000);
      expect(await testSecret(secret)).toMatchObject({ valid: false, reason: expect.stringMatching(/expired/), key: { status: 'expired' } });
      expect(await testSecret(body.secret)).toMatchObject({ valid: true });
    });
    await later(31 * DAY_MS, async () => {
      expect(await testSecret(secret)).toMatchObject({ valid: false, reason: 'the Secret has expired' });
      expect(await testSecret(body.secret)).toMatchObject({ valid: false, reason: 'the Secret has expired' });
    });
  });

  it('refuses a Secret past its exp whose key was deleted', async () => {
    const { key, secret } = await issue({ validity: 'P30D' });
    await api.post(`/v1/orgs/${org}/keys/${key.keyId}/revoke`).set(auth()).send({ grace: 'P0D' }).expect(200);
    await api.delete(`/v1/orgs/${org}/keys/${key.keyId}`).set(auth()).expect(204);
    await later(31 * DAY_MS, async () => expect(await testSecret(secret)).toMatchObject({ valid: false }));
  });
});
