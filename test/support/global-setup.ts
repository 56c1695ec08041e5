// Jest global setup (jest.config.js): the int and e2e tiers run against a real Kafka broker, a real
// Redis and a real PostgreSQL, started here once per run unless KAFKA_BROKERS / REDIS_URL /
// DATABASE_URL already point at running ones. Workers inherit process.env, so tests read the
// addresses from KAFKA_BROKERS, REDIS_URL and DATABASE_URL (a test creates its own database there).
import { infraUp, jestInfraName } from './infra-run';
import { ensureBuilt } from './service-process';

type GlobalConfigLike = { selectProjects?: string[]; ignoreProjects?: string[] };
type ProjectConfigLike = { displayName?: string | { name: string } };

const ALL_PROJECTS = ['unit', 'int', 'e2e'];
const NEEDS_INFRA = ['int', 'e2e'];

/** Values of a Jest array option on the command line: `--flag a b`, `--flag=a`. */
export function cliOption(argv: string[], flag: string): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith(`${flag}=`)) values = [...(values ?? []), argv[i].slice(flag.length + 1)];
    else if (argv[i] === flag) {
      values ??= [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) values.push(argv[++i]);
    }
  }
  return values;
}

/**
 * The projects of this run. Jest 29 does not put --selectProjects into the global config it hands to the
 * setup, so the command line is read too. (A `globalSetup` on the int and e2e projects themselves would
 * be called only when they have tests to run: see the note in the messaging report.)
 */
export function projectsToRun(globalConfig: GlobalConfigLike, argv: string[] = process.argv): string[] {
  const selected = globalConfig.selectProjects ?? cliOption(argv, '--selectProjects') ?? ALL_PROJECTS;
  const ignored = globalConfig.ignoreProjects ?? cliOption(argv, '--ignoreProjects') ?? [];
  return selected.filter((p) => ALL_PROJECTS.includes(p) && !ignored.includes(p));
}

const nameOf = (project?: ProjectConfigLike): string | undefined =>
  typeof project?.displayName === 'string' ? project.displayName : project?.displayName?.name;

export default async function globalSetup(globalConfig: GlobalConfigLike, projectConfig?: ProjectConfigLike): Promise<void> {
  const needed =
    NEEDS_INFRA.includes(nameOf(projectConfig) ?? '') || projectsToRun(globalConfig).some((p) => NEEDS_INFRA.includes(p));
  if (!needed) return;
  // The e2e tier runs the compiled services as processes: build once here, before any worker
  // starts, so parallel suites never build dist/ at the same time.
  if (nameOf(projectConfig) === 'e2e' || projectsToRun(globalConfig).includes('e2e')) ensureBuilt();
  const kafka = !process.env.KAFKA_BROKERS;
  const redis = !process.env.REDIS_URL;
  const postgres = !process.env.DATABASE_URL;
  if (!kafka && !redis && !postgres) return;

  const started = Date.now();
  const addresses = infraUp({ name: jestInfraName(), kafka, redis, postgres, ownerPid: process.pid });
  if (kafka) {
    if (!addresses.KAFKA_BROKERS) throw new Error('infra:up printed no KAFKA_BROKERS line');
    process.env.KAFKA_BROKERS = addresses.KAFKA_BROKERS;
  }
  if (redis) {
    if (!addresses.REDIS_URL) throw new Error('infra:up printed no REDIS_URL line');
    process.env.REDIS_URL = addresses.REDIS_URL;
  }
  if (postgres) {
    if (!addresses.DATABASE_URL) throw new Error('infra:up printed no DATABASE_URL line');
    process.env.DATABASE_URL = addresses.DATABASE_URL;
  }
  // Read back by the teardown (same process): it stops only what this setup started.
  process.env.KEYWARDEN_TEST_INFRA = jestInfraName();
  process.env.KEYWARDEN_TEST_INFRA_SET = [kafka && 'KAFKA_BROKERS', redis && 'REDIS_URL', postgres && 'DATABASE_URL'].filter(Boolean).join(',');
  process.stderr.write(`[infra] test infrastructure ready in ${Date.now() - started} ms\n`);
}
