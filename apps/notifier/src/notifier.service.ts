import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService, withHealthListener } from '@keywarden/platform';
import { NotifierModule } from './notifier.module';
import { NotifierOptions } from './notifier.tokens';

export type { NotifierOptions } from './notifier.tokens';

/** The notifier: a Kafka consumer with no HTTP surface. */
export async function startNotifier(infra: Infrastructure, options: NotifierOptions = {}): Promise<RunningService> {
  const app = await NestFactory.createApplicationContext(NotifierModule.forRoot(infra, options), {
    logger: new NestPinoLogger(infra.logger('notifier')),
  });
  await app.init();
  return withHealthListener(infra, { name: 'notifier', close: () => app.close() }, infra.config.healthPorts.notifier);
}
