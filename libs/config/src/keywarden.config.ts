import { isAbsolute, resolve } from 'node:path';
import { EdgeConfig, loadEdgeConfig } from './edge.config';
import { ConsoleConfig, loadConsoleConfig } from './console.config';

/**
 * Typed configuration, read and validated once at start (STYLE.md §9). Nothing else in the code
 * base reads process.env. A bad value stops the service with a message that names the variable
 * and never echoes a secret value.
 */
export type KeywardenConfig = Readonly<{
  dataDir: string;
  ports: Readonly<{ registry: number; settings: number; edge: number }>;
  /** The health/metrics listener of the services with no HTTP API; null = none (the all-in-one's default). */
  healthPorts: Readonly<{ projection: number | null; notifier: number | null }>;
  /** Unset = the in-process bus of the embedded mode. */
  kafkaBrokers: readonly string[] | null;
  /** Replicas and min.insync.replicas of the topics the services create; null = the brokers' defaults. */
  kafkaTopics: Readonly<{ replicationFactor: number | null; minInsyncReplicas: number | null }>;
  /** Unset = the in-memory cache of the embedded mode. */
  redisUrl: string | null;
  /** EventStoreDB (esdb://…); unset = databaseUrl's PostgreSQL, else the SQLite store under dataDir. */
  eventStoreConnectionString: string | null;
  /**
   * PostgreSQL (postgres://…): the event store (unless EventStoreDB is configured) and the data
   * keys, shared by every registry process. Unset = SQLite files under dataDir.
   */
  databaseUrl: string | null;
  /** Unset = mail written as .eml files under dataDir/mail. */
  smtpUrl: string | null;
  mailFrom: string;
  notifier: Readonly<{
    /** Kafka consumer group of the notifier; also the namespace of its de-duplication records. */
    groupId: string;
    /** Sends of one message that may fail (SMTP 4xx, connection errors) before it is dead-lettered... */
    maxSendAttempts: number;
    /** ...and for at least this long (ms) since its first failure, so an SMTP outage of that length loses no mail. */
    retryForMs: number;
  }>;
  /** How often the key-cache projection checks its completeness marker, rebuilding the cache when it is gone (ms). */
  projectionCacheCheckMs: number;
  /** The longest a request waits on Kafka before it gets 503 with Retry-After (ms). */
  requestDependencyTimeoutMs: number;
  /** How often the lifecycle scheduler checks for due rotations, notices and expiries; 0 = never (tests tick it). */
  schedulerTickMs: number;
  edgeUpstreamUrl: string | null;
  /** Where the public keys that sign GitHub's secret-scanning reports are fetched (docs/secret-scanning.md). */
  secretScanningKeysUrl: string;
  /** The edge gateway's timeouts, caches and switches (edge.config.ts). */
  edge: EdgeConfig;
  /** The admin console at /console (console.config.ts). */
  console: ConsoleConfig;
  /** Where the edge fetches the JWKS of the Secret-signing keys; defaults to the registry's. */
  registryUrl: string;
  auth: Readonly<
    | { mode: 'development'; issuer: string; audience: string }
    | { mode: 'oidc'; jwksUrl: string; issuer: string; audience: string }
  >;
  /** Production key material; unset = generated once under dataDir/keys (embedded mode). */
  secrets: Readonly<{ pepperBase64: string | null; kekBase64: string | null; signingKeysJson: string | null }>;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Prefix of Kafka topics, consumer groups and Redis keys: deployments sharing a cluster. */
  namespace: string | null;
  /**
   * KEYWARDEN_DEV_SHARED_DATA_DIR: development only. Every process of this deployment runs with the
   * same KEYWARDEN_DATA_DIR (one machine), so the key material and the development token issuer
   * generated there are shared: separate processes may then run without the production secrets.
   */
  developmentSharedDataDir: boolean;
  /**
   * KEYWARDEN_DEV_CLOCK_SPEED: development only. The embedded default's clock runs this many times
   * faster (rotation, notices and expiry within minutes); null = real time. Refused at start in any
   * other configuration.
   */
  devClockSpeed: number | null;
}>;

