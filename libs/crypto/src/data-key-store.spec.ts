import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryDataKeyStore } from './in-memory-data-key-store.adapter';
import { SqliteDataKeyStore } from './sqlite-data-key-store.adapter';
import { runDataKeyStoreContract } from './testing/data-key-store.contract';

const dirs: string[] = [];
const stores: SqliteDataKeyStore[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kw-data-keys-'));
  dirs.push(dir);
  return dir;
}

function sqliteStore(dataDir = tempDir()): SqliteDataKeyStore {
  const store = new SqliteDataKeyStore({ dataDir });
  stores.push(store);
  return store;
}

afterAll(() => {
  for (const store of stores) store.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

runDataKeyStoreContract('in-memory', () => new InMemoryDataKeyStore());
runDataKeyStoreContract('sqlite', () => sqliteStore());

describe('SqliteDataKeyStore', () => {
  it('keeps keys across reopen, in a 0600 file under <dataDir>/keys', async () => {
    const dataDir = tempDir();
    const first = sqliteStore(dataDir);
    const wrapped = randomBytes(61);
    await first.put('dk-1', wrapped);
    first.close();
    const second = sqliteStore(dataDir);
    expect(await second.get('dk-1')).toEqual(wrapped);
    expect(second.file).toBe(join(dataDir, 'keys', 'data-keys.sqlite'));
    expect(statSync(second.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
  });

  it('leaves no copy of a destroyed key in the database or its WAL', async () => {
    const dataDir = tempDir();
    const store = sqliteStore(dataDir);
    const marker = randomBytes(61);
    await store.put('dk-shred', marker);
    await store.put('dk-keep', randomBytes(61));
    await store.destroy('dk-shred');
    const keysDir = join(dataDir, 'keys');
    for (const file of readdirSync(keysDir)) {
      expect(readFileSync(join(keysDir, file)).includes(marker)).toBe(false);
    }
  });
});

describe('SqliteDataKeyStore at an explicit path', () => {
  it('opens the given file', async () => {
    const file = join(tempDir(), 'nested', 'data-keys.sqlite');
    const store = new SqliteDataKeyStore(file);
    stores.push(store);
    await store.put('dk-1', Buffer.from('wrapped'));
    expect(store.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
