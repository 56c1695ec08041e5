import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService, withHealthListener } from '@keywarden/platform';
import { KeyCacheProjectionModule } from './key-cache-projection.module';

export async function startKeyCacheProjection(infra: Infrastructure): Promise<RunningService> {
  const app = await NestFactory.createApplicationContext(KeyCacheProjectionModule.forRoot(infra), {
    logger: new NestPinoLogger(infra.logger('key-cache-projection')),
  });
  await app.init();
  return withHealthListener(infra, { name: 'key-cache-projection', close: () => app.close() }, infra.config.healthPorts.projection);
}
