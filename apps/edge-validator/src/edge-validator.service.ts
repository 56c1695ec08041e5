import { ConfigError } from '@keywarden/config';
import { startBusMicroservice } from '@keywarden/messaging';
import { NestPinoLogger } from '@keywarden/observability';
import { Infrastructure, RunningService } from '@keywarden/platform';
import { EdgeGateway } from './edge-gateway';
import { EdgeValidatorModule } from './edge-validator.module';
import { EDGE_INVALIDATION_GROUP, invalidationGroupId } from './validation/invalidation.consumer';
import { EDGE_KEY_END_GROUP, keyEndGroupId } from './validation/key-end.consumer';

/** The edge gateway (reverse proxy and forward-auth) on EDGE_PORT, in front of EDGE_UPSTREAM_URL. */
export async function startEdgeValidator(infra: Infrastructure): Promise<RunningService> {
  if (!infra.config.edgeUpstreamUrl) throw new ConfigError('EDGE_UPSTREAM_URL', 'is required: the URL of the API the edge gateway fronts, e.g. http://127.0.0.1:9000');
  const invalidationGroup = invalidationGroupId();
  const keyEndGroup = keyEndGroupId();
  const app = await startBusMicroservice(EdgeValidatorModule.forRoot(infra), infra.messageBus(), new NestPinoLogger(infra.logger('edge-validator')), {
    groupIds: { [EDGE_INVALIDATION_GROUP]: invalidationGroup, [EDGE_KEY_END_GROUP]: keyEndGroup },
  });
  const gateway = app.get(EdgeGateway);
  try {
    await gateway.listen(invalidationGroup, keyEndGroup);
  } catch (error) {
    await app.close();
    throw error;
  }
  const close = async (): Promise<void> => {
    await gateway.closeServer();
    await app.close();
  };
  return { name: 'edge-validator', url: gateway.url, close };
}
