export * from './schema-once';
