import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { SignJWT } from 'jose';
import { ServiceStarter } from '@keywarden/platform';
import { decodeJwtPayload, EmbeddedHarness } from '../../../../test/support/embedded-harness';
import { waitFor } from '../../../../test/support/wait-for';

/**
 * The registry side of the edge's integration tests: the key registry and the key-cache projection
 * in process, on the real Kafka and Redis of the environment, issuing keys and Secrets through
 * the registry's HTTP API, as an admin would.
 */
export class RegistrySide {
  readonly harness: EmbeddedHarness;
  api!: ReturnType<typeof request>;

  constructor(env: Record<string, string>) {
    this.harness = new EmbeddedHarness({ env });
  }

  async start(...starters: ServiceStarter[]): Promise<void> {
    await this.harness.start(...starters);
    this.api = request(this.harness.url('key-registry'));
  }

  get url(): string {
    return this.harness.url('key-registry');
  }

  async admin(orgId: string): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.harness.token(orgId)}` };
  }

  /** Issues a key and waits until the registry's test icon is green: the active-key cache has it. */
  async issue(orgId: string, body: object = {}): Promise<{ keyId: string; secret: string }> {
    const res = await this.api.post(`/v1/orgs/${orgId}/keys`).set(await this.admin(orgId)).send(body).expect(201);
    await this.waitUntilCached(orgId, res.body.key.keyId);
    return { keyId: res.body.key.keyId, secret: res.body.secret };
  }

  async waitUntilCached(orgId: string, keyId: string): Promise<void> {
    const admin = await this.admin(orgId);
    await waitFor(async () => (await this.api.post(`/v1/orgs/${orgId}/keys/${keyId}/test`).set(admin).expect(200)).body.valid, {
      timeoutMs: 30_000,
      description: `key ${keyId} in the active-key cache`,
    });
  }

  async revoke(orgId: string, keyId: string, body: object, headers: Record<string, string> = {}): Promise<{ issued: { keyId: string }; secret: string }> {
    const res = await this.api
      .post(`/v1/orgs/${orgId}/keys/${keyId}/revoke`)
      .set({ ...(await this.admin(orgId)), ...headers })
      .send(body)
      .expect(200);
    return res.body;
  }

  async delete(orgId: string, keyId: string): Promise<void> {
    await this.api.delete(`/v1/orgs/${orgId}/keys/${keyId}`).set(await this.admin(orgId)).expect(204);
  }

  stop(): Promise<void> {
    return this.harness.stop();
  }
}

/** Tokens that must never pass, built from a real Secret: each fails a different check. */
export async function hostileTokens(secret: string): Promise<Record<string, string>> {
  const [header, payload, signature] = secret.split('.');
  const claims = decodeJwtPayload(secret);
  const apiKey = claims.client_secret as string;
  const { privateKey } = generateKeyPairSync('ed25519');
  const sign = (body: Record<string, unknown>, kid: string) => new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(privateKey);
  const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid as string;
  const lastChar = apiKey.at(-1) === 'A' ? 'B' : 'A';
  return {
    'with a forged signature': `${header}.${payload}.${Buffer.from(Buffer.from(signature, 'base64url').map((b, i) => (i === 0 ? b ^ 0xff : b))).toString('base64url')}`,
    'signed by a key nobody published (unknown kid)': await sign(claims, 'kid-nobody-published'),
    'signed by another key under a published kid': await sign(claims, kid),
    'that is malformed': 'this-is.not-a.secret!',
    'whose key has the wrong prefix': await sign({ ...claims, client_secret: `xx_${apiKey.slice(3)}` }, kid),
    'whose key has a bad checksum': await sign({ ...claims, client_secret: `${apiKey.slice(0, -1)}${lastChar}` }, kid),
  };
}
