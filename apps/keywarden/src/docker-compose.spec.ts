import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { parse } from 'yaml';
import { assertSharedSecrets, loadConfig } from '@keywarden/config';

const ROOT = join(__dirname, '..', '..', '..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      build?: unknown;
      command?: string[];
      environment?: Record<string, string>;
      healthcheck?: { test: string[] };
      depends_on?: Record<string, { condition: string }>;
      volumes?: string[];
      extra_hosts?: string[];
      deploy?: { replicas?: number };
      ports?: string[];
    }
  >;
};
const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'compose', 'compose-spec.schema.json'), 'utf8')) as object;

/** Every app except the all-in-one composition root runs as its own container. */
const apps = readdirSync(join(ROOT, 'apps')).filter((app) => app !== 'keywarden');
const infrastructure = ['postgres', 'kafka', 'redis', 'mailpit'];

/** What each service reads to run on the production adapters (libs/config, .env.example). */
const needs: Record<string, string[]> = {
  common: ['KAFKA_BROKERS', 'DATABASE_URL', 'KEYWARDEN_DATA_DIR', 'KEYWARDEN_PEPPER', 'KEYWARDEN_KEK', 'KEYWARDEN_SIGNING_KEYS', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'],
  'key-registry': ['REDIS_URL'],
  settings: [],
  'key-cache-projection': ['REDIS_URL', 'PROJECTION_HEALTH_PORT'],
  notifier: ['REDIS_URL', 'SMTP_URL', 'NOTIFIER_HEALTH_PORT'],
  'edge-validator': ['REDIS_URL', 'EDGE_UPSTREAM_URL', 'REGISTRY_URL'],
};

const documented = new Set(
  readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined),
);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    // The schema names draft-07 by its https address; Ajv ships that meta-schema under the http one.
    ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema bites: a misspelt key or a wrong condition is refused.
    expect(validate({ services: { a: { image: 'x', helthcheck: {} } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } })).toBe(false);
  });

  it('runs every app in apps/ (except the all-in-one keywarden) from the one Dockerfile, and the infrastructure', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...apps, ...infrastructure].sort());
    expect(Object.keys(needs).filter((s) => s !== 'common').sort()).toEqual([...apps].sort());
    for (const app of apps) {
      expect(compose.services[app].build).toBe('.');
      expect(compose.services[app].command).toContain(`dist/apps/${app}/src/main.js`);
    }
  });

  it('gives every service a health check, the apps on their /health/ready', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, test: service.healthcheck?.test?.length ?? 0 }).toEqual({ name, test: expect.any(Number) });
      expect(service.healthcheck?.test?.length).toBeGreaterThan(0);
    }
    for (const app of apps) expect(compose.services[app].healthcheck!.test.join(' ')).toMatch(/\/health\/ready/);
  });

  it('starts an app only once the infrastructure it uses is healthy', () => {
    for (const app of apps) {
      const dependsOn = compose.services[app].depends_on ?? {};
      expect(Object.keys(dependsOn).length).toBeGreaterThan(0);
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        expect({ app, dependency, condition }).toEqual({ app, dependency, condition: 'service_healthy' });
      }
    }
  });

  it.each(apps)('sets every variable %s needs, each one documented in .env.example', (app) => {
    const environment = compose.services[app].environment ?? {};
    for (const variable of [...needs.common, ...(needs[app] ?? [])]) expect({ variable, set: variable in environment }).toEqual({ variable, set: true });
    for (const variable of Object.keys(environment)) expect({ variable, documented: documented.has(variable) }).toEqual({ variable, documented: true });
    const port = /127\.0\.0\.1:(\d+)/.exec(compose.services[app].healthcheck!.test.join(' '))?.[1];
    const listens = { 'key-registry': '3000', settings: '3001', 'edge-validator': '8080', 'key-cache-projection': environment.PROJECTION_HEALTH_PORT, notifier: environment.NOTIFIER_HEALTH_PORT }[app];
    expect(port).toBe(listens);
  });

  /** What `docker compose` makes of a value: ${VAR}, ${VAR:-default} and ${VAR:?error} (refusing to start). */
  const interpolate = (value: string, env: Record<string, string>): string =>
    value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_match, name: string, kind?: string, arg = '') => {
      const set = env[name] ? env[name] : undefined;
      if (set !== undefined) return set;
      if (kind === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return kind === '-' ? arg : '';
    });
  const environmentOf = (app: string, env: Record<string, string>) =>
    Object.fromEntries(Object.entries(compose.services[app].environment ?? {}).map(([name, value]) => [name, interpolate(String(value), env)]));
  const shared = ['KEYWARDEN_PEPPER', 'KEYWARDEN_KEK', 'KEYWARDEN_SIGNING_KEYS', 'AUTH_JWKS_URL', 'AUTH_ISSUER'];

  it.each(apps)('refuses to start %s without the secrets every service must share, naming the variable; starts with them', (app) => {
    for (const variable of shared) {
      expect({ variable, value: compose.services[app].environment?.[variable] }).toEqual({ variable, value: expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?.*${variable}.*\\}$`)) });
    }
    expect(() => environmentOf(app, {})).toThrow(/required variable KEYWARDEN_PEPPER is missing a value: set KEYWARDEN_PEPPER/);
    const envFile = {
      KEYWARDEN_PEPPER: 'cGVwcGVy',
      KEYWARDEN_KEK: 'a2Vr',
      KEYWARDEN_SIGNING_KEYS: '{"keys":[]}',
      AUTH_JWKS_URL: 'https://id.example.test/jwks',
      AUTH_ISSUER: 'https://id.example.test',
    };
    const environment = environmentOf(app, envFile);
    expect(() => assertSharedSecrets(loadConfig(environment), environment)).not.toThrow();
    // The service refuses as well, should the variables reach it empty some other way.
    const empty = { ...environment, KEYWARDEN_PEPPER: '' };
    expect(() => assertSharedSecrets(loadConfig(empty), empty)).toThrow(/^configuration variable KEYWARDEN_PEPPER is required when KAFKA_BROKERS is set/);
  });

  it('runs three registries on PostgreSQL, one host port each, every service on the same database', () => {
    const registry = compose.services['key-registry'];
    expect(registry.deploy?.replicas).toBe(3);
    expect(registry.ports).toEqual(['3000-3002:3000']);
    for (const app of apps) expect(compose.services[app].environment?.DATABASE_URL).toMatch(/^postgres:\/\/keywarden:.*@postgres:5432\/keywarden$/);
    expect(compose.services.postgres.environment?.POSTGRES_DB).toBe('keywarden');
  });

  it('keeps the Kafka log on its volume (the apache/kafka image writes to /tmp/kraft-combined-logs unless KAFKA_LOG_DIRS says otherwise)', () => {
    const kafka = compose.services.kafka;
    const mounted = (kafka.volumes ?? []).map((volume) => volume.split(':')[1]);
    expect(kafka.environment?.KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
    expect(mounted).toContain(kafka.environment?.KAFKA_LOG_DIRS);
  });

  it('maps host.docker.internal to the host on Linux wherever a service uses it', () => {
    const users = Object.entries(compose.services).filter(([, service]) => JSON.stringify(service.environment ?? {}).includes('host.docker.internal'));
    expect(users.map(([name]) => name)).toContain('edge-validator');
    for (const [name, service] of users) expect({ name, extraHosts: service.extra_hosts }).toEqual({ name, extraHosts: expect.arrayContaining(['host.docker.internal:host-gateway']) });
  });

  it('builds from a Dockerfile whose build stage can compile better-sqlite3 and builds dist/', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    // A parser directive counts only before any comment or instruction: `# syntax=` must be the very first line.
    const syntaxLine = dockerfile.split('\n').findIndex((line) => /^#\s*syntax\s*=/i.test(line));
    expect(syntaxLine).toBe(0);
    expect(dockerfile).toMatch(/FROM node:20[^\n]* AS build/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/COPY --from=build[^\n]*\/app\/dist/);
  });
});
