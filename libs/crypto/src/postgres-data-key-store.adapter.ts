import { Pool } from 'pg';
import { SchemaOnce } from '@keywarden/postgres';
import { DataKeyAlreadyExistsError } from './crypto.errors';
import { DataKeyStore } from './data-key-store.port';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS data_keys (data_key_id text PRIMARY KEY, wrapped_key bytea NOT NULL)';
/** Serialises the first start of several processes on CREATE TABLE ("KWDK"). */
const SCHEMA_LOCK_KEY = 0x4b57444b;

/**
 * The data keys on PostgreSQL (DATABASE_URL): one table every registry process shares. A data key
 * is stored wrapped under the KEK, never in clear. `destroy` deletes the row and vacuums the table,
 * so the dead row version leaves the table's pages at once rather than at the next autovacuum; the
 * copies PostgreSQL keeps elsewhere (WAL, backups, replicas) are described in README "Data keys".
 */
export class PostgresDataKeyStore implements DataKeyStore {
  private readonly pool: Pool;
  private readonly schema: SchemaOnce;

  constructor(readonly connectionString: string) {
    this.pool = new Pool({ connectionString, max: 4, connectionTimeoutMillis: 5000, application_name: 'keywarden-data-keys' });
    this.pool.on('error', () => undefined);
    this.schema = new SchemaOnce(this.pool, SCHEMA_LOCK_KEY, SCHEMA);
  }

  async put(dataKeyId: string, wrappedKey: Buffer): Promise<void> {
    await this.schema.ensure();
    try {
      await this.pool.query('INSERT INTO data_keys (data_key_id, wrapped_key) VALUES ($1, $2)', [dataKeyId, wrappedKey]);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new DataKeyAlreadyExistsError(dataKeyId);
      throw error;
    }
  }

  async get(dataKeyId: string): Promise<Buffer | null> {
    await this.schema.ensure();
    const rows = (await this.pool.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM data_keys WHERE data_key_id = $1', [dataKeyId])).rows;
    return rows[0]?.wrapped_key ?? null;
  }

  async destroy(dataKeyId: string): Promise<void> {
    await this.schema.ensure();
    const deleted = await this.pool.query('DELETE FROM data_keys WHERE data_key_id = $1', [dataKeyId]);
    // VACUUM runs outside a transaction; it removes the dead row version and its index entry now.
    if (deleted.rowCount) await this.pool.query('VACUUM data_keys');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
