import { ConfigError, loadConfig } from './keywarden.config';

describe('KEYWARDEN_DEV_CLOCK_SPEED: the fast development clock, on the embedded default only', () => {
  it('is off unless set', () => {
    expect(loadConfig({}).devClockSpeed).toBeNull();
  });

  it('is taken on the embedded development default', () => {
    expect(loadConfig({ KEYWARDEN_DEV_CLOCK_SPEED: '1440' }).devClockSpeed).toBe(1440);
    expect(loadConfig({ KEYWARDEN_DEV_CLOCK_SPEED: '1.5', SMTP_URL: 'smtp://127.0.0.1:1025', NODE_ENV: 'development' }).devClockSpeed).toBe(1.5);
  });

  it.each(['0', '-5', 'fast', '1e3', '100001'])('refuses %p, naming the variable and what it takes', (value) => {
    expect(() => loadConfig({ KEYWARDEN_DEV_CLOCK_SPEED: value })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYWARDEN_DEV_CLOCK_SPEED: value })).toThrow(/^configuration variable KEYWARDEN_DEV_CLOCK_SPEED must be a number from 1 to 100000/);
  });

  it.each([
    [{ NODE_ENV: 'production' }, 'NODE_ENV=production'],
    [{ KAFKA_BROKERS: '127.0.0.1:9092', KEYWARDEN_DEV_SHARED_DATA_DIR: 'true' }, 'KAFKA_BROKERS'],
    [{ REDIS_URL: 'redis://127.0.0.1:6379/0' }, 'REDIS_URL'],
    [{ EVENTSTORE_CONNECTION_STRING: 'esdb://127.0.0.1:2113?tls=false' }, 'EVENTSTORE_CONNECTION_STRING'],
    [{ AUTH_JWKS_URL: 'https://id.example.test/jwks', AUTH_ISSUER: 'https://id.example.test' }, 'AUTH_JWKS_URL'],
    [{ KEYWARDEN_PEPPER: 'cGVwcGVy' }, 'KEYWARDEN_PEPPER'],
  ])('refuses to start in any other configuration (%p), naming what makes it one', (env, named) => {
    const load = () => loadConfig({ KEYWARDEN_DEV_CLOCK_SPEED: '1440', ...env });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^configuration variable KEYWARDEN_DEV_CLOCK_SPEED is for the embedded development default only .* this configuration sets ${named}: unset KEYWARDEN_DEV_CLOCK_SPEED$`));
  });
});
