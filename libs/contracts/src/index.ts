export * from './topics';
export * from './streams';
export * from './key-ring.events';
export * from './key-ring.schemas';
export * from './envelope';
export * from './validation';
