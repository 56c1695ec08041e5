import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';
import { startNotifier } from '../../notifier/src/notifier.service';
import { waitFor } from '../../../test/support/wait-for';

// The operations surface every admin HTTP service gets from createHttpApp: health, metrics and
// the OpenAPI document, on the embedded adapters.
describe('operations endpoints of the admin HTTP services', () => {
  let harness: EmbeddedHarness;

  beforeAll(async () => {
    harness = new EmbeddedHarness({ env: { PROJECTION_HEALTH_PORT: '0', NOTIFIER_HEALTH_PORT: '0' } });
    await harness.start(startKeyCacheProjection, startSettings, startNotifier, startKeyRegistry);
  });

  afterAll(async () => harness.stop());

  it.each(['key-registry', 'settings'])('%s answers /health/live and /health/ready with its checks', async (service) => {
    const api = request(harness.url(service));
    await api.get('/health/live').expect(200, { status: 'up' });
    const ready = await api.get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'up', checks: { eventStore: { status: 'up' } } });
  });

  it('counts requests and latencies by route template, not by raw URL', async () => {
    const api = request(harness.url('key-registry'));
    const token = await harness.token('org-metrics');
    await api.post('/v1/orgs/org-metrics/keys').set({ Authorization: `Bearer ${token}` }).send({}).expect(201);
    await api.get('/v1/orgs/org-metrics/keys').set({ Authorization: `Bearer ${token}` }).expect(200);

    const res = await api.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('keywarden_http_requests_total{service="key-registry",method="POST",route="/v1/orgs/:orgId/keys",status="201"} 1');
    expect(res.text).toMatch(/keywarden_http_request_duration_seconds_bucket\{le="[^"]+",service="key-registry",method="GET",route="\/v1\/orgs\/:orgId\/keys",status="200"\}/);
    expect(res.text).not.toContain('route="/v1/orgs/org-metrics/keys"');
    expect(res.text).toContain('keywarden_process_cpu_seconds_total');
    expect(res.text).toContain('keywarden_relay_unpublished_events{relay="key-lifecycle"}');
  });

  it('gives the projection and the notifier a health and metrics listener; the notifier counts mails sent', async () => {
    for (const service of ['key-cache-projection', 'notifier']) {
      const ops = request(harness.url(service));
      await ops.get('/health/live').expect(200, { status: 'up' });
      await ops.get('/health/ready').expect(200);
      await ops.get('/elsewhere').expect(404);
    }
    const token = await harness.token('org-mails');
    await request(harness.url('key-registry')).post('/v1/orgs/org-mails/keys').set({ Authorization: `Bearer ${token}` }).send({}).expect(201);
    await waitFor(async () => /keywarden_notifier_emails_total\{result="sent"\} [1-9]/.test((await request(harness.url('notifier')).get('/metrics').expect(200)).text), {
      description: 'a sent mail counted',
    });
  });

  it('exports the consumer lag of each group per topic and partition, 0 once everything is handled', async () => {
    const token = await harness.token('org-lag');
    await request(harness.url('key-registry')).post('/v1/orgs/org-lag/keys').set({ Authorization: `Bearer ${token}` }).send({}).expect(201);
    await waitFor(
      async () => {
        const text = (await request(harness.url('key-cache-projection')).get('/metrics').expect(200)).text;
        const lags = [...text.matchAll(/^keywarden_kafka_consumer_lag\{group="keywarden-key-cache-projection",topic="keywarden\.key-lifecycle\.v1",partition="\d+"\} (\d+)$/gm)];
        return lags.length > 0 && lags.every((m) => m[1] === '0');
      },
      { description: "the projection's lag on the lifecycle topic, 0 on every partition" },
    );
  });

  it.each([
    ['key-registry', '/v1/orgs/{orgId}/keys'],
    ['settings', '/v1/orgs/{orgId}/settings'],
  ])('%s publishes its OpenAPI document at /docs-json and the UI at /docs', async (service, path) => {
    const api = request(harness.url(service));
    const doc = (await api.get('/docs-json').expect(200)).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.security).toEqual([{ adminToken: [] }]);
    expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/health/ready'].get.security).toEqual([]);
    const ui = await api.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
