import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@keywarden/config';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService } from '@keywarden/platform';
import { EdgeGateway } from './edge-gateway';
import { EdgeValidatorModule } from './edge-validator.module';

/** The edge gateway (reverse proxy and forward-auth) on EDGE_PORT, in front of EDGE_UPSTREAM_URL. */
export async function startEdgeValidator(infra: Infrastructure): Promise<RunningService> {
  if (!infra.config.edgeUpstreamUrl) throw new ConfigError('EDGE_UPSTREAM_URL', 'is required: the URL of the API the edge gateway fronts, e.g. http://127.0.0.1:9000');
  const app = await NestFactory.createApplicationContext(EdgeValidatorModule.forRoot(infra), {
    logger: new NestPinoLogger(infra.logger('edge-validator')),
  });
  await app.init();
  return { name: 'edge-validator', url: app.get(EdgeGateway).url, close: () => app.close() };
}
