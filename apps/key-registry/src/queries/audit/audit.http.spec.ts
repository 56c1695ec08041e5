import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { EncryptedKeyMaterial, keyRingStream } from '@keywarden/contracts';
import { KeyMaterialShreddedError, SqliteDataKeyStore } from '@keywarden/crypto';
import { EmbeddedHarness } from '../../../../../test/support/embedded-harness';
import { startKeyCacheProjection } from '../../../../key-cache-projection/src/key-cache-projection.service';
import { startKeyRegistry } from '../../key-registry.service';
import { verifyKeyRingChains } from './chain-verification';

// The audit (API.md "Audit"): the timeline and the key table at any instant, rebuilt by replaying
// the event store; tamper evidence of the chained events; crypto-shredding that the audit survives.
describe('audit by event replay', () => {
  let harness: EmbeddedHarness;
  let api: ReturnType<typeof request>;
  let orgCounter = 0;
  let org = '';
  let auth: Record<string, string> = {};

  beforeAll(async () => {
    harness = new EmbeddedHarness({ start: '2026-03-01T10:00:00.000Z' });
    await harness.start(startKeyCacheProjection, startKeyRegistry);
    api = request(harness.url('key-registry'));
  });

  afterAll(async () => harness.stop());

  beforeEach(async () => {
    org = `audit-${++orgCounter}`;
    auth = { Authorization: `Bearer ${await harness.token(org)}` };
  });

  const table = async () => (await api.get(`/v1/orgs/${org}/keys`).set(auth).expect(200)).body.keys;
  const audit = async (query: Record<string, string> = {}) => (await api.get(`/v1/orgs/${org}/audit`).query(query).set(auth).expect(200)).body;

  it('shows, for every instant of a scripted history, exactly the key table the API showed then', async () => {
    const seen: Array<{ at: string; keys: unknown }> = [];
    const record = async () => seen.push({ at: harness.clock.now().toISOString(), keys: await table() });
    // Each change happens a second after the table recorded before it: the state at an instant includes what happened at it.
    const tick = () => harness.clock.advance(1000);

    await record(); // before anything: empty
    tick();
    const first = (await api.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Customer-Request-Id', 'req-issue-1').send({ validity: 'P90D' }).expect(201)).body.key;
    await record();
    harness.clock.advanceDays(10);
    await record();
    tick();
    const revoked = (await api.post(`/v1/orgs/${org}/keys/${first.keyId}/revoke`).set(auth).send({ grace: 'P5D', newKeyValidity: 'P30D', reason: 'leaked' }).expect(200)).body;
    const second = revoked.issued;
    await record(); // first revoked in its grace, second active
    harness.clock.advanceDays(2);
    await record();
    tick();
    await api.post(`/v1/orgs/${org}/keys/${second.keyId}/remove-expiration`).set(auth).expect(200);
    await record();
    harness.clock.advanceDays(4); // first's grace is over: expired by time, before any KeyExpired
    await record();
    tick();
    await api.delete(`/v1/orgs/${org}/keys/${first.keyId}`).set(auth).expect(204);
    await record();
    harness.clock.advanceDays(400); // second never expires
    await record();

    for (const { at, keys } of seen) {
      expect({ at, stateAt: (await audit({ at })).stateAt }).toEqual({ at, stateAt: keys });
    }
    // The instants between the steps too: the table between two changes is the earlier one's (status by time aside).
    expect((await audit({ at: '2026-03-05T00:00:00Z' })).stateAt).toEqual(seen[1].keys);
    expect(seen[0].keys).toEqual([]);
    expect(seen.map((s) => (s.keys as Array<{ status: string }>).map((k) => k.status))).toEqual([
      [],
      ['active'],
      ['active'],
      ['active', 'revoked'],
      ['active', 'revoked'],
      ['active', 'revoked'],
      ['active', 'expired'],
      ['active'],
      ['active'],
    ]);

    const { events } = await audit();
    expect(events.map((e: { type: string; keyId: string }) => [e.type, e.keyId])).toEqual([
      ['KeyIssued', first.keyId],
      ['KeyIssued', second.keyId],
      ['KeyRevoked', first.keyId],
      ['ExpirationRemoved', second.keyId],
      ['KeyDeleted', first.keyId],
    ]);
    expect(events[0]).toEqual({
      position: expect.any(Number),
      at: '2026-03-01T10:00:01',
      type: 'KeyIssued',
      keyId: first.keyId,
      actor: { sub: expect.any(String), email: `admin@${org}.test` },
      requestId: 'req-issue-1',
      details: { hint: first.hint, issuedAt: '2026-03-01T10:00:01', expiresAt: '2026-05-30T10:00:01', reason: 'initial', replaces: null },
    });
    expect(events[2].details).toMatchObject({ hint: first.hint, kind: 'manual', reason: 'leaked', graceEndsAt: '2026-03-16T10:00:02', replacedBy: second.keyId });
    expect(events.map((e: { position: number }) => e.position)).toEqual([...events.map((e: { position: number }) => e.position)].sort((a, b) => a - b));
    for (const e of events) expect(typeof e.requestId).toBe('string');

    // from/to keep the events that happened in the window.
    const window = await audit({ from: '2026-03-11T10:00:00', to: '2026-03-13T10:00:03Z' });
    expect(window.events.map((e: { type: string }) => e.type)).toEqual(['KeyIssued', 'KeyRevoked', 'ExpirationRemoved']);
    expect(window.stateAt).toBeUndefined();
  });

  it('answers 400 for bad query values, 403 for another organisation, and an empty timeline for an organisation without keys', async () => {
    for (const query of [{ at: 'yesterday' }, { from: '2026-13-01T00:00:00Z' }, { to: '2026-03-01' }, { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, { since: '2026-03-01T00:00:00Z' }]) {
      const res = await api.get(`/v1/orgs/${org}/audit`).query(query).set(auth);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    }
    await api.get(`/v1/orgs/${org}/audit`).set({ Authorization: `Bearer ${await harness.token('someone-else')}` }).expect(403);
    await api.get(`/v1/orgs/${org}/audit`).expect(401);
    expect(await audit({ at: '2026-03-01T10:00:00Z' })).toEqual({ events: [], stateAt: [] });
  });

  it('detects an event changed in the SQLite file and names its position', async () => {
    const issued = (await api.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body.key;
    await api.post(`/v1/orgs/${org}/keys/${issued.keyId}/revoke`).set(auth).send({ grace: 'P30D' }).expect(200);
    const stream = keyRingStream(org);
    expect((await verifyKeyRingChains(harness.infra.eventStore(), { orgStream: stream })).firstBreak).toBeNull();
    const all = await verifyKeyRingChains(harness.infra.eventStore());
    expect(all.firstBreak).toBeNull();

    // Someone with access to the file extends the revoked key's grace behind Keywarden's back.
    const db = new Database(join(harness.dataDir, 'events.sqlite'));
    const row = db.prepare("SELECT position, revision, data FROM events WHERE stream_id = ? AND type = 'KeyRevoked'").get(stream) as { position: number; revision: number; data: string };
    const data = JSON.parse(row.data) as Record<string, unknown>;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ ...data, graceEndsAt: '2099-01-01T00:00:00.000Z' }), row.position);
    db.close();

    const report = await verifyKeyRingChains(harness.infra.eventStore(), { orgStream: stream });
    expect(report.firstBreak).toEqual({ position: BigInt(row.position), streamId: stream, revision: BigInt(row.revision), expected: expect.stringMatching(/^[0-9a-f]{64}$/), found: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(report.firstBreak?.expected).not.toEqual(report.firstBreak?.found);
    expect((await verifyKeyRingChains(harness.infra.eventStore())).firstBreak?.position).toBe(BigInt(row.position));
  });

  it('detects an edit of the request id the audit shows for a change, not only of its data', async () => {
    await api.post(`/v1/orgs/${org}/keys`).set(auth).set('X-Customer-Request-Id', 'the-real-call').send({}).expect(201);
    const stream = keyRingStream(org);
    expect((await verifyKeyRingChains(harness.infra.eventStore(), { orgStream: stream })).firstBreak).toBeNull();
    expect((await audit()).events[0].requestId).toBe('the-real-call');

    const db = new Database(join(harness.dataDir, 'events.sqlite'));
    const row = db.prepare('SELECT position, metadata FROM events WHERE stream_id = ? AND revision = 0').get(stream) as { position: number; metadata: string };
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    db.prepare('UPDATE events SET metadata = ? WHERE position = ?').run(JSON.stringify({ ...metadata, requestId: 'someone-elses-call' }), row.position);
    db.close();

    expect((await verifyKeyRingChains(harness.infra.eventStore(), { orgStream: stream })).firstBreak?.position).toBe(BigInt(row.position));
  });

  it('after KeyDeleted nobody can decrypt the key material of the old KeyIssued event, while the audit keeps its history', async () => {
    const issued = (await api.post(`/v1/orgs/${org}/keys`).set(auth).send({}).expect(201)).body.key;
    const { vault } = harness.infra.keyMaterial();
    const keyIssued = (await harness.infra.eventStore().readStream(keyRingStream(org))).find((e) => e.type === 'KeyIssued');
    const material = (keyIssued?.data as { material: EncryptedKeyMaterial }).material;
    expect(await vault.open(material)).toMatch(/^\S{40,}$/); // readable while the key lives

    harness.clock.advanceDays(1);
    await api.post(`/v1/orgs/${org}/keys/${issued.keyId}/revoke`).set(auth).send({ grace: 'P0D' }).expect(200);
    harness.clock.advanceDays(1);
    await api.delete(`/v1/orgs/${org}/keys/${issued.keyId}`).set(auth).expect(204);

    // The event is still in the immutable log, unchanged, but its data key is gone for good.
    const after = (await harness.infra.eventStore().readStream(keyRingStream(org))).find((e) => e.eventId === keyIssued?.eventId);
    expect((after?.data as { material: EncryptedKeyMaterial }).material).toEqual(material);
    await expect(vault.open(material)).rejects.toBeInstanceOf(KeyMaterialShreddedError);
    const rawStore = new SqliteDataKeyStore(join(harness.dataDir, 'data-keys.sqlite'));
    try {
      expect(await rawStore.get(material.dataKeyId)).toBeNull();
    } finally {
      rawStore.close();
    }

    const { events, stateAt } = await audit({ at: issued.createdAt });
    const history = events.filter((e: { keyId: string; type: string }) => e.keyId === issued.keyId && e.type !== 'KeyExpired');
    expect(history.map((e: { type: string; at: string; actor: { email: string }; details: { hint: string } }) => [e.type, e.details.hint, e.at, e.actor.email])).toEqual([
      ['KeyIssued', issued.hint, issued.createdAt, `admin@${org}.test`],
      ['KeyRevoked', issued.hint, expect.any(String), `admin@${org}.test`],
      ['KeyDeleted', issued.hint, expect.any(String), `admin@${org}.test`],
    ]);
    expect(stateAt.map((k: { keyId: string }) => k.keyId)).toContain(issued.keyId); // as it stood before the deletion
    expect(JSON.stringify(events)).not.toContain(material.ciphertext);
  });
});
