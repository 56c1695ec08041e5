export * from './keywarden.config';
