import type { Infrastructure } from '../infrastructure';
import type { RunningService } from '../running-service';
import { OpsHttpServer } from './ops-http.server';

/**
 * Gives a service with no HTTP API (projection, notifier) its /health/* and /metrics listener on
 * `port` (null = none: in the all-in-one the admin services answer them for the process). The
 * listener closes last, so probes are answered while the service drains.
 */
export async function withHealthListener(infra: Infrastructure, service: RunningService, port: number | null): Promise<RunningService> {
  if (port === null) return service;
  const server = new OpsHttpServer(() => infra.readinessChecks(), infra.logger(service.name));
  let url: string;
  try {
    url = await server.listen(port);
  } catch (error) {
    await service.close();
    throw error;
  }
  return {
    name: service.name,
    url,
    close: async () => {
      try {
        await service.close();
      } finally {
        await server.close();
      }
    },
  };
}
