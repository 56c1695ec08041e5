export * from './keywarden.config';
export * from './edge.config';
export * from './console.config';
