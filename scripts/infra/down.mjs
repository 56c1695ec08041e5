// npm run infra:down [-- --name <name>]: stops the Kafka broker, redis-server and PostgreSQL server that infra:up started.
import { down } from './infra.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--name');
try {
  await down({ name: i >= 0 ? args[i + 1] : 'dev', log: (line) => process.stderr.write(`[infra] ${line}\n`) });
} catch (e) {
  process.stderr.write(`[infra] ${e.stack}\n`);
  process.exit(1);
}
