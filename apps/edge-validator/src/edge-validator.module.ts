import { DynamicModule, Module, Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLOCK, Clock } from '@keywarden/clock';
import { KEYWARDEN_CONFIG, KeywardenConfig } from '@keywarden/config';
import { ORG_SETTINGS_READER, OrgSettingsReader } from '@keywarden/contracts';
import { KeyFingerprinter, SecretVerifier } from '@keywarden/crypto';
import { ACTIVE_KEY_CACHE, ActiveKeyCache, RedisActiveKeyCache } from '@keywarden/key-cache';
import { MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { Infrastructure, ReadinessSource } from '@keywarden/platform';
import { EdgeGateway } from './edge-gateway';
import { EDGE_LOGGER, EDGE_READINESS, KEY_FINGERPRINTER, SECRET_VERIFIER } from './edge.tokens';
import { EdgeHttpServer } from './proxy/edge-http.server';
import { UpstreamProxy } from './proxy/upstream-proxy';
import { OrgSettingsSnapshot } from './settings/org-settings.snapshot';
import { UsageRecorder } from './usage/usage-recorder';
import { EndedKeys } from './validation/ended-keys';
import { InvalidationConsumer } from './validation/invalidation.consumer';
import { KeyEndConsumer } from './validation/key-end.consumer';
import { KeyCacheIncompleteError, KeyEntryCache } from './validation/key-entry.cache';
import { SecretValidator } from './validation/secret-validator';

/**
 * A small bound on JWKS fetches: a flood of made-up kids costs one fetch per period, and a failed
 * fetch waits at least as long before the next (doubling up to 5 min) while the last good set serves.
 */
const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** Key ends held in memory (~100 bytes each): far more than a projection outage would see. */
const ENDED_KEYS_MAX = 100_000;

/** Ports bound to the adapters the Infrastructure chose for this process. */
const infrastructureProviders = (infra: Infrastructure): Provider[] => [
  { provide: KEYWARDEN_CONFIG, useValue: infra.config },
  { provide: CLOCK, useValue: infra.clock },
  { provide: EDGE_LOGGER, useFactory: () => infra.logger('edge-validator') },
  { provide: EDGE_READINESS, useValue: () => infra.readinessChecks() },
  { provide: MESSAGE_BUS, useFactory: () => infra.messageBus() },
  {
    provide: ACTIVE_KEY_CACHE,
    // Its own Redis connection, pipelining the lookups of concurrent requests into one write; the
    // embedded mode's in-memory cache is the one the projection writes.
    useFactory: async () =>
      infra.config.redisUrl ? new RedisActiveKeyCache(await infra.redis({ autoPipelining: true }), { prefix: infra.redisKeyPrefix }) : infra.activeKeyCache(),
  },
  { provide: ORG_SETTINGS_READER, useFactory: () => infra.orgSettings() },
  // The edge needs the registry's pepper: fingerprints are looked up, never keys.
  { provide: KEY_FINGERPRINTER, useFactory: () => infra.keyMaterial().fingerprinter },
  {
    provide: SECRET_VERIFIER,
    // Embedded, the registry's ring is in this process; otherwise the registry's published JWKS.
    inject: [EDGE_LOGGER],
    useFactory: (logger: Logger) =>
      infra.embedded
        ? SecretVerifier.forRing(infra.keyMaterial().signingKeys)
        : SecretVerifier.forRemoteJwks(new URL('/.well-known/jwks.json', infra.config.registryUrl), {
            cooldownMs: JWKS_REFETCH_COOLDOWN_MS,
            clock: infra.clock,
            onFetchFailed: (error, holdingLastGood) =>
              logger.warn(
                { err: error },
                holdingLastGood
                  ? 'the registry JWKS could not be fetched: verifying with the last good signing keys, retrying with backoff'
                  : 'the registry JWKS could not be fetched and none is held yet: Secrets get 503 until it is',
              ),
          }),
  },
];

/** The request path's parts: plain classes wired here, so the path itself has no framework in it. */
const gatewayProviders: Provider[] = [
  {
    provide: KeyEntryCache,
    inject: [ACTIVE_KEY_CACHE, CLOCK, EDGE_LOGGER, KEYWARDEN_CONFIG],
    useFactory: (cache: ActiveKeyCache, clock: Clock, logger: Logger, config: KeywardenConfig) =>
      new KeyEntryCache(cache, clock, logger, { ttlMs: config.edge.keyCacheTtlMs, stalenessMs: config.edge.stalenessMs, max: config.edge.keyCacheMax }),
  },
  { provide: EndedKeys, useFactory: () => new EndedKeys(ENDED_KEYS_MAX) },
  {
    provide: SecretValidator,
    inject: [SECRET_VERIFIER, KEY_FINGERPRINTER, KeyEntryCache, KEYWARDEN_CONFIG, EndedKeys],
    useFactory: (verifier: SecretVerifier, fingerprinter: KeyFingerprinter, keys: KeyEntryCache, config: KeywardenConfig, ended: EndedKeys) =>
      new SecretValidator(verifier, fingerprinter, keys, { secretCacheMax: config.edge.secretCacheMax }, ended),
  },
  {
    provide: OrgSettingsSnapshot,
    inject: [ORG_SETTINGS_READER],
    useFactory: (reader: OrgSettingsReader) => new OrgSettingsSnapshot(reader),
  },
  {
    provide: UsageRecorder,
    inject: [MESSAGE_BUS, CLOCK, EDGE_LOGGER, KEYWARDEN_CONFIG],
    useFactory: (bus: MessageBus, clock: Clock, logger: Logger, config: KeywardenConfig) => new UsageRecorder(bus, clock, logger, config.edge.usageFlushMs),
  },
  {
    provide: UpstreamProxy,
    inject: [KEYWARDEN_CONFIG],
    useFactory: (config: KeywardenConfig) =>
      new UpstreamProxy({
        upstreamUrl: config.edgeUpstreamUrl!,
        timeoutMs: config.edge.upstreamTimeoutMs,
        maxSockets: config.edge.upstreamMaxSockets,
        keepAuthorization: config.edge.keepAuthorization,
        rewriteMaxBytes: config.edge.rewriteMaxBytes,
        trustedProxies: config.edge.trustedProxies,
      }),
  },
  {
    provide: EdgeHttpServer,
    inject: [SecretValidator, OrgSettingsSnapshot, UpstreamProxy, UsageRecorder, CLOCK, EDGE_LOGGER, ACTIVE_KEY_CACHE, KEYWARDEN_CONFIG, EDGE_READINESS],
    useFactory: (
      validator: SecretValidator,
      settings: OrgSettingsSnapshot,
      proxy: UpstreamProxy,
      usage: UsageRecorder,
      clock: Clock,
      logger: Logger,
      cache: ActiveKeyCache,
      config: KeywardenConfig,
      readiness: ReadinessSource,
    ) => new EdgeHttpServer({ validator, settings, proxy, usage, clock, logger, ping: async () => {
        // Ready only when Redis answers AND holds the projection's completeness marker.
        if (!(await cache.isComplete())) throw new KeyCacheIncompleteError();
      }, readiness, accessLog: config.edge.accessLog, timeouts: config.edge }),
  },
  EdgeGateway,
];

@Module({})
export class EdgeValidatorModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    return {
      module: EdgeValidatorModule,
      controllers: [InvalidationConsumer, KeyEndConsumer],
      providers: [...infrastructureProviders(infra), ...gatewayProviders],
    };
  }
}
