import request from 'supertest';
import { ManualClock } from '@keywarden/clock';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { waitFor } from '../../../test/support/wait-for';
import { startEdgeValidator } from '../../edge-validator/src/edge-validator.service';
import { startKeyCacheProjection } from '../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { DemoUpstream, startDemoUpstream } from './demo-upstream';

// `npm start` without EDGE_UPSTREAM_URL: the edge fronts the demo API, so a new user's first call
// through the gateway answers with the identity the edge vouched for.
describe('the all-in-one demo API behind the edge', () => {
  const clock = new ManualClock('2026-03-01T09:30:00.250Z');
  let demo: DemoUpstream;
  let harness: EmbeddedHarness;

  beforeAll(async () => {
    demo = await startDemoUpstream(clock);
    harness = new EmbeddedHarness({ env: { EDGE_UPSTREAM_URL: demo.url } });
    await harness.start(startKeyCacheProjection, startKeyRegistry, startEdgeValidator);
  });

  afterAll(async () => {
    await harness.stop();
    await demo.close();
  });

  it('answers a call with a valid Secret with the organisation and key the edge added, and refuses one without', async () => {
    const registry = request(harness.url('key-registry'));
    const edge = request(harness.url('edge-validator'));
    const admin = { Authorization: `Bearer ${await harness.token('org-demo')}` };
    const issued = await registry.post('/v1/orgs/org-demo/keys').set(admin).send({}).expect(201);
    await waitFor(async () => (await registry.post(`/v1/orgs/org-demo/keys/${issued.body.key.keyId}/test`).set(admin).expect(200)).body.valid);

    const res = await edge.post('/v1/orders?x=1').set({ Authorization: `Bearer ${issued.body.secret}` }).send({ item: 'book' }).expect(200);
    expect(res.body).toEqual({
      message: expect.stringContaining('EDGE_UPSTREAM_URL'),
      method: 'POST',
      path: '/v1/orders?x=1',
      organisation: 'org-demo',
      keyId: issued.body.key.keyId,
      servedAt: '2026-03-01T09:30:00.250Z',
    });

    await edge.get('/v1/orders').expect(401);
  });
});
