import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * A database of one test's own on the run's PostgreSQL server (DATABASE_URL, set by the global
 * setup or from outside): created empty, dropped with whatever connections are still open.
 */
export class TestDatabase {
  private constructor(
    readonly name: string,
    /** The connection string of this database. */
    readonly url: string,
    private readonly serverUrl: string,
  ) {}

  static async create(label = 'test'): Promise<TestDatabase> {
    const serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) throw new Error('DATABASE_URL is not set: the int and e2e tiers get it from the global setup (test/support/global-setup.ts)');
    const name = `kw_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return new TestDatabase(name, url.toString(), serverUrl);
  }

  async drop(): Promise<void> {
    await onServer(this.serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

async function onServer(serverUrl: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
