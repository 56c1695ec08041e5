import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { KeywardenApiError, registryClient, settingsClient } from './client';

// The client against a plain HTTP server that records what it got: the URL built from the path
// template, the bearer token, the JSON body, and a refusal turned into KeywardenApiError.
describe('the typed API client', () => {
  let server: Server;
  let baseUrl: string;
  const received: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        if (req.url?.includes('missing')) {
          res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'no such key', details: { code: 'KEY_NOT_FOUND' } }));
        } else if (req.method === 'DELETE') res.writeHead(204).end();
        else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ echoed: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fills the path template, encodes the query, sends the token and the JSON body', async () => {
    const registry = registryClient({ baseUrl, token: async () => 'tok' });
    await registry.call('post', '/v1/orgs/{orgId}/keys/{keyId}/revoke', { path: { orgId: 'acme', keyId: 'key_1/..' }, body: { grace: 'P0D' } });
    await registry.call('get', '/v1/orgs/{orgId}/audit', { path: { orgId: 'acme' }, query: { at: '2025-11-23T12:44:11Z' } });
    expect(await registry.call('delete', '/v1/orgs/{orgId}/keys/{keyId}', { path: { orgId: 'acme', keyId: 'key_1' } })).toBeUndefined();
    await settingsClient({ baseUrl }).call('get', '/v1/orgs/{orgId}/settings', { path: { orgId: 'acme' } });
    expect(received).toEqual([
      { method: 'POST', url: '/v1/orgs/acme/keys/key_1%2F../revoke', authorization: 'Bearer tok', body: '{"grace":"P0D"}' },
      { method: 'GET', url: '/v1/orgs/acme/audit?at=2025-11-23T12%3A44%3A11Z', authorization: 'Bearer tok', body: '' },
      { method: 'DELETE', url: '/v1/orgs/acme/keys/key_1', authorization: 'Bearer tok', body: '' },
      { method: 'GET', url: '/v1/orgs/acme/settings', authorization: undefined, body: '' },
    ]);
  });

  it('throws a refusal as KeywardenApiError with its status and stable code', async () => {
    const error = await registryClient({ baseUrl })
      .call('get', '/v1/orgs/{orgId}/keys/{keyId}', { path: { orgId: 'acme', keyId: 'missing' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeywardenApiError);
    expect({ status: (error as KeywardenApiError).status, code: (error as KeywardenApiError).code, message: (error as Error).message }).toEqual({ status: 404, code: 'KEY_NOT_FOUND', message: 'no such key' });
  });

  it('types each call from the document (checked by npm run typecheck)', () => {
    const registry = registryClient({ baseUrl });
    const calls = async (): Promise<unknown[]> => {
      const issued = await registry.call('post', '/v1/orgs/{orgId}/keys', { path: { orgId: 'a' }, body: { validity: 'P1D' } });
      const status: 'active' | 'revoked' | 'expired' = issued.key.status;
      // @ts-expect-error the registry has no PUT on the key collection
      await registry.call('put', '/v1/orgs/{orgId}/keys', { path: { orgId: 'a' } });
      // @ts-expect-error reveal takes a body
      await registry.call('post', '/v1/orgs/{orgId}/keys/{keyId}/reveal', { path: { orgId: 'a', keyId: 'k' } });
      // @ts-expect-error a key's hint is a string
      const hint: number = issued.key.hint;
      return [status, hint];
    };
    expect(typeof calls).toBe('function');
  });
});
