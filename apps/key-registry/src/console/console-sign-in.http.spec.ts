import request from 'supertest';
import { EmbeddedHarness } from '../../../../test/support/embedded-harness';
import { startKeyRegistry } from '../key-registry.service';
import { ConsoleSignInCodes, SIGN_IN_CODE_TTL_MS } from './console-sign-in-codes';

describe('the console one-time sign-in link (POST /console/sign-in)', () => {
  let harness: EmbeddedHarness;
  let codes: ConsoleSignInCodes;
  let registry: () => ReturnType<typeof request>;
  const org = 'sign-in-link';
  const mint = () => codes.mint({ orgId: org, email: `admin@${org}.test`, role: 'admin' }).code;

  beforeAll(async () => {
    harness = new EmbeddedHarness();
    codes = new ConsoleSignInCodes(harness.clock);
    await harness.start((infra) => startKeyRegistry(infra, { consoleSignIn: codes }));
    const url = harness.url('key-registry');
    registry = () => request(url);
  });
  afterAll(() => harness.stop());

  it('trades a code once for an admin token of its organisation; the second use is refused', async () => {
    const code = mint();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits, base64url
    const first = await registry().post('/console/sign-in').send({ code }).expect(200);
    expect(first.headers['cache-control']).toBe('no-store');
    await registry().get(`/v1/orgs/${org}/keys`).set('Authorization', `Bearer ${first.body.token}`).expect(200);

    const second = await registry().post('/console/sign-in').send({ code }).expect(401);
    expect(second.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/already used or expired.*npm run admin-token/) });
  });

  it('refuses a code at the end of its 15 minutes', async () => {
    const [inTime, late] = [mint(), mint()];
    harness.clock.advance(SIGN_IN_CODE_TTL_MS - 1);
    await registry().post('/console/sign-in').send({ code: inTime }).expect(200);
    harness.clock.advance(1);
    await registry().post('/console/sign-in').send({ code: late }).expect(401);
  });

  it('refuses an unknown code, and a body without one', async () => {
    const code = mint();
    await registry().post('/console/sign-in').send({ code: `${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}` }).expect(401);
    await registry().post('/console/sign-in').send({}).expect(400);
    // A near miss does not burn the real code.
    await registry().post('/console/sign-in').send({ code }).expect(200);
  });

  it('never writes the code to the log', async () => {
    const code = mint();
    await registry().post('/console/sign-in').send({ code }).expect(200);
    expect(harness.logs.text).toContain('/console/sign-in');
    expect(harness.logs.text).not.toContain(code);
  });
});

describe('the console sign-in route in OIDC mode', () => {
  it('does not exist', async () => {
    const harness = new EmbeddedHarness({ env: { AUTH_JWKS_URL: 'https://id.example.test/jwks', AUTH_ISSUER: 'https://id.example.test' } });
    try {
      await harness.start((infra) => startKeyRegistry(infra, { consoleSignIn: new ConsoleSignInCodes(harness.clock) }));
      await request(harness.url('key-registry')).post('/console/sign-in').send({ code: 'anything' }).expect(404);
    } finally {
      await harness.stop();
    }
  });
});
