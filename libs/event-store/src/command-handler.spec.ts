import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './sqlite-event-store.adapter';
import { runCommandHandlerContract } from './testing/command-handler.contract';

runCommandHandlerContract('SQLite file, two connections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-command-handler-'));
  const opened: SqliteEventStore[] = [new SqliteEventStore(join(dir, 'events.db'))];
  return {
    store: opened[0],
    second: () => opened[opened.push(new SqliteEventStore(join(dir, 'events.db'))) - 1],
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runCommandHandlerContract('SQLite in memory', () => {
  const store = new SqliteEventStore(':memory:');
  return { store, second: () => store, cleanup: () => store.close() };
});
