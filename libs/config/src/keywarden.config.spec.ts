import { assertSharedSecrets, ConfigError, loadConfig } from './keywarden.config';

describe('a service on Kafka refuses to start without the secrets every process must share', () => {
  const secrets = {
    KEYWARDEN_PEPPER: 'cGVwcGVy',
    KEYWARDEN_KEK: 'a2Vr',
    KEYWARDEN_SIGNING_KEYS: '{"keys":[]}',
    AUTH_JWKS_URL: 'https://id.example.test/jwks',
    AUTH_ISSUER: 'https://id.example.test',
  };
  const check = (env: Record<string, string>) => () => assertSharedSecrets(loadConfig(env), env);

  it('names the first missing variable, says why, lists the others and how to run a development stack', () => {
    expect(check({ KAFKA_BROKERS: 'kafka:9092' })).toThrow(ConfigError);
    expect(check({ KAFKA_BROKERS: 'kafka:9092' })).toThrow(
      /^configuration variable KEYWARDEN_PEPPER is required when KAFKA_BROKERS is set: .*pepper.*\(missing: KEYWARDEN_PEPPER, KEYWARDEN_KEK, KEYWARDEN_SIGNING_KEYS, AUTH_JWKS_URL\).*KEYWARDEN_DEV_SHARED_DATA_DIR=true/,
    );
    const { AUTH_JWKS_URL: _jwks, AUTH_ISSUER: _issuer, ...withoutIdentityProvider } = secrets;
    expect(check({ KAFKA_BROKERS: 'kafka:9092', ...withoutIdentityProvider })).toThrow(/^configuration variable AUTH_JWKS_URL is required when KAFKA_BROKERS is set/);
    expect(check({ KAFKA_BROKERS: 'kafka:9092', ...secrets, KEYWARDEN_KEK: ' ' })).toThrow(/^configuration variable KEYWARDEN_KEK /);
  });

  it('starts with every secret set', () => {
    expect(check({ KAFKA_BROKERS: 'kafka:9092', ...secrets })).not.toThrow();
  });

  it('starts without them when the processes share one data folder (development), or on the embedded adapters', () => {
    expect(check({ KAFKA_BROKERS: 'kafka:9092', KEYWARDEN_DEV_SHARED_DATA_DIR: 'true' })).not.toThrow();
    expect(check({})).not.toThrow();
    expect(check({ KAFKA_BROKERS: 'kafka:9092', KEYWARDEN_DEV_SHARED_DATA_DIR: 'false' })).toThrow(/KEYWARDEN_PEPPER/);
    expect(() => loadConfig({ KEYWARDEN_DEV_SHARED_DATA_DIR: 'yes' })).toThrow(/^configuration variable KEYWARDEN_DEV_SHARED_DATA_DIR must be true or false/);
  });
});

describe('DATABASE_URL', () => {
  it('selects PostgreSQL with a postgres:// or postgresql:// URL, and is unset by default', () => {
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(loadConfig({ DATABASE_URL: 'postgres://kw@db:5432/keywarden' }).databaseUrl).toBe('postgres://kw@db:5432/keywarden');
    expect(loadConfig({ DATABASE_URL: 'postgresql://kw@db/keywarden?sslmode=require' }).databaseUrl).toBe('postgresql://kw@db/keywarden?sslmode=require');
  });

  it('refuses another scheme, naming the variable and not the value', () => {
    const attempt = () => loadConfig({ DATABASE_URL: 'mysql://kw:s3cret@db/keywarden' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^configuration variable DATABASE_URL must use one of postgres:, postgresql:$/);
  });
});

describe('KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS', () => {
  it("leave the brokers' defaults when unset, and take a three-broker cluster's settings", () => {
    expect(loadConfig({}).kafkaTopics).toEqual({ replicationFactor: null, minInsyncReplicas: null });
    expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafkaTopics).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('refuse a minimum above the replicas, or a value that is not a small positive integer', () => {
    expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(/^configuration variable KAFKA_MIN_INSYNC_REPLICAS must not exceed/);
    expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '0' })).toThrow(/KAFKA_REPLICATION_FACTOR must be an integer from 1 to 32/);
    expect(() => loadConfig({ KAFKA_MIN_INSYNC_REPLICAS: 'two' })).toThrow(/KAFKA_MIN_INSYNC_REPLICAS must be an integer/);
  });
});
