import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { DestinationStream, Logger } from 'pino';
import { Clock, developmentClock } from '@keywarden/clock';
import { KeywardenConfig } from '@keywarden/config';
import { createEventStore, EventStore } from '@keywarden/event-store';
import { ActiveKeyCache, InMemoryActiveKeyCache, RedisActiveKeyCache } from '@keywarden/key-cache';
import { InProcessMessageBus, KafkaMessageBus, KafkaReadinessProbe, MessageBus, MessagingLogger, NamespacedMessageBus } from '@keywarden/messaging';
import { createLogger, observeGauge } from '@keywarden/observability';
import { AdminTokenVerifier, DevelopmentIssuer } from '@keywarden/auth';
import {
  KeyFingerprinter,
  KeyMaterialVault,
  keyMaterialFromConfig,
  loadOrCreateLocalKeyMaterial,
  OtpHasher,
  SealedBox,
  PostgresDataKeyStore,
  SigningKeyRing,
  SqliteDataKeyStore,
} from '@keywarden/crypto';
import { OrgSettingsTopicReader } from './org-settings-topic.reader';
import { ReadinessCheck } from './ops/readiness';
import { LeaderElection, PostgresLeaderElection, SingleProcessLeaderElection } from './leadership';

export type InfrastructureOptions = Readonly<{
  /** Tests move time through a ManualClock. @default the system clock, or the data folder's fast development clock (KEYWARDEN_DEV_CLOCK_SPEED) */
  clock?: Clock;
  /** Where JSON log lines go. @default stdout */
  logDestination?: DestinationStream;
}>;

export type KeyMaterial = Readonly<{
  fingerprinter: KeyFingerprinter;
  vault: KeyMaterialVault;
  signingKeys: SigningKeyRing;
  /** Seals reveal codes for the notifier (a key derived from the KEK: every service with the KEK can open). */
  notificationBox: SealedBox;
  /** Hashes reveal codes for storage (a key derived from the KEK). */
  otpHasher: OtpHasher;
}>;

/**
 * What one process needs from the outside world, created lazily and once. The embedded
 * all-in-one passes one Infrastructure to every app module, so they share the in-process bus and
 * the in-memory cache; a standalone service creates its own and only what it uses.
 * The adapters follow the configuration: Kafka/Redis/EventStoreDB/PostgreSQL when configured, else
 * the embedded ones (in-process bus, in-memory cache, SQLite under the data folder).
 */
export class Infrastructure {
  private store?: EventStore;
  private bus?: MessageBus;
  private cache?: Promise<ActiveKeyCache>;
  private redisClients: Redis[] = [];
  private material?: KeyMaterial;
  private dataKeyStore?: SqliteDataKeyStore | PostgresDataKeyStore;
  private tokenVerifier?: AdminTokenVerifier;
  private settingsReader?: Promise<OrgSettingsTopicReader>;
  private kafkaProbe?: KafkaReadinessProbe;
  private unobserveLag?: () => void;
  private election?: LeaderElection;
  private readonly loggers = new Map<string, Logger>();

  readonly clock: Clock;
  private readonly logDestination?: DestinationStream;

  constructor(
    readonly config: KeywardenConfig,
    /** Names the process: Kafka client id, log `service` of infrastructure messages. */
    readonly processName: string,
    options: InfrastructureOptions = {},
  ) {
    this.clock = options.clock ?? developmentClock(config.dataDir, config.devClockSpeed);
    this.logDestination = options.logDestination;
  }

  get embedded(): boolean {
    return this.config.kafkaBrokers === null;
  }

  logger(service: string): Logger {
    let logger = this.loggers.get(service);
    if (!logger) {
      logger = createLogger(service, this.config.logLevel, this.logDestination);
      this.loggers.set(service, logger);
    }
    return logger;
  }

  eventStore(): EventStore {
    this.store ??= createEventStore({
      eventStoreConnectionString: this.config.eventStoreConnectionString ?? undefined,
      databaseUrl: this.config.databaseUrl ?? undefined,
      sqlitePath: join(this.config.dataDir, 'events.sqlite'),
    });
    return this.store;
  }

