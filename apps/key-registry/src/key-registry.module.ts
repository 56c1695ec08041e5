import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ORG_SETTINGS_READER } from '@keywarden/contracts';
import { SecretMinter, SecretVerifier } from '@keywarden/crypto';
import { ACTIVE_KEY_CACHE } from '@keywarden/key-cache';
import { coreProviders, Infrastructure } from '@keywarden/platform';
import { DeleteKeyHttpController } from './commands/delete-key/delete-key.http.controller';
import { InMemoryRevealRequestStore } from './commands/reveal-key/in-memory-reveal-request.store.adapter';
import { RedisRevealRequestStore } from './commands/reveal-key/redis-reveal-request.store.adapter';
import { REVEAL_REQUEST_STORE } from './commands/reveal-key/reveal-request.store.port';
import { NOTIFICATION_BOX, OTP_HASHER, REVEAL_LOGGER } from './commands/reveal-key/reveal.tokens';
import { RequestRevealHttpController } from './commands/reveal-key/request-reveal.http.controller';
import { RevealKeyHttpController } from './commands/reveal-key/reveal-key.http.controller';
import { RevealKeyService } from './commands/reveal-key/reveal-key.service';
import { IssueKeyHttpController } from './commands/issue-key/issue-key.http.controller';
import { RemoveExpirationHttpController } from './commands/remove-expiration/remove-expiration.http.controller';
import { RevokeKeyHttpController } from './commands/revoke-key/revoke-key.http.controller';
import { GithubSecretScanningHttpController } from './commands/report-leak/github-secret-scanning.http.controller';
import { HttpScannerPublicKeys } from './commands/report-leak/http-scanner-public-keys.adapter';
import { KeyFingerprintIndex } from './commands/report-leak/key-fingerprint.index';
import { ReportLeakService, SECRET_SCANNING_LOGGER } from './commands/report-leak/report-leak.service';
import { SCANNER_PUBLIC_KEYS } from './commands/report-leak/scanner-public-keys.port';
import { KEY_FINGERPRINTER, KEY_MATERIAL_VAULT, KeyMaterialService, SECRET_MINTER } from './key-ring/key-material.service';
import { KeyIssuer } from './key-ring/key-issuer.service';
import { KeyRingRepository } from './key-ring/key-ring.repository';
import { KeyTablePresenter } from './key-ring/key-table.presenter';
import { KeyUsageConsumer, KeyUsageProjection } from './key-ring/key-usage.adapter';
import { KEY_USAGE_READER } from './key-ring/key-usage.port';
import { AuditHttpController } from './queries/audit/audit.http.controller';
import { JwksHttpController, SIGNING_KEY_RING } from './queries/jwks/jwks.http.controller';
import { ListKeysHttpController } from './queries/list-keys/list-keys.http.controller';
import { SECRET_VERIFIER, TestKeyHttpController } from './queries/test-key/test-key.http.controller';
import { KeyLifecycleRelay } from './relay/key-lifecycle.relay';
import { RelayCheckpointStore } from './relay/relay-checkpoint.store';
import { RELAY_LOGGER } from './relay/relay.tokens';
import { KeyRingIndex } from './scheduler/key-ring-index';
import { LifecycleScheduler } from './scheduler/lifecycle.scheduler';
import { SCHEDULER_LOGGER, SCHEDULER_OPTIONS } from './scheduler/scheduler.tokens';

const commandControllers = [
  IssueKeyHttpController,
  RevokeKeyHttpController,
  RemoveExpirationHttpController,
  DeleteKeyHttpController,
  RequestRevealHttpController,
  RevealKeyHttpController,
  GithubSecretScanningHttpController,
];
const queryControllers = [ListKeysHttpController, TestKeyHttpController, JwksHttpController, AuditHttpController];

const keyRingProviders: Provider[] = [KeyRingRepository, KeyMaterialService, KeyIssuer, KeyTablePresenter];
const relayProviders: Provider[] = [RelayCheckpointStore, KeyLifecycleRelay];
const schedulerProviders: Provider[] = [KeyRingIndex, LifecycleScheduler];
const revealProviders: Provider[] = [RevealKeyService];
const leakProviders: Provider[] = [KeyFingerprintIndex, ReportLeakService];

/** Ports bound to the adapters the Infrastructure chose for this process. */
const infrastructureProviders = (infra: Infrastructure): Provider[] => [
  ...coreProviders(infra),
  { provide: RELAY_LOGGER, useFactory: () => infra.logger('key-registry') },
  { provide: ACTIVE_KEY_CACHE, useFactory: () => infra.activeKeyCache() },
  { provide: ORG_SETTINGS_READER, useFactory: () => infra.orgSettings() },
  { provide: KEY_USAGE_READER, useClass: KeyUsageProjection },
  { provide: KEY_FINGERPRINTER, useFactory: () => infra.keyMaterial().fingerprinter },
  { provide: KEY_MATERIAL_VAULT, useFactory: () => infra.keyMaterial().vault },
  { provide: SIGNING_KEY_RING, useFactory: () => infra.keyMaterial().signingKeys },
  { provide: SECRET_MINTER, useFactory: () => new SecretMinter(infra.keyMaterial().signingKeys) },
  { provide: SECRET_VERIFIER, useFactory: () => new SecretVerifier(infra.keyMaterial().signingKeys) },
  { provide: SCHEDULER_LOGGER, useFactory: () => infra.logger('key-registry').child({ component: 'scheduler' }) },
  { provide: SCHEDULER_OPTIONS, useValue: { tickMs: infra.config.schedulerTickMs } },
  { provide: REVEAL_LOGGER, useFactory: () => infra.logger('key-registry') },
  { provide: SECRET_SCANNING_LOGGER, useFactory: () => infra.logger('key-registry').child({ component: 'secret-scanning' }) },
  { provide: SCANNER_PUBLIC_KEYS, useFactory: () => new HttpScannerPublicKeys({ url: infra.config.secretScanningKeysUrl, clock: infra.clock }) },
  { provide: OTP_HASHER, useFactory: () => infra.keyMaterial().otpHasher },
  { provide: NOTIFICATION_BOX, useFactory: () => infra.keyMaterial().notificationBox },
  {
    provide: REVEAL_REQUEST_STORE,
    useFactory: async () => (infra.config.redisUrl ? new RedisRevealRequestStore(await infra.redis(), `${infra.redisKeyPrefix}reveal`) : new InMemoryRevealRequestStore()),
  },
];

@Module({})
export class KeyRegistryModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    return {
      module: KeyRegistryModule,
      controllers: [...commandControllers, ...queryControllers, KeyUsageConsumer],
      providers: [...infrastructureProviders(infra), ...keyRingProviders, ...relayProviders, ...schedulerProviders, ...revealProviders, ...leakProviders],
    };
  }
}
