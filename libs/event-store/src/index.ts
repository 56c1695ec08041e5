import { EventStoreDbStore } from './esdb-event-store.adapter';
import { EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite-event-store.adapter';

export * from './event-store.port';
export * from './command-handler';
export * from './esdb-event-store.adapter';
export * from './sqlite-event-store.adapter';

export type EventStoreOptions = Readonly<{
  /** EventStoreDB connection string; when absent the embedded SQLite store is used. */
  eventStoreConnectionString?: string;
  /** The SQLite file of the embedded store (`:memory:` allowed). */
  sqlitePath: string;
}>;

export function createEventStore(options: EventStoreOptions): EventStore {
  return options.eventStoreConnectionString
    ? new EventStoreDbStore(options.eventStoreConnectionString)
    : new SqliteEventStore(options.sqlitePath);
}
