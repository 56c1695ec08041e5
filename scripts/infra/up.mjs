// npm run infra:up [-- --name <name>] [--no-kafka] [--no-redis] [--no-postgres] [--owner-pid <pid>]
// Starts a local Kafka broker (KRaft), a redis-server and a PostgreSQL server, detached, and returns once all answer.
// Progress goes to stderr; stdout ENDS with `KAFKA_BROKERS=<host:port>`, `REDIS_URL=<url>` and
// `DATABASE_URL=<url>`, ready to export:
//   eval "$(npm run -s infra:up)"   (then `npm run infra:down` stops them)
import { up } from './infra.mjs';
import { InfraError } from './process-utils.mjs';

const args = process.argv.slice(2);
const option = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

try {
  const started = await up({
    name: option('--name') ?? 'dev',
    kafka: !args.includes('--no-kafka'),
    redis: !args.includes('--no-redis'),
    postgres: !args.includes('--no-postgres'),
    ownerPid: option('--owner-pid') ? Number(option('--owner-pid')) : undefined,
    log: (line) => process.stderr.write(`[infra] ${line}\n`),
  });
  const lines = [];
  if (started.kafka) lines.push(`KAFKA_BROKERS=${started.kafka.brokers}`);
  if (started.redis) lines.push(`REDIS_URL=${started.redis.url}`);
  if (started.postgres) lines.push(`DATABASE_URL=${started.postgres.url}`);
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (e) {
  process.stderr.write(`[infra] ${e instanceof InfraError ? e.message : e.stack}\n`);
  process.exit(1);
}
