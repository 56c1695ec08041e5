import { DynamicModule, Module } from '@nestjs/common';
import { CLOCK } from '@keywarden/clock';
import { EVENT_STORE } from '@keywarden/event-store';
import { ACTIVE_KEY_CACHE } from '@keywarden/key-cache';
import { MESSAGE_BUS } from '@keywarden/messaging';
import { Infrastructure } from '@keywarden/platform';
import { KeyCacheConsumer, PROJECTION_CACHE_CHECK_MS, PROJECTION_LOGGER } from './projection/key-cache.consumer';

@Module({})
export class KeyCacheProjectionModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    return {
      module: KeyCacheProjectionModule,
      controllers: [KeyCacheConsumer],
      providers: [
        { provide: MESSAGE_BUS, useFactory: () => infra.messageBus() },
        { provide: ACTIVE_KEY_CACHE, useFactory: () => infra.activeKeyCache() },
        { provide: EVENT_STORE, useFactory: () => infra.eventStore() },
        { provide: CLOCK, useValue: infra.clock },
        { provide: PROJECTION_LOGGER, useFactory: () => infra.logger('key-cache-projection') },
        { provide: PROJECTION_CACHE_CHECK_MS, useValue: infra.config.projectionCacheCheckMs },
      ],
    };
  }
}
