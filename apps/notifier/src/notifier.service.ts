import { startBusMicroservice } from '@keywarden/messaging';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService, withHealthListener } from '@keywarden/platform';
import { NOTIFIER_GROUP } from './consumer/notification.consumer';
import { NotifierModule, resolveNotifierOptions } from './notifier.module';
import { NotifierOptions } from './notifier.tokens';

export type { NotifierOptions } from './notifier.tokens';

/** The notifier: a message-bus consumer with no HTTP surface. */
export async function startNotifier(infra: Infrastructure, options: NotifierOptions = {}): Promise<RunningService> {
  const logger = infra.logger('notifier');
  const { groupId } = resolveNotifierOptions(infra, options);
  const app = await startBusMicroservice(NotifierModule.forRoot(infra, options), infra.messageBus(), new NestPinoLogger(logger), {
    groupIds: { [NOTIFIER_GROUP]: groupId },
  });
  logger.info({ groupId }, 'notifier consuming the lifecycle and notification topics');
  return withHealthListener(infra, { name: 'notifier', close: () => app.close() }, infra.config.healthPorts.notifier);
}
