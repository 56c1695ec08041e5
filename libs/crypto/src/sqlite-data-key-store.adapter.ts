import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataKeyAlreadyExistsError } from './crypto.errors';
import { DataKeyStore } from './data-key-store.port';

export type SqliteDataKeyStoreOptions = Readonly<{
  /** The Keywarden data folder; the store lives in its `keys/` sub-folder. */
  dataDir: string;
  /** @default 'data-keys.sqlite' */
  fileName?: string;
}>;

/** The embedded and single-registry data-key store: one SQLite file in WAL mode. */
export class SqliteDataKeyStore implements DataKeyStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, Buffer]>;
  private readonly select: Database.Statement<[string], { wrapped_key: Buffer }>;
  private readonly remove: Database.Statement<[string]>;

  /** Either the options, or the path of the database file itself. */
  constructor(options: SqliteDataKeyStoreOptions | string) {
    if (typeof options === 'string') {
      this.file = options;
      mkdirSync(dirname(options), { recursive: true, mode: 0o700 });
    } else {
      const dir = join(options.dataDir, 'keys');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      this.file = join(dir, options.fileName ?? 'data-keys.sqlite');
    }
    // Create the file 0600 first: SQLite gives its -wal and -shm files the database file's mode.
    closeSync(openSync(this.file, 'a', 0o600));
    chmodSync(this.file, 0o600);
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    // Deleted rows are zeroed on their pages instead of left in free space: crypto-shredding.
    this.db.pragma('secure_delete = ON');
    this.db.exec('CREATE TABLE IF NOT EXISTS data_keys (data_key_id TEXT PRIMARY KEY, wrapped_key BLOB NOT NULL) STRICT');
    this.insert = this.db.prepare<[string, Buffer]>('INSERT INTO data_keys (data_key_id, wrapped_key) VALUES (?, ?)');
    this.select = this.db.prepare<[string], { wrapped_key: Buffer }>('SELECT wrapped_key FROM data_keys WHERE data_key_id = ?');
    this.remove = this.db.prepare<[string]>('DELETE FROM data_keys WHERE data_key_id = ?');
  }

  async put(dataKeyId: string, wrappedKey: Buffer): Promise<void> {
    try {
      this.insert.run(dataKeyId, wrappedKey);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DataKeyAlreadyExistsError(dataKeyId);
      throw error;
    }
  }

  async get(dataKeyId: string): Promise<Buffer | null> {
    return this.select.get(dataKeyId)?.wrapped_key ?? null;
  }

  async destroy(dataKeyId: string): Promise<void> {
    this.remove.run(dataKeyId);
    // The WAL still holds the page image written by the insert until a checkpoint resets it.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    this.db.close();
  }
}
