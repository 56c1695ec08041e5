export * from './active-key-cache.port';
export * from './in-memory-active-key-cache.adapter';
export * from './redis-active-key-cache.adapter';
export * from './active-key.projection';
export * from './replay-active-keys';
