import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startEdgeValidator } from './edge-validator.service';
import { ensureNginx, TestNginx } from './testing/nginx';
import { TestUpstream } from './testing/test-upstream';

jest.setTimeout(60_000);

// The forward-auth endpoint behind Debian's nginx: `auth_request` asks the edge's GET /auth about
// every request, and nginx proxies to the upstream itself, copying the identity headers the edge
// answered with. (The suite installs nginx with apt-get when it is missing.)
describe('edge-validator as the auth_request endpoint of nginx', () => {
  const upstream = new TestUpstream();
  let nginx: TestNginx;
  let harness: EmbeddedHarness;
  let registry: ReturnType<typeof request>;

  beforeAll(async () => {
    nginx = new TestNginx(ensureNginx());
    await upstream.start();
    harness = new EmbeddedHarness({ env: { EDGE_UPSTREAM_URL: upstream.url } });
    await harness.start(startKeyCacheProjection, startKeyRegistry, startEdgeValidator);
    registry = request(harness.url('key-registry'));
    const edge = new URL(harness.url('edge-validator'));
    await nginx.start(`
    location = /_keywarden_auth {
      internal;
      proxy_pass http://${edge.host}/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }
    location / {
      auth_request /_keywarden_auth;
      auth_request_set $keywarden_org $upstream_http_x_keywarden_org;
      auth_request_set $keywarden_key $upstream_http_x_keywarden_key_id;
      proxy_set_header X-Keywarden-Org $keywarden_org;
      proxy_set_header X-Keywarden-Key-Id $keywarden_key;
      proxy_set_header Authorization "";
      proxy_pass ${upstream.url};
    }`);
  }, 360_000);

  afterAll(async () => {
    await nginx?.stop();
    await harness?.stop();
    await upstream.stop();
  });

  it('lets a valid Secret through to the upstream with the identity headers (200), and refuses anything else (401)', async () => {
    const org = 'nginx-org';
    const admin = { Authorization: `Bearer ${await harness.token(org)}` };
    const { body } = await registry.post(`/v1/orgs/${org}/keys`).set(admin).send({}).expect(201);
    await waitFor(async () => (await registry.post(`/v1/orgs/${org}/keys/${body.key.keyId}/test`).set(admin)).body.valid);
    const viaNginx = request(nginx.url);

    const ok = await viaNginx.get('/v1/orders?customerRequestId=n-1').set('Authorization', `Bearer ${body.secret}`);
    expect({ status: ok.status, error: nginx.errorLog() }).toMatchObject({ status: 200 });
    expect(ok.body).toEqual({ ok: true, method: 'GET', url: '/v1/orders?customerRequestId=n-1' });
    expect(upstream.last().headers).toMatchObject({ 'x-keywarden-org': org, 'x-keywarden-key-id': body.key.keyId });
    expect(upstream.last().headers.authorization).toBeUndefined();

    const before = upstream.received.length;
    await viaNginx.get('/v1/orders').set('Authorization', 'Bearer not.a.secret').expect(401);
    await viaNginx.get('/v1/orders').expect(401);
    await viaNginx.post('/v1/orders').set('Authorization', `Bearer ${body.secret}x`).send({ a: 1 }).expect(401);
    expect(upstream.received.length).toBe(before);
  });
});