  messageBus(): MessageBus {
    if (!this.bus) {
      const bus = this.config.kafkaBrokers
        ? new KafkaMessageBus({
            brokers: [...this.config.kafkaBrokers],
            clientId: `keywarden-${this.processName}`,
            logger: this.messagingLogger(),
            replicationFactor: this.config.kafkaTopics.replicationFactor ?? undefined,
            minInsyncReplicas: this.config.kafkaTopics.minInsyncReplicas ?? undefined,
          })
        : // Durable under the data folder, so a restart keeps the topics and positions, as Kafka would.
          new InProcessMessageBus({ logger: this.messagingLogger(), durableLogPath: join(this.config.dataDir, 'bus.sqlite') });
      const exposed = this.config.namespace ? new NamespacedMessageBus(bus, this.config.namespace) : bus;
      this.bus = exposed;
      this.unobserveLag = observeGauge(
        {
          name: 'keywarden_kafka_consumer_lag',
          help: "Messages a consumer group of this process has not committed yet, per topic and partition (the in-process bus's in embedded mode)",
          labelNames: ['group', 'topic', 'partition'],
        },
        async () => (await exposed.consumerLag()).map((l) => [{ group: l.groupId, topic: l.topic, partition: String(l.partition) }, l.lag] as const),
      );
    }
    return this.bus;
  }

  activeKeyCache(): Promise<ActiveKeyCache> {
    this.cache ??= this.config.redisUrl
      ? this.redis().then((client) => new RedisActiveKeyCache(client, { prefix: this.redisKeyPrefix }))
      : Promise.resolve(new InMemoryActiveKeyCache());
    return this.cache;
  }

  /** Every Redis key Keywarden writes starts with this. */
  get redisKeyPrefix(): string {
    return this.config.namespace ? `kw:${this.config.namespace}:` : 'kw:';
  }

  /** The bus's own messages (retries, dead letters) in the same JSON stream as everything else. */
  private messagingLogger(): MessagingLogger {
    const logger = this.logger('messaging');
    return {
      debug: (message, fields) => logger.debug(fields ?? {}, message),
      log: (message, fields) => logger.info(fields ?? {}, message),
      warn: (message, fields) => logger.warn(fields ?? {}, message),
      error: (message, fields) => logger.error(fields ?? {}, message),
    };
  }

  /**
   * A new Redis connection. Fail fast (STYLE.md §14): no offline queue, few retries, short
   * timeouts, so a Redis outage surfaces as an error the caller handles instead of a hang.
   * `autoPipelining` sends the commands issued in one tick in one write (the edge's lookups under load).
   */
  async redis(tuning: Readonly<{ autoPipelining?: boolean }> = {}): Promise<Redis> {
    if (!this.config.redisUrl) throw new Error('REDIS_URL is not configured');
    const client = new Redis(this.config.redisUrl, {
      enableAutoPipelining: tuning.autoPipelining ?? false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      lazyConnect: true,
    });
    client.on('error', () => undefined); // surfaced per command; avoid unhandled 'error' events
    this.redisClients.push(client);
    await client.connect();
    return client;
  }

  /**
   * Pepper, key-encryption key and Secret-signing keys: from configuration in production, else
   * generated once under the data folder (mode 0600) for the embedded mode.
   */
  keyMaterial(): KeyMaterial {
    if (!this.material) {
      const { secrets, dataDir } = this.config;
      const loaded =
        secrets.pepperBase64 || secrets.kekBase64 || secrets.signingKeysJson
          ? keyMaterialFromConfig({
              pepperBase64: secrets.pepperBase64 ?? '',
              kekBase64: secrets.kekBase64 ?? '',
              signingKeysJson: secrets.signingKeysJson ?? '',
            })
          : loadOrCreateLocalKeyMaterial(dataDir);
      // On PostgreSQL every registry process shares the data keys; SQLite keeps them on this one's volume.
      this.dataKeyStore = this.config.databaseUrl
        ? new PostgresDataKeyStore(this.config.databaseUrl)
        : new SqliteDataKeyStore(join(dataDir, 'data-keys.sqlite'));
      this.material = {
        fingerprinter: new KeyFingerprinter(loaded.pepper),
        vault: new KeyMaterialVault(loaded.kek, this.dataKeyStore),
        signingKeys: loaded.signingKeys,
        notificationBox: SealedBox.fromKek(loaded.kek),
        otpHasher: OtpHasher.fromKek(loaded.kek),
      };
    }
    return this.material;
  }

