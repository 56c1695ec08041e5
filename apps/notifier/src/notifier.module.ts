import { join } from 'node:path';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CLOCK } from '@keywarden/clock';
import { ORG_SETTINGS_READER } from '@keywarden/contracts';
import { EVENT_STORE } from '@keywarden/event-store';
import { MESSAGE_BUS } from '@keywarden/messaging';
import { Infrastructure } from '@keywarden/platform';
import { NotificationConsumer, ResolvedNotifierOptions } from './consumer/notification.consumer';
import { SqliteSentLedger } from './ledger/sqlite-sent-ledger.adapter';
import { RedisSentLedger } from './ledger/redis-sent-ledger.adapter';
import { SENT_LEDGER } from './ledger/sent-ledger.port';
import { FileMailTransport } from './mail/file-mail-transport.adapter';
import { MAIL_TRANSPORT } from './mail/mail-transport.port';
import { SmtpMailTransport } from './mail/smtp-mail-transport.adapter';
import { NOTIFICATION_BOX, NOTIFIER_LOGGER, NOTIFIER_OPTIONS, NotifierOptions } from './notifier.tokens';

/** Ports bound to the adapters the configuration chose: SMTP or mail files, Redis or memory. */
const infrastructureProviders = (infra: Infrastructure, options: ResolvedNotifierOptions): Provider[] => [
  { provide: CLOCK, useValue: infra.clock },
  { provide: MESSAGE_BUS, useFactory: () => infra.messageBus() },
  { provide: EVENT_STORE, useFactory: () => infra.eventStore() },
  { provide: NOTIFIER_LOGGER, useFactory: () => infra.logger('notifier') },
  { provide: NOTIFICATION_BOX, useFactory: () => infra.keyMaterial().notificationBox },
  // Recipients and date format follow the organisation's settings (the compacted settings topic).
  { provide: ORG_SETTINGS_READER, useFactory: () => options.settings ?? infra.orgSettings() },
  {
    provide: MAIL_TRANSPORT,
    useFactory: () =>
      options.transport ??
      (infra.config.smtpUrl
        ? new SmtpMailTransport({ url: infra.config.smtpUrl, from: infra.config.mailFrom })
        : new FileMailTransport(join(infra.config.dataDir, 'mail'), infra.config.mailFrom)),
  },
  {
    provide: SENT_LEDGER,
    // Without Redis, a file under the data folder: "already sent" must outlive a restart.
    useFactory: async () =>
      infra.config.redisUrl
        ? new RedisSentLedger(await infra.redis(), `${infra.redisKeyPrefix}notifier:${options.groupId}:`)
        : new SqliteSentLedger(join(infra.config.dataDir, 'notifier-sent.sqlite'), `${infra.config.namespace ?? ''}:${options.groupId}`),
  },
  { provide: NOTIFIER_OPTIONS, useValue: options },
];

@Module({})
export class NotifierModule {
  static forRoot(infra: Infrastructure, options: NotifierOptions = {}): DynamicModule {
    const resolved = resolveNotifierOptions(infra, options);
    return {
      module: NotifierModule,
      controllers: [NotificationConsumer],
      providers: infrastructureProviders(infra, resolved),
    };
  }
}

export function resolveNotifierOptions(infra: Infrastructure, options: NotifierOptions): ResolvedNotifierOptions {
  return {
    ...options,
    groupId: options.groupId ?? infra.config.notifier.groupId,
    maxSendAttempts: options.maxSendAttempts ?? infra.config.notifier.maxSendAttempts,
    retryForMs: options.retryForMs ?? infra.config.notifier.retryForMs,
  };
}
