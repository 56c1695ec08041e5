import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TestDatabase } from '../../../test/support/postgres-database';
import { PostgresDataKeyStore } from './postgres-data-key-store.adapter';
import { runDataKeyStoreContract } from './testing/data-key-store.contract';

const databases: TestDatabase[] = [];
const stores: PostgresDataKeyStore[] = [];

async function postgresStore(database?: TestDatabase): Promise<PostgresDataKeyStore> {
  if (!database) {
    database = await TestDatabase.create('data_keys');
    databases.push(database);
  }
  const store = new PostgresDataKeyStore(database.url);
  stores.push(store);
  return store;
}

afterAll(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const database of databases.splice(0)) await database.drop();
});

runDataKeyStoreContract('PostgreSQL', () => postgresStore());

describe('PostgresDataKeyStore', () => {
  it('shares its keys between processes: one registry reads, another destroys, a third sees it gone', async () => {
    const database = await TestDatabase.create('data_keys');
    databases.push(database);
    const [a, b, c] = [await postgresStore(database), await postgresStore(database), await postgresStore(database)];
    const wrapped = randomBytes(61);

    await a.put('dk-shared', wrapped);
    expect(await b.get('dk-shared')).toEqual(wrapped);
    await b.destroy('dk-shared');

    expect(await c.get('dk-shared')).toBeNull();
    expect(await a.get('dk-shared')).toBeNull();
  });

  it('leaves no row version of a destroyed key in the table: neither live nor dead (vacuumed)', async () => {
    const database = await TestDatabase.create('data_keys');
    databases.push(database);
    const store = await postgresStore(database);
    const marker = randomBytes(61);
    await store.put('dk-keep-1', randomBytes(61));
    await store.put('dk-shred', marker);
    await store.put('dk-keep-2', randomBytes(61));

    await store.destroy('dk-shred');

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pageinspect');
      const items = await client.query<{ item_count: number; holding: number }>(
        `SELECT count(*)::int AS item_count, count(*) FILTER (WHERE position($1::bytea IN t_data) > 0)::int AS holding
         FROM heap_page_items(get_raw_page('data_keys', 0)) WHERE t_data IS NOT NULL`,
        [marker],
      );
      expect(items.rows[0]).toEqual({ item_count: 2, holding: 0 });
    } finally {
      await client.end();
    }
  });
});
