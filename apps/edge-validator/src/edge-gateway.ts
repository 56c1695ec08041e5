import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { KEYWARDEN_CONFIG, KeywardenConfig } from '@keywarden/config';
import { Topics } from '@keywarden/contracts';
import { MESSAGE_BUS, MessageBus } from '@keywarden/messaging';
import { EDGE_LOGGER } from './edge.tokens';
import { EdgeHttpServer } from './proxy/edge-http.server';
import { UpstreamProxy } from './proxy/upstream-proxy';
import { UsageRecorder } from './usage/usage-recorder';

/**
 * Starts and stops the edge's parts in order: invalidations are followed (the bus transport listens)
 * before `listen()` takes the first request (an entry read after that point cannot miss its
 * eviction), and on shutdown in-flight requests drain before the last usage flush.
 */
@Injectable()
export class EdgeGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private listeningOn?: string;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
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
    this.usage.start();
  }

  /** Takes requests: called once the invalidations are followed. */
  async listen(invalidationGroup: string, keyEndGroup: string): Promise<void> {
    this.listeningOn = await this.server.listen(this.config.ports.edge, '0.0.0.0');
    this.logger.info({ upstream: this.config.edgeUpstreamUrl, invalidationGroup, keyEndGroup }, 'edge gateway listening');
  }

  /** Lets in-flight requests drain: called before the transport stops following invalidations. */
  async closeServer(): Promise<void> {
    await this.server.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
    await this.usage.stop();
    this.proxy.close();
  }
}
