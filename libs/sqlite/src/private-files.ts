import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** Creates a folder of the data directory readable by its owner only (and tightens one that exists). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    // not ours to change
  }
}

/**
 * Creates the file 0600 in a 0700 folder before anything writes it. SQLite gives its -wal and -shm
 * files the database file's mode, so a database created here keeps every copy of its pages private.
 * A file left 0644 by an older version is tightened; one this process does not own is left as it is.
 */
export function createPrivateFile(path: string): void {
  const file = resolve(path);
  ensurePrivateDir(dirname(file));
  closeSync(openSync(file, 'a', 0o600));
  for (const each of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if (existsSync(each)) chmodSync(each, 0o600);
    } catch {
      // not ours to change
    }
  }
}

/** Opens (creating it privately) an SQLite database under the data folder; `:memory:` as is. */
export function openPrivateSqlite(path: string): Database.Database {
  if (path !== ':memory:' && path !== '') createPrivateFile(path);
  return new Database(path);
}
