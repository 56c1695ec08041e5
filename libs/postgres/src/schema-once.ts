import { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. A connection whose ROLLBACK failed is discarded, not handed to the next caller.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * A table's `CREATE … IF NOT EXISTS` run once per instance, under a transaction-scoped advisory lock:
 * several processes starting at once on an empty database would otherwise race in the catalog
 * (a unique violation on pg_type). A failed attempt is forgotten, so the next call tries again.
 */
export class SchemaOnce {
  private ready?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly lockKey: number,
    private readonly ddl: string,
  ) {}

  ensure(): Promise<void> {
    this.ready ??= inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [this.lockKey]);
      await client.query(this.ddl);
    });
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }
}
