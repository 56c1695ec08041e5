import { EventStoreDbStore } from './esdb-event-store.adapter';
import { EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres-event-store.adapter';
import { SqliteEventStore } from './sqlite-event-store.adapter';

export * from './event-store.port';
export * from './command-handler';
export * from './esdb-event-store.adapter';
export * from './sqlite-event-store.adapter';
export * from './postgres-event-store.adapter';

export type EventStoreOptions = Readonly<{
  /** EventStoreDB connection string. */
  eventStoreConnectionString?: string;
  /** PostgreSQL connection string (postgres://…). With neither, the embedded SQLite store is used. */
  databaseUrl?: string;
  /** The SQLite file of the embedded store (`:memory:` allowed). */
  sqlitePath: string;
}>;

export function createEventStore(options: EventStoreOptions): EventStore {
  if (options.eventStoreConnectionString) return new EventStoreDbStore(options.eventStoreConnectionString);
  if (options.databaseUrl) return new PostgresEventStore(options.databaseUrl);
  return new SqliteEventStore(options.sqlitePath);
}
