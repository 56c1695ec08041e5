// Stops what the global setup started (nothing when KAFKA_BROKERS / REDIS_URL / DATABASE_URL were given from outside).
import { infraDown } from './infra-run';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.KEYWARDEN_TEST_INFRA;
  if (!name) return;
  infraDown(name);
  // In watch mode the next run's setup must not mistake these stopped addresses for external ones.
  for (const variable of (process.env.KEYWARDEN_TEST_INFRA_SET ?? '').split(',').filter(Boolean)) delete process.env[variable];
  delete process.env.KEYWARDEN_TEST_INFRA;
  delete process.env.KEYWARDEN_TEST_INFRA_SET;
}
