import { startBusMicroservice } from '@keywarden/messaging';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService, withHealthListener } from '@keywarden/platform';
import { KeyCacheProjectionModule } from './key-cache-projection.module';

export async function startKeyCacheProjection(infra: Infrastructure): Promise<RunningService> {
  const logger = infra.logger('key-cache-projection');
  // The cache rebuild runs in the bootstrap hook, so before the transport joins the group.
  const app = await startBusMicroservice(KeyCacheProjectionModule.forRoot(infra), infra.messageBus(), new NestPinoLogger(logger));
  logger.info('key-cache projection consuming the lifecycle topic');
  return withHealthListener(infra, { name: 'key-cache-projection', close: () => app.close() }, infra.config.healthPorts.projection);
}