  /**
   * Who runs the relays and the scheduler: on PostgreSQL any number of processes share the store and
   * an advisory lock elects one per role; otherwise this process is the only one and holds them all.
   */
  leaderElection(): LeaderElection {
    const logger = this.logger(this.processName).child({ component: 'leader-election' });
    this.election ??= this.config.databaseUrl ? new PostgresLeaderElection(this.config.databaseUrl, logger) : new SingleProcessLeaderElection(logger);
    return this.election;
  }

  /** Admin tokens: the OIDC issuer's JWKS in production, the local development issuer otherwise. */
  async adminTokenVerifier(): Promise<AdminTokenVerifier> {
    if (!this.tokenVerifier) {
      const auth = this.config.auth;
      this.tokenVerifier =
        auth.mode === 'oidc'
          ? new AdminTokenVerifier({ jwksUrl: auth.jwksUrl, issuer: auth.issuer, audience: auth.audience })
          : new AdminTokenVerifier({
              issuer: auth.issuer,
              audience: auth.audience,
              localJwks: await new DevelopmentIssuer(this.config.dataDir).jwks(),
            });
    }
    return this.tokenVerifier;
  }

  /**
   * The organisations' settings, from the compacted settings topic: one reader per process, shared
   * by its services, started on first use. Its group id is unique to this instance, so each
   * instance replays the whole topic and is up to date however late it starts: the promise
   * resolves only once the replay has reached the topic's end, so the services that inject the
   * reader listen (and answer ready) only with every organisation's settings applied, and fail to
   * start (SettingsReplayTimeoutError) rather than serve with defaults.
   */
  orgSettings(): Promise<OrgSettingsTopicReader> {
    this.settingsReader ??= (async () => {
      const groupId = `keywarden-org-settings-${this.processName}-${randomUUID()}`;
      const reader = new OrgSettingsTopicReader(this.messageBus(), this.logger(this.processName).child({ component: 'org-settings-reader' }), { groupId });
      await reader.start();
      return reader;
    })();
    this.settingsReader.catch(() => (this.settingsReader = undefined));
    return this.settingsReader;
  }

  /** The organisation's request-id header (seed E), for `requestContextMiddleware`. */
  readonly requestIdHeaderFor = async (orgId: string): Promise<string> => (await (await this.orgSettings()).get(orgId)).requestIdHeader;

  /**
   * What /health/ready checks: each connection this process opened so far (a service opens what it
   * uses while it starts). The store answers a cheap read, Kafka an admin describeCluster on its
   * own connection, each Redis connection a PING. The embedded adapters are always ready.
   */
  readinessChecks(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [];
    const store = this.store;
    if (store) checks.push({ name: 'eventStore', check: async () => void (await store.readLastEvent('keywarden-readiness-probe')) });
    const brokers = this.config.kafkaBrokers;
    if (this.bus && brokers) {
      this.kafkaProbe ??= new KafkaReadinessProbe(brokers, `keywarden-${this.processName}`);
      const probe = this.kafkaProbe;
      checks.push({ name: 'kafka', check: () => probe.check() });
    }
    const clients = [...this.redisClients];
    if (clients.length > 0) checks.push({ name: 'redis', check: async () => void (await Promise.all(clients.map((c) => c.ping()))) });
    return checks;
  }

  async close(): Promise<void> {
    await this.election?.close();
    await this.kafkaProbe?.close();
    const reader = this.settingsReader;
    this.settingsReader = undefined;
    await reader?.then((r) => r.stop()).catch(() => undefined);
    this.unobserveLag?.();
    await this.bus?.close();
    if (this.cache) await (await this.cache).close();
    await this.store?.close();
    for (const client of this.redisClients) client.disconnect();
    await this.dataKeyStore?.close();
    for (const logger of this.loggers.values()) logger.flush();
  }
}