export class ConfigError extends Error {
  readonly code = 'BAD_CONFIGURATION';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`configuration variable ${variable} ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const text = (env: Env, name: string): string | null => {
  const value = env[name]?.trim();
  return value ? value : null;
};

function port(env: Env, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(name, `must be a TCP port (0-65535), got "${value}"`);
  return n;
}

function optionalPort(env: Env, name: string): number | null {
  return text(env, name) === null ? null : port(env, name, 0);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const value = text(env, name);
  if (value === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(', ')})`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use one of ${protocols.join(', ')}`);
  return value;
}

function brokers(env: Env): string[] | null {
  const value = text(env, 'KAFKA_BROKERS');
  if (value === null) return null;
  const list = value.split(',').map((b) => b.trim()).filter(Boolean);
  for (const broker of list) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `must be comma-separated host:port pairs, got "${broker}"`);
  }
  return list;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): KeywardenConfig {
  const dataDirRaw = text(env, 'KEYWARDEN_DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);
  const ports = { registry: port(env, 'REGISTRY_PORT', 3000), settings: port(env, 'SETTINGS_PORT', 3001), edge: port(env, 'EDGE_PORT', 8080) };

  const jwksUrl = url(env, 'AUTH_JWKS_URL', ['https:', 'http:']);
  const issuer = text(env, 'AUTH_ISSUER');
  const audience = text(env, 'AUTH_AUDIENCE') ?? 'keywarden';
  const auth: KeywardenConfig['auth'] = jwksUrl
    ? { mode: 'oidc', jwksUrl, issuer: issuer ?? requireWith('AUTH_ISSUER', 'is required when AUTH_JWKS_URL is set'), audience }
    : { mode: 'development', issuer: 'keywarden-dev', audience: 'keywarden' };

  const eventStoreConnectionString = text(env, 'EVENTSTORE_CONNECTION_STRING');
  if (eventStoreConnectionString !== null && !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb):\/\//.test(eventStoreConnectionString)) {
    throw new ConfigError('EVENTSTORE_CONNECTION_STRING', 'must be an esdb:// connection string');
  }
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info') as KeywardenConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const namespace = text(env, 'KEYWARDEN_NAMESPACE');
  if (namespace !== null && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(namespace)) {
    throw new ConfigError('KEYWARDEN_NAMESPACE', 'must be 1-32 lowercase letters, digits or "-"');
  }

  const devClockSpeed = clockSpeed(env, { kafka: text(env, 'KAFKA_BROKERS'), redis: text(env, 'REDIS_URL'), eventStoreConnectionString, jwksUrl });

  return {
    dataDir,
    ports,
    healthPorts: { projection: optionalPort(env, 'PROJECTION_HEALTH_PORT'), notifier: optionalPort(env, 'NOTIFIER_HEALTH_PORT') },
    kafkaBrokers: brokers(env),
    kafkaTopics: kafkaTopics(env),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    eventStoreConnectionString,
    databaseUrl,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: text(env, 'MAIL_FROM') ?? 'Keywarden <keywarden@localhost>',
    notifier: {
      groupId: groupId(env, 'NOTIFIER_GROUP_ID', 'keywarden-notifier'),
      maxSendAttempts: integer(env, 'NOTIFIER_MAX_SEND_ATTEMPTS', 10, 1, 1000),
      retryForMs: integer(env, 'NOTIFIER_RETRY_FOR_MS', 6 * 60 * 60 * 1000, 0, 7 * 24 * 60 * 60 * 1000),
    },
    projectionCacheCheckMs: integer(env, 'PROJECTION_CACHE_CHECK_MS', 500, 50, 60 * 60 * 1000),
    requestDependencyTimeoutMs: integer(env, 'REQUEST_DEPENDENCY_TIMEOUT_MS', 5000, 100, 120_000),
    schedulerTickMs: integer(env, 'SCHEDULER_TICK_MS', 60_000, 0, 24 * 60 * 60 * 1000),
    edgeUpstreamUrl: url(env, 'EDGE_UPSTREAM_URL', ['http:', 'https:']),
    secretScanningKeysUrl: url(env, 'SECRET_SCANNING_KEYS_URL', ['https:', 'http:']) ?? GITHUB_SECRET_SCANNING_KEYS_URL,
    edge: loadEdgeConfig(env, (variable, problem) => new ConfigError(variable, problem)),
    console: loadConsoleConfig(env, (variable, problem) => new ConfigError(variable, problem)),
    registryUrl: url(env, 'REGISTRY_URL', ['http:', 'https:']) ?? `http://127.0.0.1:${ports.registry}`,
    auth,
    secrets: {
      pepperBase64: text(env, 'KEYWARDEN_PEPPER'),
      kekBase64: text(env, 'KEYWARDEN_KEK'),
      signingKeysJson: text(env, 'KEYWARDEN_SIGNING_KEYS'),
    },
    logLevel,
    namespace,
    developmentSharedDataDir: boolean(env, 'KEYWARDEN_DEV_SHARED_DATA_DIR', false),
    devClockSpeed,
  };
}

/** GitHub's endpoint listing the ECDSA keys its secret-scanning partner reports are signed with. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

const MAX_DEV_CLOCK_SPEED = 100_000;

/**
 * A fast clock is for watching the embedded default on one's own machine: anywhere else it would
 * expire real customers' keys early, so any sign of another deployment refuses it, naming that sign.
 */
