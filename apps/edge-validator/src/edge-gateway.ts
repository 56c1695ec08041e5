import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { KEYWARDEN_CONFIG, KeywardenConfig } from '@keywarden/config';
import { Topics } from '@keywarden/contracts';
import { MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { EDGE_LOGGER } from './edge.tokens';
import { EdgeHttpServer } from './proxy/edge-http.server';
import { UpstreamProxy } from './proxy/upstream-proxy';
import { UsageRecorder } from './usage/usage-recorder';
import { InvalidationConsumer } from './validation/invalidation.consumer';
import { KeyEndConsumer } from './validation/key-end.consumer';

/**
 * Starts and stops the edge's parts in order: invalidations are followed before the first request
 * is taken (an entry read after that point cannot miss its eviction), and on shutdown in-flight
 * requests drain before the last usage flush.
 */
@Injectable()
export class EdgeGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private listeningOn?: string;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly invalidations: InvalidationConsumer,
    private readonly keyEnds: KeyEndConsumer,
    private readonly usage: UsageRecorder,
    private readonly server: EdgeHttpServer,
    private readonly proxy: UpstreamProxy,
    @Inject(KEYWARDEN_CONFIG) private readonly config: KeywardenConfig,
    @Inject(EDGE_LOGGER) private readonly logger: Logger,
  ) {}

  get url(): string {
    if (!this.listeningOn) throw new Error('the edge is not listening yet');
    return this.listeningOn;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.ensureTopics([{ topic: Topics.keyUsage }, { topic: Topics.cacheInvalidations }, { topic: Topics.keyLifecycle }]);
    await this.invalidations.start();
    await this.keyEnds.start();
    this.usage.start();
    this.listeningOn = await this.server.listen(this.config.ports.edge, '0.0.0.0');
    this.logger.info({ upstream: this.config.edgeUpstreamUrl, invalidationGroup: this.invalidations.groupId, keyEndGroup: this.keyEnds.groupId }, 'edge gateway listening');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
    await this.invalidations.stop();
    await this.keyEnds.stop();
    await this.usage.stop();
    this.proxy.close();
  }
}
