export * from './keywarden.config';
export * from './edge.config';