function clockSpeed(env: Env, connected: Readonly<{ kafka: string | null; redis: string | null; eventStoreConnectionString: string | null; jwksUrl: string | null }>): number | null {
  const name = 'KEYWARDEN_DEV_CLOCK_SPEED';
  const value = text(env, name);
  if (value === null) return null;
  const speed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(speed >= 1) || speed > MAX_DEV_CLOCK_SPEED) {
    throw new ConfigError(name, `must be a number from 1 to ${MAX_DEV_CLOCK_SPEED} (how many times faster the development clock runs, e.g. 1440: a day a minute), got "${value}"`);
  }
  const elsewhere: Array<[string, boolean]> = [
    ['NODE_ENV=production', text(env, 'NODE_ENV') === 'production'],
    ['KAFKA_BROKERS', connected.kafka !== null],
    ['REDIS_URL', connected.redis !== null],
    ['EVENTSTORE_CONNECTION_STRING', connected.eventStoreConnectionString !== null],
    ['DATABASE_URL', text(env, 'DATABASE_URL') !== null],
    ['AUTH_JWKS_URL', connected.jwksUrl !== null],
    ['KEYWARDEN_PEPPER', text(env, 'KEYWARDEN_PEPPER') !== null],
    ['KEYWARDEN_KEK', text(env, 'KEYWARDEN_KEK') !== null],
    ['KEYWARDEN_SIGNING_KEYS', text(env, 'KEYWARDEN_SIGNING_KEYS') !== null],
  ];
  const found = elsewhere.filter(([, present]) => present).map(([what]) => what);
  if (found.length > 0) {
    throw new ConfigError(
      name,
      `is for the embedded development default only (npm start with no Kafka, Redis, EventStoreDB, PostgreSQL, identity provider or production key material), and this configuration sets ${found.join(', ')}: unset ${name}`,
    );
  }
  return speed;
}

function kafkaTopics(env: Env): KeywardenConfig['kafkaTopics'] {
  const optional = (name: string) => (text(env, name) === null ? null : integer(env, name, 1, 1, 32));
  const replicationFactor = optional('KAFKA_REPLICATION_FACTOR');
  const minInsyncReplicas = optional('KAFKA_MIN_INSYNC_REPLICAS');
  if (replicationFactor !== null && minInsyncReplicas !== null && minInsyncReplicas > replicationFactor) {
    // Every acks=all write would fail with NOT_ENOUGH_REPLICAS.
    throw new ConfigError('KAFKA_MIN_INSYNC_REPLICAS', `must not exceed KAFKA_REPLICATION_FACTOR (${replicationFactor}), got ${minInsyncReplicas}`);
  }
  return { replicationFactor, minInsyncReplicas };
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name);
  if (value === null) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

/** What every process of a multi-process deployment must share, and why each is needed. */
const SHARED_SECRETS = [
  ['KEYWARDEN_PEPPER', 'pepper (the edge looks keys up by their fingerprint under it)'],
  ['KEYWARDEN_KEK', 'key-encryption key (the notifier opens what the registry sealed)'],
  ['KEYWARDEN_SIGNING_KEYS', 'Secret-signing key ring'],
  ['AUTH_JWKS_URL', 'identity provider (the development issuer signs with a key of its own data folder)'],
] as const;

/**
 * A service started as its own process on Kafka (KAFKA_BROKERS set) is one of several processes:
 * without the production secrets each would generate its own pepper, KEK, signing keys and token
 * issuer under its KEYWARDEN_DATA_DIR, and the edge's fingerprints, the notifier's sealed codes
 * and the admin tokens would silently never match. Refused, naming the variable, unless the
 * processes share one data folder (KEYWARDEN_DEV_SHARED_DATA_DIR=true, development only).
 */
export function assertSharedSecrets(config: KeywardenConfig, env: Env = process.env): void {
  if (config.kafkaBrokers === null || config.developmentSharedDataDir) return;
  const missing = SHARED_SECRETS.filter(([variable]) => text(env, variable) === null);
  if (missing.length === 0) return;
  const [variable, what] = missing[0];
  throw new ConfigError(
    variable,
    `is required when KAFKA_BROKERS is set: the services run as separate processes and must share one ${what}; ` +
      `without it each process would generate its own under KEYWARDEN_DATA_DIR and nothing would match ` +
      `(missing: ${missing.map(([name]) => name).join(', ')}). For development processes that share one ` +
      'KEYWARDEN_DATA_DIR on one machine, set KEYWARDEN_DEV_SHARED_DATA_DIR=true',
  );
}

function groupId(env: Env, name: string, fallback: string): string {
  const value = text(env, name) ?? fallback;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(value)) throw new ConfigError(name, 'must be 1-200 letters, digits, ".", "_" or "-"');
  return value;
}

function requireWith(variable: string, problem: string): never {
  throw new ConfigError(variable, problem);
}

/** Token under which apps inject the loaded configuration. */
export const KEYWARDEN_CONFIG = Symbol('KEYWARDEN_CONFIG');
