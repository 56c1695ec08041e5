import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { EmbeddedHarness } from '../../../test/support/embedded-harness';
import { TestDatabase } from '../../../test/support/postgres-database';
import { startKeyRegistry } from './key-registry.service';

// Two registries on one PostgreSQL database (DATABASE_URL): what one records, the other reads and
// changes; the events and the data keys are in PostgreSQL, not in SQLite files of their data folder.
describe('key-registry on PostgreSQL', () => {
  let database: TestDatabase;
  let dataDir: string;
  let registries: EmbeddedHarness[];

  beforeAll(async () => {
    database = await TestDatabase.create('registry');
    // One data folder for the development key material and token issuer both registries use; several
    // registries are a Kafka deployment (the embedded bus is one process's, and locks its file).
    dataDir = mkdtempSync(join(tmpdir(), 'keywarden-pg-'));
    const env = { DATABASE_URL: database.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '' };
    registries = [new EmbeddedHarness({ dataDir, env }), new EmbeddedHarness({ dataDir, env })];
    for (const registry of registries) await registry.start(startKeyRegistry);
  });

  afterAll(async () => {
    for (const registry of registries ?? []) await registry.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shares key rings and data keys between two registry instances', async () => {
    const [a, b] = registries.map((registry) => request(registry.url('key-registry')));
    const auth = { Authorization: `Bearer ${await registries[0].token('pg-org')}` };

    const issued = (await a.post('/v1/orgs/pg-org/keys').set(auth).send({}).expect(201)).body.key;
    expect((await b.get(`/v1/orgs/pg-org/keys/${issued.keyId}`).set(auth).expect(200)).body).toMatchObject({ keyId: issued.keyId, status: 'active' });
    const revoked = (await b.post(`/v1/orgs/pg-org/keys/${issued.keyId}/revoke`).set(auth).send({ grace: 'P0D' }).expect(200)).body;
    const listed = (await a.get('/v1/orgs/pg-org/keys').set(auth).expect(200)).body.keys;

    expect(listed.map((key: { keyId: string; status: string }) => [key.keyId, key.status])).toEqual([
      [revoked.issued.keyId, 'active'],
      [issued.keyId, revoked.revoked.status],
    ]);
    expect(revoked.revoked.status).not.toBe('active');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const counts = await client.query('SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM data_keys)::int AS data_keys');
      expect(counts.rows[0].events).toBeGreaterThanOrEqual(2);
      expect(counts.rows[0].data_keys).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(false);
    expect(existsSync(join(dataDir, 'keys', 'data-keys.sqlite'))).toBe(false);
  });
});
