import { EventStoreDbStore } from './esdb-event-store.adapter';
import { runCommandHandlerContract } from './testing/command-handler.contract';
import { runEventStoreContract } from './testing/event-store.contract';

// jest.config.js leaves this file out of the run when no EventStoreDB is configured.
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING ?? '';

runEventStoreContract('EventStoreDB', async () => {
  const store = new EventStoreDbStore(connectionString);
  return { store, cleanup: () => store.close() };
});

runCommandHandlerContract('EventStoreDB', () => {
  const store = new EventStoreDbStore(connectionString);
  return { store, second: () => store, cleanup: () => store.close() };
});
